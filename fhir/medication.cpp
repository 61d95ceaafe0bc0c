#include "fhir/medication.hpp"

namespace ibd::fhir {
namespace {

bool empty(const CodeableConcept& cc) { return cc.codings.empty() && cc.text.empty(); }

}  // namespace

std::string MedicationCode::problem_text() const {
  switch (problem) {
    case Problem::kNone:
      return {};
    case Problem::kMissing:
      return "no medication";
    case Problem::kMistyped:
      return element == "medicationReference" ? "not a Reference: cannot tell which drug"
                                              : "not a CodeableConcept: cannot tell which drug";
    case Problem::kNotFound:
      return "the referenced Medication is not in the data";
    case Problem::kNotMedication:
      return "refers to a " + (target_type.empty() ? std::string("resource") : target_type) +
             ", not a Medication";
    case Problem::kNoCode:
      return "the referenced Medication has no code";
  }
  return {};
}

MedicationCode read_medication_code(const Json& resource, const ResourceIndex& index,
                                    std::string_view full_url) {
  using Problem = MedicationCode::Problem;
  MedicationCode out;
  if (const Json* cc = resource.find("medicationCodeableConcept"); cc && !cc->is_null()) {
    out.element = "medicationCodeableConcept";
    if (!cc->is_object()) out.problem = Problem::kMistyped;
    out.code = read_codeable_concept(*cc);
    return out;
  }
  const Json* ref_json = resource.find("medicationReference");
  if (ref_json == nullptr || ref_json->is_null()) {
    out.problem = Problem::kMissing;
    return out;
  }
  out.element = "medicationReference";
  if (!ref_json->is_object()) {
    out.problem = Problem::kMistyped;
    return out;
  }
  const auto ref = read_reference(*ref_json);
  const Json* target = ref ? index.resolve(*ref, &resource, full_url) : nullptr;
  if (target != nullptr) {
    const std::string* type = target->string_at("resourceType");
    if (type == nullptr || *type != "Medication") {
      out.problem = Problem::kNotMedication;
      out.target_type = type ? *type : "";
      return out;
    }
    out.medication = target;
    if (const Json* code = target->find("code")) out.code = read_codeable_concept(*code);
  }
  // A reference that cannot be followed (or a Medication without a code) may still name the
  // drug in its display.
  if (empty(out.code))
    if (const std::string* display = ref_json->string_at("display")) out.code.text = *display;
  if (empty(out.code)) out.problem = target ? Problem::kNoCode : Problem::kNotFound;
  return out;
}

}  // namespace ibd::fhir
