// Prefetch: render the service's templates for a request, decide what still has to be
// fetched, and assemble what arrived (prefetched or fetched) into mapping::PatientData.
//
// Per CDS Hooks 2.0: a key that is absent is fetched; a key that is null means "no data" and
// is not fetched; a key holding an OperationOutcome is fetched again when possible, else
// reported missing. A prefetched Bundle that still has a `next` link is completed from
// fhirServer (a continuation). A required key that cannot be had makes the call fail with 412 and an
// OperationOutcome. Bundles are unpacked; OperationOutcome entries in them are not data.
// The network is behind the Fetcher interface, which fhir/client implements and tests fake.
// Pure apart from what a Fetcher does; thread-safe.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/error.hpp"
#include "hooks/catalog.hpp"
#include "hooks/request.hpp"
#include "mapping/patient_data.hpp"

namespace ibd::hooks {

struct FetchNeed {
  std::string key;
  // Relative to fhirServer ("Observation?patient=123&..."), or, for a continuation, the
  // absolute `next` link of a Bundle the EHR prefetched only in part.
  std::string query;
  bool continuation = false;  // the prefetched entries stay; the fetched pages are added
};

struct FetchResult {
  std::string key;
  std::optional<fhir::Json> resource;  // a Bundle or a resource; nullopt on failure
  std::string error;                   // why it failed, safe to show (no token, no patient id)
  std::string incomplete;              // why `resource` holds only part of the data, or ""
};

// The only door from hooks/ to the network. Implementations fetch every need (in parallel
// where they can) within their time budget and return one result per need.
class Fetcher {
 public:
  virtual ~Fetcher() = default;
  virtual std::vector<FetchResult> fetch(const HookRequest& request,
                                         const std::vector<FetchNeed>& needs) = 0;
};

struct PrefetchPlan {
  std::vector<FetchNeed> needs;                     // to fetch from fhirServer
  std::vector<mapping::MissingSource> unfetchable;  // absent and cannot be fetched
};

// Renders {{context.*}}, {{userPractitionerId}}, {{userPractitionerRoleId}}, {{userPatientId}},
// {{userRelatedPersonId}}; values are percent-encoded. The error names the token that has no
// value in this request.
std::expected<std::string, std::string> render_template(std::string_view query,
                                                        const HookRequest& request);

PrefetchPlan plan_prefetch(const HookRequest& request, const ServiceDef& service);

std::expected<mapping::PatientData, Error> assemble_patient_data(const HookRequest& request,
                                                                 const ServiceDef& service,
                                                                 const PrefetchPlan& plan,
                                                                 std::vector<FetchResult> fetched);

}  // namespace ibd::hooks
