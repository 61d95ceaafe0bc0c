#include "conformance/fixtures.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "conformance/loopback_server.hpp"

namespace ibd::conformance {
namespace {

using fhir::Json;
namespace fs = std::filesystem;

bool digits(const std::string& s, std::size_t from, std::size_t n) {
  if (s.size() < from + n) return false;
  for (std::size_t i = from; i < from + n; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

std::optional<std::string> shift_one(const std::string& s, int days) {
  if (!digits(s, 0, 4) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' ||
      !digits(s, 8, 2) || (s.size() > 10 && s[10] != 'T'))
    return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{std::stoi(s.substr(0, 4))},
                           month{static_cast<unsigned>(std::stoi(s.substr(5, 2)))},
                           day{static_cast<unsigned>(std::stoi(s.substr(8, 2)))}};
  if (!ymd.ok()) return std::nullopt;
  const year_month_day moved{sys_days{ymd} + std::chrono::days{days}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(moved.year()),
                static_cast<unsigned>(moved.month()), static_cast<unsigned>(moved.day()));
  return std::string(text) + s.substr(10);
}

std::expected<std::chrono::sys_days, std::string> parse_day(const std::string& s) {
  const auto same = shift_one(s, 0);
  if (!same || s.size() != 10) return std::unexpected("asOf must be a date (YYYY-MM-DD)");
  using namespace std::chrono;
  return sys_days{year_month_day{year{std::stoi(s.substr(0, 4))},
                                 month{static_cast<unsigned>(std::stoi(s.substr(5, 2)))},
                                 day{static_cast<unsigned>(std::stoi(s.substr(8, 2)))}}};
}

std::expected<FixturePatient, std::string> parse_fixture(const Json& doc,
                                                         std::chrono::sys_days today) {
  FixturePatient p;
  const std::string* name = doc.string_at("name");
  const std::string* as_of = doc.string_at("asOf");
  const Json* context = doc.find("context");
  if (name == nullptr || as_of == nullptr || context == nullptr || !context->is_object() ||
      context->string_at("patientId") == nullptr)
    return std::unexpected("needs name, asOf and context.patientId");
  const auto day = parse_day(*as_of);
  if (!day) return std::unexpected(day.error());
  const int shift = static_cast<int>((today - *day).count());
  p.name = *name;
  if (const std::string* d = doc.string_at("description")) p.description = *d;
  if (const Json* g = doc.find("expectGuidance"); g && g->as_bool())
    p.expect_guidance = *g->as_bool();
  p.context = *context;
  for (const Json& r : doc.items_at("resources")) p.resources.push_back(shift_dates(r, shift));
  for (const Json& r : doc.items_at("draftOrders")) p.draft_orders.push_back(shift_dates(r, shift));
  for (const Json& s : doc.items_at("selections"))
    if (const std::string* v = s.as_string()) p.selections.push_back(*v);
  const auto has_patient = std::any_of(p.resources.begin(), p.resources.end(), [&](const Json& r) {
    return r.string_at("resourceType") && *r.string_at("resourceType") == "Patient" &&
           r.string_at("id") && *r.string_at("id") == p.patient_id();
  });
  if (!has_patient) return std::unexpected("no Patient resource with the context's patientId");
  return p;
}

}  // namespace

std::string FixturePatient::patient_id() const {
  const std::string* id = context.string_at("patientId");
  return id ? *id : std::string();
}

Json shift_dates(Json value, int days) {
  if (const std::string* s = value.as_string()) {
    if (auto moved = shift_one(*s, days)) return Json::string(*moved);
  } else if (Json::Array* a = value.as_array()) {
    for (Json& v : *a) v = shift_dates(std::move(v), days);
  } else if (Json::Object* o = value.as_object()) {
    for (fhir::JsonMember& m : *o) m.value = shift_dates(std::move(m.value), days);
  }
  return value;
}

std::expected<std::vector<FixturePatient>, std::string> load_fixtures(const std::string& dir,
                                                                      std::chrono::sys_days today) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  if (ec) return std::unexpected("cannot read the fixture folder " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<FixturePatient> out;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto doc = fhir::parse_json(text.str(), {.max_depth = 128});
    if (!doc) return std::unexpected(f.string() + ": " + doc.error().to_string());
    auto p = parse_fixture(*doc, today);
    if (!p) return std::unexpected(f.string() + ": " + p.error());
    out.push_back(std::move(*p));
  }
  if (out.empty()) return std::unexpected("no fixture patients in " + dir);
  return out;
}

bool is_known_hook(const std::string& hook) {
  return hook == "patient-view" || hook == "order-select" || hook == "order-sign" ||
         hook == "order-dispatch" || hook == "encounter-start" || hook == "encounter-discharge";
}

std::vector<std::string> primitive_context_fields(const std::string& hook) {
  if (hook == "order-dispatch") return {"patientId", "performer"};
  if (hook == "patient-view" || hook == "order-select" || hook == "order-sign" ||
      hook == "encounter-start" || hook == "encounter-discharge")
    return {"userId", "patientId", "encounterId"};
  return {};
}

std::optional<Json> hook_context(const FixturePatient& patient, const std::string& hook) {
  Json ctx = Json::object();
  for (const char* key : {"userId", "patientId", "encounterId"})
    if (const Json* v = patient.context.find(key)) ctx.set(key, *v);
  if (hook != "order-select" && hook != "order-sign") return ctx;
  if (patient.draft_orders.empty()) return std::nullopt;
  Json bundle = Json::object()
                    .set("resourceType", Json::string("Bundle"))
                    .set("type", Json::string("collection"))
                    .set("entry", Json::array());
  Json selections = Json::array();
  for (const Json& order : patient.draft_orders) {
    bundle.find("entry")->push(Json::object().set("resource", order));
    selections.push(Json::string(*order.string_at("resourceType") + "/" + *order.string_at("id")));
  }
  ctx.set("draftOrders", std::move(bundle));
  if (hook == "order-select") {
    if (!patient.selections.empty()) {
      selections = Json::array();
      for (const std::string& s : patient.selections) selections.push(Json::string(s));
    }
    ctx.set("selections", std::move(selections));
  }
  return ctx;
}

std::expected<std::string, std::string> render_prefetch(const std::string& query,
                                                        const Json& context) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const auto open = query.find("{{", at);
    if (open == std::string::npos) {
      out += query.substr(at);
      break;
    }
    const auto close = query.find("}}", open + 2);
    if (close == std::string::npos) return std::unexpected("an unclosed {{ token");
    out += query.substr(at, open - at);
    std::string token = query.substr(open + 2, close - open - 2);
    token.erase(0, token.find_first_not_of(' '));
    token.erase(token.find_last_not_of(' ') + 1);
    std::optional<std::string> value;
    if (token.starts_with("context.")) {
      if (const std::string* v = context.string_at(token.substr(8))) value = *v;
    } else {
      const std::string* user = context.string_at("userId");
      const std::pair<const char*, const char*> kinds[] = {
          {"userPractitionerId", "Practitioner/"},
          {"userPractitionerRoleId", "PractitionerRole/"},
          {"userPatientId", "Patient/"},
          {"userRelatedPersonId", "RelatedPerson/"}};
      for (const auto& [name, prefix] : kinds)
        if (token == name && user && user->starts_with(prefix))
          value = user->substr(std::string(prefix).size());
    }
    if (!value) return std::unexpected("no value for {{" + token + "}} in this request");
    out += url_encode(*value);
    at = close + 2;
  }
  return out;
}

std::string random_uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  std::string s = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  static const char* kHex = "0123456789abcdef";
  for (char& c : s) {
    if (c == 'x')
      c = kHex[nibble(rng)];
    else if (c == 'y')
      c = kHex[8 + (nibble(rng) & 3)];
  }
  return s;
}

}  // namespace ibd::conformance
