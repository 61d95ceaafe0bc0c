// Runs scenario files (tests/scenarios/*.json) through the hook engine, the same path as
// `ibd-cds evaluate`, and checks the expectations. Usage:
//   scenario_runner --config config/ibd-cds.yaml FILE...
// Scenario: {"title", "service", "now", "request": <hook request>, "expect": {"status": 200,
//   "rules": [rule ids fired, exactly], "cards": [{"rule", "indicator", "summaryContains": [],
//   "detailContains": [], "detailExcludes": [], "orderCodes": ["system|code"], "orderCount": N}],
//   "errorContains": "..." (for a non-200 status)}}
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/datetime.hpp"
#include "hooks/engine.hpp"
#include "server/config.hpp"
#include "tests/support/card_check.hpp"

namespace {

using ibd::fhir::Json;

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> strings(const Json* arr) {
  std::vector<std::string> out;
  if (arr && arr->is_array())
    for (const Json& v : *arr->as_array())
      if (v.is_string()) out.push_back(*v.as_string());
  return out;
}

// All "system|code" of create actions' resources, and their count.
std::pair<std::set<std::string>, std::size_t> orders_of(const Json& card) {
  std::set<std::string> codes;
  std::size_t count = 0;
  for (const Json& s : card.items_at("suggestions")) {
    for (const Json& a : s.items_at("actions")) {
      if (!a.string_at("type") || *a.string_at("type") != "create") continue;
      ++count;
      const Json* resource = a.find("resource");
      const Json* code = resource ? resource->find("code") : nullptr;
      if (code == nullptr) continue;
      for (const Json& c : code->items_at("coding"))
        if (c.string_at("system") && c.string_at("code"))
          codes.insert(*c.string_at("system") + "|" + *c.string_at("code"));
      if (code->string_at("text")) codes.insert("text|" + *code->string_at("text"));
    }
  }
  return {codes, count};
}

std::vector<std::string> check_card_expectation(const Json& expect, const Json& cards) {
  std::vector<std::string> out;
  const std::string rule = expect.string_at("rule") ? *expect.string_at("rule") : "";
  const Json* card = nullptr;
  for (const Json& c : *cards.as_array())
    if (ibd::testing::rule_of(c) == rule) card = &c;
  if (card == nullptr) return {"no card from rule " + rule};
  if (const std::string* ind = expect.string_at("indicator");
      ind && *ind != *card->string_at("indicator"))
    out.push_back(rule + ": indicator " + *card->string_at("indicator") + ", expected " + *ind);
  const std::string summary = card->string_at("summary") ? *card->string_at("summary") : "";
  const std::string detail = card->string_at("detail") ? *card->string_at("detail") : "";
  for (const auto& s : strings(expect.find("summaryContains")))
    if (summary.find(s) == std::string::npos)
      out.push_back(rule + ": summary lacks \"" + s + "\": " + summary);
  for (const auto& s : strings(expect.find("detailContains")))
    if (detail.find(s) == std::string::npos) out.push_back(rule + ": detail lacks \"" + s + "\"");
  for (const auto& s : strings(expect.find("detailExcludes")))
    if (detail.find(s) != std::string::npos)
      out.push_back(rule + ": detail should not contain \"" + s + "\"");
  auto [codes, count] = orders_of(*card);
  for (const auto& c : strings(expect.find("orderCodes")))
    if (!codes.contains(c)) out.push_back(rule + ": no suggested order coded " + c);
  if (const Json* n = expect.find("orderCount");
      n && n->as_int() && static_cast<std::size_t>(*n->as_int()) != count)
    out.push_back(rule + ": " + std::to_string(count) + " suggested orders, expected " +
                  std::to_string(*n->as_int()));
  return out;
}

std::vector<std::string> run(const ibd::hooks::Engine& engine, const std::string& path) {
  auto scenario = ibd::fhir::parse_json(read(path));
  if (!scenario) return {"scenario is not valid JSON: " + scenario.error().to_string()};
  const Json* request = scenario->find("request");
  const Json* expect = scenario->find("expect");
  const std::string* service = scenario->string_at("service");
  const std::string* now_text = scenario->string_at("now");
  if (!request || !expect || !service || !now_text)
    return {"scenario needs service, now, request and expect"};
  auto now = ibd::fhir::parse_date_time(*now_text);
  if (!now) return {"now is not a FHIR dateTime"};

  auto result = engine.call(*service, request->dump(), now->start);
  const std::int64_t want_status = expect->find("status") && expect->find("status")->as_int()
                                       ? *expect->find("status")->as_int()
                                       : 200;
  std::vector<std::string> out;
  if (!result) {
    const int status = ibd::http_status(result.error().kind);
    if (status != want_status)
      return {"status " + std::to_string(status) + " (" + result.error().message + "), expected " +
              std::to_string(want_status)};
    if (const std::string* c = expect->string_at("errorContains");
        c && result.error().message.find(*c) == std::string::npos)
      out.push_back("error message lacks \"" + *c + "\": " + result.error().message);
    return out;
  }
  if (want_status != 200) return {"status 200, expected " + std::to_string(want_status)};
  out = ibd::testing::check_response(result->response);
  const Json& cards = *result->response.find("cards");
  std::multiset<std::string> fired, expected;
  for (const Json& c : *cards.as_array()) fired.insert(ibd::testing::rule_of(c));
  for (const auto& r : strings(expect->find("rules"))) expected.insert(r);
  if (fired != expected) {
    std::string f, e;
    for (const auto& r : fired) f += r + " ";
    for (const auto& r : expected) e += r + " ";
    out.push_back("rules fired: [ " + f + "], expected [ " + e + "]");
  }
  if (const Json::Array* card_expects = expect->array_at("cards")) {
    for (const Json& ce : *card_expects) {
      auto problems = check_card_expectation(ce, cards);
      out.insert(out.end(), problems.begin(), problems.end());
    }
  }
  if (!out.empty()) {
    std::string trace;
    for (const auto& t : result->evaluation.trace)
      trace += "\n    trace " + t.rule_id + ": " + t.why;
    out.push_back("(rule trace)" + trace);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      files.push_back(arg);
    }
  }
  if (config_path.empty() || files.empty()) {
    std::fprintf(stderr, "usage: scenario_runner --config FILE SCENARIO...\n");
    return 2;
  }
  auto cfg = ibd::config::load_config(config_path);
  if (!cfg) {
    std::fprintf(stderr, "config: %s\n", cfg.error().c_str());
    return 2;
  }
  const ibd::hooks::Engine engine(cfg->engine);
  int failed = 0;
  for (const std::string& f : files) {
    auto problems = run(engine, f);
    std::printf("%s %s\n", problems.empty() ? "PASS" : "FAIL", f.c_str());
    for (const auto& p : problems) std::printf("  - %s\n", p.c_str());
    failed += problems.empty() ? 0 : 1;
  }
  std::printf("%zu passed, %d failed\n", files.size() - static_cast<std::size_t>(failed), failed);
  return failed == 0 ? 0 : 1;
}
