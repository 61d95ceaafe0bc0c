#include "fhir/resource.hpp"

#include <charconv>

namespace ibd::fhir {
namespace {

std::string string_or_empty(const Json& json, std::string_view key) {
  const std::string* s = json.string_at(key);
  return s ? *s : std::string();
}

}  // namespace

std::string CodeableConcept::label() const {
  if (!text.empty()) return text;
  for (const Coding& c : codings)
    if (!c.display.empty()) return c.display;
  for (const Coding& c : codings)
    if (!c.code.empty()) return c.system.empty() ? c.code : c.system + "|" + c.code;
  return {};
}

Coding read_coding(const Json& json) {
  return Coding{string_or_empty(json, "system"), string_or_empty(json, "code"),
                string_or_empty(json, "display")};
}

CodeableConcept read_codeable_concept(const Json& json) {
  CodeableConcept out;
  if (!json.is_object()) return out;
  out.text = string_or_empty(json, "text");
  if (const Json::Array* codings = json.array_at("coding")) {
    for (const Json& c : *codings)
      if (c.is_object()) out.codings.push_back(read_coding(c));
  }
  return out;
}

std::optional<Quantity> read_quantity(const Json& json) {
  if (!json.is_object()) return std::nullopt;
  const Json* value = json.find("value");
  if (value == nullptr || !value->is_number()) return std::nullopt;
  Quantity q;
  q.value_text = *value->as_number_text();
  q.value = value->as_double();
  q.comparator = string_or_empty(json, "comparator");
  q.unit = string_or_empty(json, "unit");
  q.system = string_or_empty(json, "system");
  q.code = string_or_empty(json, "code");
  return q;
}

std::optional<Reference> parse_reference(std::string_view ref) {
  if (ref.empty()) return std::nullopt;
  if (ref.front() == '#') {
    if (ref.size() == 1) return std::nullopt;
    return Reference{"", std::string(ref.substr(1)), true};
  }
  // Drop a version suffix, then take the last two segments.
  if (auto h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  const auto slash = ref.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == ref.size()) return std::nullopt;
  std::string_view id = ref.substr(slash + 1);
  std::string_view head = ref.substr(0, slash);
  const auto prev = head.rfind('/');
  std::string_view type = prev == std::string_view::npos ? head : head.substr(prev + 1);
  if (type.empty() || !(type.front() >= 'A' && type.front() <= 'Z')) return std::nullopt;
  return Reference{std::string(type), std::string(id), false};
}

std::optional<Reference> read_reference(const Json& json) {
  const std::string* ref = json.string_at("reference");
  if (ref == nullptr) return std::nullopt;
  return parse_reference(*ref);
}

const std::string* resource_type(const Json& resource) {
  return resource.string_at("resourceType");
}
const std::string* resource_id(const Json& resource) { return resource.string_at("id"); }

std::vector<const Json*> bundle_resources(const Json& bundle) {
  std::vector<const Json*> out;
  const Json::Array* entries = bundle.array_at("entry");
  if (entries == nullptr) return out;
  for (const Json& entry : *entries) {
    const Json* resource = entry.find("resource");
    if (resource != nullptr && resource->is_object()) out.push_back(resource);
  }
  return out;
}

Json operation_outcome(std::string_view severity, std::string_view code,
                       std::string_view diagnostics) {
  Json issue = Json::object();
  issue.set("severity", Json::string(std::string(severity)));
  issue.set("code", Json::string(std::string(code)));
  issue.set("diagnostics", Json::string(std::string(diagnostics)));
  Json outcome = Json::object();
  outcome.set("resourceType", Json::string("OperationOutcome"));
  outcome.set("issue", Json::array({std::move(issue)}));
  return outcome;
}

}  // namespace ibd::fhir
