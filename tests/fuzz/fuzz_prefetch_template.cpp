// fuzz_prefetch_template: ibd::hooks::render_template on a fuzzed template and context.
// Input: the template up to the first newline, then the hook context as JSON (the userId in
// it also feeds the {{userPractitionerId}}-style tokens). No validation of the context is
// done first: the renderer must hold up on any request it is handed.
// Properties:
//  - agreement with a small independent model of the template language ({{ token }} with
//    surrounding spaces ignored; context.<key> string members and the user* ids; a missing
//    or empty value, or an unterminated "{{", fails) whose values are percent-encoded to
//    RFC 3986 unreserved characters;
//  - whatever the values hold, the output has no more '&', '#', '?', '/', '=', spaces, control
//    or non-ASCII bytes than the template's literal text: a value can never add a
//    query parameter, a path segment or a fragment;
//  - plan_prefetch with the shipped services' templates and this context yields queries
//    with as many '&' as the template and no space, '#', or control byte.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fhir/datatypes.hpp"
#include "fhir/json.hpp"
#include "hooks/prefetch.hpp"
#include "hooks/request.hpp"
#include "tests/fuzz/fuzz_config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using ibd::fhir::Json;
using ibd::hooks::HookRequest;

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string encode(std::string_view value) {
  std::string out;
  char hex[4];
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out.push_back(ch);
    } else {
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

std::optional<std::string> user_id_of(const HookRequest& r, std::string_view type) {
  auto ref = ibd::fhir::parse_reference(r.user_id);
  if (!ref || ref->type != type) return std::nullopt;
  return ref->id;
}

std::optional<std::string> lookup(std::string_view token, const HookRequest& r) {
  constexpr std::string_view kContext = "context.";
  if (token.starts_with(kContext)) {
    const Json* v = r.context.find(token.substr(kContext.size()));
    if (v == nullptr || v->as_string() == nullptr) return std::nullopt;
    return *v->as_string();
  }
  if (token == "userPractitionerId") return user_id_of(r, "Practitioner");
  if (token == "userPractitionerRoleId") return user_id_of(r, "PractitionerRole");
  if (token == "userPatientId") return user_id_of(r, "Patient");
  if (token == "userRelatedPersonId") return user_id_of(r, "RelatedPerson");
  return std::nullopt;
}

struct Model {
  std::optional<std::string> output;  // nullopt: rendering must fail
  std::string literals;               // the template text outside the tokens
};

Model model(std::string_view t, const HookRequest& r) {
  Model m;
  std::string out;
  for (;;) {
    const auto open = t.find("{{");
    if (open == std::string_view::npos) break;
    const auto close = t.find("}}", open + 2);
    if (close == std::string_view::npos) return m;
    out.append(t.substr(0, open));
    m.literals.append(t.substr(0, open));
    std::string_view token = t.substr(open + 2, close - open - 2);
    const auto first = token.find_first_not_of(' ');
    token = first == std::string_view::npos ? std::string_view{}
                                            : token.substr(first, token.find_last_not_of(' ') + 1 - first);
    auto value = lookup(token, r);
    if (!value || value->empty()) return m;
    out += encode(*value);
    t.remove_prefix(close + 2);
  }
  out.append(t);
  m.literals.append(t);
  m.output = std::move(out);
  return m;
}

std::size_t count_risky(std::string_view s) {
  std::size_t n = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '&' || c == '#' || c == '?' || c == '/' || c == '=' || c == ' ' || c < 0x20 ||
        c >= 0x7F)
      ++n;
  }
  return n;
}

std::size_t count_of(std::string_view s, char c) {
  std::size_t n = 0;
  for (char x : s) n += x == c ? 1 : 0;
  return n;
}

void check_plans(const HookRequest& base) {
  HookRequest r = base;
  r.fhir_server = "https://ehr.example.org/fhir";  // so every absent key is planned
  for (const auto& service : ibd::fuzz::shipped_config().engine->catalog.services()) {
    const auto plan = ibd::hooks::plan_prefetch(r, service);
    for (const auto& need : plan.needs) {
      FUZZ_CHECK(!need.continuation);  // no prefetch was sent
      const auto* def = service.find_prefetch(need.key);
      FUZZ_CHECK(def != nullptr);
      FUZZ_CHECK(count_of(need.query, '&') == count_of(def->query, '&'));
      FUZZ_CHECK(count_of(need.query, '#') == count_of(def->query, '#'));
      for (char ch : need.query) {
        const auto c = static_cast<unsigned char>(ch);
        FUZZ_CHECK(c > 0x20 && c < 0x7F);
      }
    }
    FUZZ_CHECK(plan.needs.size() + plan.unfetchable.size() == service.prefetch.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [templ, context_text] = ibd::fuzz::split_once(ibd::fuzz::as_text(data, size), '\n');
  auto context = ibd::fhir::parse_json(context_text, ibd::fhir::ParseOptions{8});
  if (!context) return 0;
  HookRequest request;
  request.hook = "patient-view";
  request.hook_instance = "fuzz";
  request.context = std::move(*context);
  if (const std::string* user = request.context.string_at("userId")) request.user_id = *user;
  if (const std::string* patient = request.context.string_at("patientId"))
    request.patient_id = *patient;

  auto rendered = ibd::hooks::render_template(templ, request);
  const Model expected = model(templ, request);
  if (!rendered) {
    FUZZ_CHECK(!rendered.error().empty());
    FUZZ_CHECK(templ.find("{{") != std::string_view::npos);
    FUZZ_CHECK(!expected.output.has_value());
  } else {
    FUZZ_CHECK(expected.output.has_value());
    FUZZ_CHECK(*rendered == *expected.output);
    FUZZ_CHECK(count_risky(*rendered) == count_risky(expected.literals));
    if (templ.find("{{") == std::string_view::npos) FUZZ_CHECK(*rendered == templ);
  }
  check_plans(request);
  return 0;
}
