// The CDS Hooks 2.0 response rules, applied to what a service answered: cards, their source,
// suggestions, actions, links and override reasons, systemActions, and the JSON-wide rules
// (no null or empty elements, extensions are objects). Pure: each rule records pass/fail
// into the Recorder with `where` (e.g. "ibd-patient-view/crohns-infliximab-active card 2")
// so a failure says which element broke it.
#pragma once

#include <string>
#include <vector>

#include "conformance/checks.hpp"
#include "fhir/json.hpp"

namespace ibd::conformance {

// A scheme, and for http(s) a host: "https://x.org/a" yes, "/a" or "x.org" no.
bool is_absolute_url(const std::string& text);

// A 200 hook answer: request.cards-array, request.system-actions and every card rule.
// `patient_id` is the context.patientId of the call (for cards.source-drilldown).
// `icons` collects source.icon URLs for the image check.
void check_hook_answer(const fhir::Json& body, const std::string& where,
                       const std::string& patient_id, Recorder& rec,
                       std::vector<std::string>& icons);

// json.no-null, json.extensions, json.extension-names over a whole document.
void check_json_elements(const fhir::Json& document, const std::string& where, Recorder& rec);

// The width and height of a PNG image, or {0, 0} when the bytes are not a PNG.
std::pair<unsigned, unsigned> png_size(const std::string& bytes);

}  // namespace ibd::conformance
