#include "fhir/resource.hpp"

#include <charconv>
#include <utility>

#include "fhir/datetime.hpp"

namespace ibd::fhir {
namespace {

std::string string_or_empty(const Json& json, std::string_view key) {
  const std::string* s = json.string_at(key);
  return s ? *s : std::string();
}

// (versionId as an integer or -1, lastUpdated as a UTC instant or ""): larger is newer.
std::pair<long, std::string> version_key(const Json& resource) {
  long version = -1;
  std::string updated;
  const Json* meta = resource.find("meta");
  if (meta == nullptr) return {version, updated};
  if (const std::string* vid = meta->string_at("versionId")) {
    long parsed = 0;
    const char* end = vid->data() + vid->size();
    const auto [ptr, ec] = std::from_chars(vid->data(), end, parsed);
    if (ec == std::errc() && ptr == end && !vid->empty()) version = parsed;
  }
  if (const std::string* lu = meta->string_at("lastUpdated")) {
    if (auto dt = parse_date_time(*lu)) updated = format_instant(dt->start);
  }
  return {version, updated};
}

}  // namespace

const std::string* resource_type(const Json& resource) {
  return resource.string_at("resourceType");
}
const std::string* resource_id(const Json& resource) { return resource.string_at("id"); }

SubjectRef subject_of(const Json& resource) {
  SubjectRef out;
  for (const char* element : {"subject", "patient"}) {
    const Json* ref = resource.find(element);
    if (ref == nullptr || ref->is_null()) continue;
    out.element = element;
    out.reference = read_reference(*ref);
    break;
  }
  return out;
}

bool newer_version(const Json& a, const Json& b) { return version_key(b) < version_key(a); }

std::vector<OutcomeIssue> read_operation_outcome(const Json& json) {
  std::vector<OutcomeIssue> out;
  const std::string* type = resource_type(json);
  if (type == nullptr || *type != "OperationOutcome") return out;
  for (const Json& i : json.items_at("issue")) {
    if (!i.is_object()) continue;
    OutcomeIssue issue;
    issue.severity = string_or_empty(i, "severity");
    issue.code = string_or_empty(i, "code");
    if (const Json* details = i.find("details")) issue.details = read_codeable_concept(*details);
    issue.diagnostics = string_or_empty(i, "diagnostics");
    for (const Json& e : i.items_at("expression"))
      if (const std::string* s = e.as_string()) issue.expression.push_back(*s);
    out.push_back(std::move(issue));
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
