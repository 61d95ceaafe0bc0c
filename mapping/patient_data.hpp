// The FHIR input of one hook call, after prefetch resolution: what hooks/ hands to mapping/.
// Plain data.
#pragma once

#include <string>
#include <vector>

#include "fhir/json.hpp"

namespace ibd::mapping {

// A resource together with the prefetch key it arrived under.
struct SourcedResource {
  std::string key;
  fhir::Json resource;
};

// A source the rules wanted and could not read (fetch failed, OperationOutcome in prefetch).
struct MissingSource {
  std::string key;          // prefetch key, e.g. "observations"
  std::string description;  // "laboratory results"
  std::string reason;       // "the FHIR server answered 503"; never a token or patient id
};

struct PatientData {
  std::string patient_id;                  // context.patientId
  std::vector<SourcedResource> resources;  // Patient first when present; Bundles unpacked
  std::vector<MissingSource> missing;
  // order-select / order-sign: the resources of context.draftOrders, and context.selections
  // ("MedicationRequest/123"). Kept apart from the record: they are proposals, not therapy.
  std::vector<fhir::Json> draft_orders;
  std::vector<std::string> selections;
};

}  // namespace ibd::mapping
