// Fixture patients (conformance/fixtures/*.json), the hook requests built from them, and the
// prefetch templates a service advertises rendered against them.
//
// A fixture holds one patient's FHIR resources (what the fixture FHIR server serves), the
// hook context ids (userId, patientId, encounterId), optional draft orders (order-select and
// order-sign) and whether the patient is expected to draw guidance. Its dates are recorded
// as of `asOf` and moved by (today - asOf) days on load, so "three weeks ago" stays three
// weeks ago whatever day the harness runs.
// Thread safety: loaded once, then read-only.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "fhir/json.hpp"

namespace ibd::conformance {

struct FixturePatient {
  std::string name;
  std::string description;
  bool expect_guidance = true;
  fhir::Json context;  // userId, patientId, encounterId
  std::vector<fhir::Json> resources;
  std::vector<fhir::Json> draft_orders;
  std::vector<std::string> selections;  // "MedicationRequest/x"; empty = every draft order
  std::string patient_id() const;
};

std::expected<std::vector<FixturePatient>, std::string> load_fixtures(const std::string& dir,
                                                                      std::chrono::sys_days today);

// Moves every full date ("2026-05-20", "2026-05-20T08:30:00Z") in `value` by `days`.
fhir::Json shift_dates(fhir::Json value, int days);

// The context a fixture gives `hook`, or nullopt when it cannot serve that hook (order hooks
// need draft orders). Unknown hooks get userId, patientId and encounterId.
std::optional<fhir::Json> hook_context(const FixturePatient& patient, const std::string& hook);

// Context fields of the hooks the harness knows that are root-level primitives (the only
// ones a prefetch token may name); empty for an unknown hook.
std::vector<std::string> primitive_context_fields(const std::string& hook);
bool is_known_hook(const std::string& hook);

// Renders a prefetch template's {{tokens}} with the request context (values percent-encoded).
std::expected<std::string, std::string> render_prefetch(const std::string& query,
                                                        const fhir::Json& context);

// A random version-4 UUID (hookInstance, feedback).
std::string random_uuid();

}  // namespace ibd::conformance
