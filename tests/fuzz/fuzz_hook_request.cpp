// fuzz_hook_request: a request body as an EHR would POST it, run against every service of the
// shipped catalogue (config/ibd-cds.yaml): ibd::hooks::parse_request on the parsed JSON, and
// the whole hooks::Engine::call path (prefetch plan, assembly, mapping, rules, cards) with no
// fetcher, at a fixed `now`, so mapping and rules see fuzzed FHIR.
// Properties:
//  - parse_request: an accepted request is for this service's hook, with a FHIR-id patientId,
//    a "Type/id" userId, and a fhirServer whenever fhirAuthorization is given; a refusal is a
//    400 whose message does not depend on the access token's or the patientId's value (it
//    never repeats them);
//  - Engine::call agrees with parse_request (same refusal), answers only 400 or 412 (412 with
//    an OperationOutcome), and a success is a CDS Hooks response whose cards pass the
//    structural checks the scenario tests use (tests/support/card_check), and that survives
//    a JSON round trip;
//  - an unknown service id is a 404.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json.hpp"
#include "hooks/engine.hpp"
#include "hooks/request.hpp"
#include "tests/fuzz/fuzz_config.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/support/card_check.hpp"

namespace {

using ibd::ErrorKind;
using ibd::fhir::Json;
using ibd::hooks::Engine;
using ibd::hooks::ServiceDef;

const Engine& engine() {
  static const Engine instance(ibd::fuzz::shipped_config().engine);
  return instance;
}

// The scenarios' clock (tests/scenarios/*.json all judge at this instant).
ibd::fhir::TimePoint fixed_now() {
  using namespace std::chrono;
  return sys_days{year{2026} / June / 1} + hours{9};
}

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

bool is_fhir_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!is_id_char(c)) return false;
  return true;
}

// A string member reached by path, or nullptr.
const std::string* string_at_path(const Json& body, std::string_view outer, std::string_view key) {
  const Json* o = body.find(outer);
  return o == nullptr ? nullptr : o->string_at(key);
}

// Metamorphic leak check: when the refusal message contains `secret`, the same request with
// `secret` replaced by other bytes of the same length must still produce a message that
// contains it (so it is text of the message itself, not the echoed value).
void check_not_echoed(const Json& body, const ServiceDef& service, std::string_view outer,
                      std::string_view key, const std::string& message) {
  const std::string* secret = string_at_path(body, outer, key);
  if (secret == nullptr || secret->size() < 6) return;
  if (message.find(*secret) == std::string::npos) return;
  Json changed = body;
  Json* holder = changed.find(outer);
  const char filler = secret->front() == 'Z' ? 'Y' : 'Z';
  holder->set(std::string(key), Json::string(std::string(secret->size(), filler)));
  auto again = ibd::hooks::parse_request(changed, service);
  if (again) return;  // the value itself was the fault; a different one is fine
  FUZZ_CHECK(again.error().message.find(*secret) != std::string::npos);
}

void check_request(const Json& body, const ServiceDef& service,
                   const std::expected<ibd::hooks::HookRequest, ibd::Error>& parsed) {
  if (!parsed) {
    const ibd::Error& e = parsed.error();
    FUZZ_CHECK(e.kind == ErrorKind::kInvalidRequest);
    FUZZ_CHECK(!e.message.empty());
    check_not_echoed(body, service, "fhirAuthorization", "access_token", e.message);
    check_not_echoed(body, service, "context", "patientId", e.message);
    return;
  }
  const auto& r = *parsed;
  FUZZ_CHECK(r.hook == service.hook);
  FUZZ_CHECK(!r.hook_instance.empty());
  FUZZ_CHECK(is_fhir_id(r.patient_id));
  FUZZ_CHECK(r.encounter_id.empty() || is_fhir_id(r.encounter_id));
  const auto slash = r.user_id.find('/');
  FUZZ_CHECK(slash != std::string::npos && slash > 0 && is_fhir_id(r.user_id.substr(slash + 1)));
  FUZZ_CHECK(!r.fhir_authorization || !r.fhir_server.empty());
  FUZZ_CHECK(r.context.is_object());
  for (const auto& [key, value] : r.prefetch) {
    FUZZ_CHECK(service.find_prefetch(key) != nullptr);  // keys not asked for are dropped
    FUZZ_CHECK(value.is_null() || value.is_object());
  }
  if (service.hook == "order-select" || service.hook == "order-sign")
    FUZZ_CHECK(r.draft_orders.has_value());
}

void check_call(const ServiceDef& service, std::string_view body,
                const std::expected<ibd::hooks::HookRequest, ibd::Error>* parsed) {
  auto result = engine().call(service.id, body, fixed_now());
  if (parsed != nullptr && !*parsed) {
    FUZZ_CHECK(!result.has_value());
    FUZZ_CHECK(result.error().kind == parsed->error().kind);
    FUZZ_CHECK(result.error().message == parsed->error().message);
    return;
  }
  if (!result) {
    const ibd::Error& e = result.error();
    if (parsed == nullptr) {  // the body is not JSON
      FUZZ_CHECK(e.kind == ErrorKind::kInvalidRequest);
      return;
    }
    FUZZ_CHECK(e.kind == ErrorKind::kPreconditionFailed);
    FUZZ_CHECK(e.resource.has_value());
    const std::string* type = e.resource->string_at("resourceType");
    FUZZ_CHECK(type != nullptr && *type == "OperationOutcome");
    return;
  }
  FUZZ_CHECK(parsed != nullptr);
  const Json& response = result->response;
  const auto problems = ibd::testing::check_response(response);
  if (!problems.empty()) {
    std::fprintf(stderr, "fuzz: %s: invalid CDS response: %s\n", service.id.c_str(),
                 problems.front().c_str());
    FUZZ_CHECK(problems.empty());
  }
  auto reparsed = ibd::fhir::parse_json(response.dump());
  FUZZ_CHECK(reparsed.has_value() && *reparsed == response);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = ibd::fuzz::as_text(data, size);
  const Engine& e = engine();
  auto body = ibd::fhir::parse_json(text, e.config().json);
  for (const ServiceDef& service : e.catalog().services()) {
    if (!body) {
      check_call(service, text, nullptr);
      continue;
    }
    auto parsed = ibd::hooks::parse_request(*body, service);
    check_request(*body, service, parsed);
    check_call(service, text, &parsed);
  }
  auto unknown = e.call("no-such-service", text, fixed_now());
  FUZZ_CHECK(!unknown && unknown.error().kind == ErrorKind::kNotFound);
  return 0;
}
