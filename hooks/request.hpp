// A CDS Hooks 2.0 request, validated against the service it was sent to.
//
// parse_request() checks what the spec makes the service's business: `hook` (and that it is
// this service's hook), `hookInstance` (a UUID), `fhirServer` (required with `fhirAuthorization`),
// `fhirAuthorization` fields, `context` per hook (patient-view: userId, patientId,
// encounterId; order-select: + selections, draftOrders; order-sign: + draftOrders) and the
// shape of `prefetch`. Error messages name the element and never repeat its value.
// The access token is kept for fetching and must never be logged: HookRequest has no
// printing helper on purpose. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fhir/error.hpp"
#include "fhir/json.hpp"
#include "hooks/catalog.hpp"

namespace ibd::hooks {

struct FhirAuthorization {
  std::string access_token;  // secret: never log, never echo
  std::string token_type;    // "Bearer"
  std::int64_t expires_in = 0;
  std::string scope;
  std::string subject;
  std::string patient;  // optional
};

struct HookRequest {
  std::string hook;
  std::string hook_instance;
  std::string fhir_server;  // "" when absent
  std::optional<FhirAuthorization> fhir_authorization;
  fhir::Json context;                      // the whole context object
  std::string user_id;                     // context.userId, e.g. "Practitioner/123"
  std::string patient_id;                  // context.patientId
  std::string encounter_id;                // context.encounterId, "" when absent
  std::vector<std::string> selections;     // order-select
  std::optional<fhir::Json> draft_orders;  // order-select / order-sign: a Bundle
  std::map<std::string, fhir::Json, std::less<>> prefetch;  // as sent; null values included
};

std::expected<HookRequest, Error> parse_request(const fhir::Json& body, const ServiceDef& service);

}  // namespace ibd::hooks
