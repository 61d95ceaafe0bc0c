// model_bench: how fast one patient's FHIR record becomes an IbdModel and advice.
//
// Reads a FHIR R4 Bundle (collection or searchset; bench/make_patient_bundle.py writes a
// realistic ~2 MB one), loads the server configuration (terminology and rules), and times,
// over N iterations after one warm-up, each stage the server runs for one hook call:
//   parse_json        the Bundle text -> fhir::Json
//   -> PatientData    entries sorted under their prefetch keys (as hooks/prefetch.cpp does)
//   build_model       mapping::build_model
//   evaluate          mapping::evaluate (patient-view)
//   render_cards      hooks::render_cards
//   free              destroying all of the above
// and, separately, Engine::call on the same data sent as a patient-view hook request (the
// whole pipeline without HTTP: parse, validate, prefetch, model, rules, cards). It prints the
// median, p95 and minimum per stage, resources/s and MB/s, and peak RSS (getrusage
// ru_maxrss) before and after each phase. A measurement, not a test: it never fails on time.
//
// Usage: model_bench [--config FILE] [--iterations N] [--now INSTANT] BUNDLE.json
// "now" defaults to the Bundle's `timestamp`.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/datetime.hpp"
#include "fhir/json.hpp"
#include "fhir/resource.hpp"
#include "hooks/cards.hpp"
#include "hooks/engine.hpp"
#include "mapping/evaluate.hpp"
#include "mapping/model.hpp"
#include "mapping/patient_data.hpp"
#include "server/config.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using ibd::fhir::Json;

constexpr std::string_view kService = "ibd-patient-view";
constexpr std::string_view kUser = "Practitioner/bench-user";

// Peak resident set size of this process so far, in MiB.
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Current resident set size (VmRSS), in MiB; 0 when /proc is unavailable.
double current_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  return 0;
}

void print_rss(const char* when) {
  std::printf("  RSS %-34s current %7.1f MiB   peak (ru_maxrss) %7.1f MiB\n", when,
              current_rss_mib(), peak_rss_mib());
}

// The prefetch key the server's default services use for each resource type.
std::string key_for(const std::string& type) {
  static const std::map<std::string, std::string, std::less<>> kKeys = {
      {"Patient", "patient"},
      {"Condition", "conditions"},
      {"Observation", "observations"},
      {"MedicationStatement", "medications"},
      {"MedicationRequest", "medication-requests"},
      {"Procedure", "procedures"}};
  auto it = kKeys.find(type);
  return it == kKeys.end() ? "other" : it->second;
}

// A Bundle's entries as mapping::PatientData, each resource copied under its prefetch key
// (the copy is what hooks::assemble_patient_data does too); the Patient first.
ibd::mapping::PatientData to_patient_data(const Json& bundle) {
  ibd::mapping::PatientData data;
  const std::vector<const Json*> resources = ibd::fhir::bundle_resources(bundle);
  data.resources.reserve(resources.size());
  for (const Json* r : resources) {
    const std::string* type = ibd::fhir::resource_type(*r);
    const std::string key = key_for(type != nullptr ? *type : "");
    if (key == "patient") {
      if (const std::string* id = ibd::fhir::resource_id(*r)) data.patient_id = *id;
      data.resources.insert(data.resources.begin(), {key, *r});
    } else {
      data.resources.push_back({key, *r});
    }
  }
  return data;
}

// The same record as a patient-view hook request: the Patient, and one searchset per key.
std::string hook_request_body(const ibd::mapping::PatientData& data) {
  std::map<std::string, Json::Array> entries;  // per prefetch key
  Json patient;
  for (const auto& r : data.resources) {
    if (r.key == "patient") {
      patient = r.resource;
      continue;
    }
    Json entry = Json::object();
    entry.set("resource", r.resource)
        .set("search", Json::object().set("mode", Json::string("match")));
    entries[r.key].push_back(std::move(entry));
  }
  Json prefetch = Json::object();
  prefetch.set("patient", std::move(patient));
  for (auto& [key, items] : entries) {
    Json bundle = Json::object();
    bundle.set("resourceType", Json::string("Bundle"))
        .set("type", Json::string("searchset"))
        .set("entry", Json::array(std::move(items)));
    prefetch.set(key, std::move(bundle));
  }
  Json context = Json::object();
  context.set("userId", Json::string(std::string(kUser)))
      .set("patientId", Json::string(data.patient_id));
  Json body = Json::object();
  body.set("hookInstance", Json::string("5f0c8e2a-3b7d-4c1e-9a6f-2d8b4e7c1a90"))
      .set("hook", Json::string("patient-view"))
      .set("context", std::move(context))
      .set("prefetch", std::move(prefetch));
  return body.dump();
}

struct Samples {
  std::vector<double> ms;
  double percentile(double p) const {  // nearest-rank
    std::vector<double> v = ms;
    std::sort(v.begin(), v.end());
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
  }
  double min() const { return *std::min_element(ms.begin(), ms.end()); }
};

double ms_since(Clock::time_point& t) {
  const Clock::time_point now = Clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - t).count();
  t = now;
  return ms;
}

// resources == 0: the stage does not read the input (throughput columns left empty).
void print_row(const char* stage, const Samples& s, std::size_t resources, std::size_t bytes) {
  const double median = s.percentile(50);
  std::printf("  %-27s %9.2f %9.2f %9.2f", stage, median, s.percentile(95), s.min());
  if (resources == 0) {
    std::printf(" %12s %9s\n", "-", "-");
    return;
  }
  std::printf(" %12.0f %9.1f\n", static_cast<double>(resources) / (median / 1000.0),
              static_cast<double>(bytes) / 1e6 / (median / 1000.0));
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--config FILE] [--iterations N] [--now INSTANT] BUNDLE.json\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "config/ibd-cds.yaml";
  std::string bundle_path;
  std::string now_text;
  int iterations = 50;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--iterations" && i + 1 < argc) {
      iterations = std::atoi(argv[++i]);
    } else if (arg == "--now" && i + 1 < argc) {
      now_text = argv[++i];
    } else if (!arg.starts_with("-") && bundle_path.empty()) {
      bundle_path = argv[i];
    } else {
      return usage(argv[0]);
    }
  }
  if (bundle_path.empty() || iterations < 1) return usage(argv[0]);

  std::puts("model_bench: FHIR Bundle -> IbdModel -> advice, one patient per iteration");
  print_rss("at start");
  auto cfg = ibd::config::load_config(config_path);
  if (!cfg) {
    std::fprintf(stderr, "model_bench: %s\n", cfg.error().c_str());
    return 1;
  }
  const ibd::hooks::EngineConfig& engine_config = *cfg->engine;
  print_rss("after loading the configuration");

  std::ifstream in(bundle_path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "model_bench: cannot read %s\n", bundle_path.c_str());
    return 1;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  print_rss("after reading the file");
  const double rss_before = peak_rss_mib();
  double peak_after_warmup = rss_before;

  // Untimed: check the input and learn its shape.
  auto first = ibd::fhir::parse_json(text, engine_config.json);
  if (!first) {
    std::fprintf(stderr, "model_bench: %s: %s\n", bundle_path.c_str(),
                 first.error().to_string().c_str());
    return 1;
  }
  const std::string* type = ibd::fhir::resource_type(*first);
  if (type == nullptr || *type != "Bundle") {
    std::fprintf(stderr, "model_bench: %s is not a FHIR Bundle\n", bundle_path.c_str());
    return 1;
  }
  if (now_text.empty()) {
    const std::string* stamp = first->string_at("timestamp");
    if (stamp == nullptr) {
      std::fprintf(stderr, "model_bench: the Bundle has no timestamp; pass --now\n");
      return 1;
    }
    now_text = *stamp;
  }
  const auto now = ibd::fhir::parse_date_time(now_text);
  if (!now) {
    std::fprintf(stderr, "model_bench: bad --now %s\n", now_text.c_str());
    return 1;
  }
  const ibd::mapping::PatientData probe = to_patient_data(*first);
  const std::size_t resources = probe.resources.size();
  const std::string request_body = hook_request_body(probe);
  first = Json();
  const ibd::hooks::CardContext card_context{probe.patient_id, "", std::string(kUser)};

  Samples parse, split, model, evaluate, cards, release, total, engine_call;
  std::size_t fired = 0, cards_out = 0, measurements = 0, therapies = 0, diagnostics = 0;
  std::string rules_fired;
  for (int i = 0; i <= iterations; ++i) {  // iteration 0 is the warm-up
    const Clock::time_point start = Clock::now();
    Clock::time_point t = start;
    double d_parse, d_split, d_model, d_eval, d_cards;
    {
      auto json = ibd::fhir::parse_json(text, engine_config.json);
      d_parse = ms_since(t);
      ibd::mapping::PatientData data = to_patient_data(*json);
      d_split = ms_since(t);
      ibd::mapping::IbdModel m =
          ibd::mapping::build_model(data, engine_config.terminology, engine_config.rules);
      d_model = ms_since(t);
      ibd::mapping::Evaluation e =
          ibd::mapping::evaluate(m, {"patient-view"}, engine_config.rules, now->start);
      d_eval = ms_since(t);
      Json rendered = ibd::hooks::render_cards(e.advice, card_context, engine_config.style);
      d_cards = ms_since(t);
      if (i == 0) {
        fired = e.advice.size();
        for (const auto& a : e.advice) rules_fired += (rules_fired.empty() ? "" : ", ") + a.rule_id;
        cards_out = rendered.items().size();
        measurements = m.measurements.size();
        therapies = m.therapies.size();
        diagnostics = m.diagnostics.size();
      }
    }
    const double d_release = ms_since(t);
    const double d_total = std::chrono::duration<double, std::milli>(t - start).count();
    if (i == 0) {
      print_rss("after the warm-up iteration");
      peak_after_warmup = peak_rss_mib();
      continue;
    }
    parse.ms.push_back(d_parse);
    split.ms.push_back(d_split);
    model.ms.push_back(d_model);
    evaluate.ms.push_back(d_eval);
    cards.ms.push_back(d_cards);
    release.ms.push_back(d_release);
    total.ms.push_back(d_total);
  }
  print_rss("after the staged iterations");

  const ibd::hooks::Engine engine(cfg->engine);
  for (int i = 0; i <= iterations; ++i) {
    Clock::time_point t = Clock::now();
    auto result = engine.call(kService, request_body, now->start);
    if (!result) {
      std::fprintf(stderr, "model_bench: Engine::call failed: %s\n",
                   result.error().message.c_str());
      return 1;
    }
    result = {};
    if (i > 0) engine_call.ms.push_back(ms_since(t));
  }
  print_rss("after the Engine::call iterations");

  std::printf(
      "\ninput: %s: %zu bytes (%.2f MB), %zu resources; now %s; %d iterations + 1 warm-up\n",
      bundle_path.c_str(), text.size(), static_cast<double>(text.size()) / 1e6, resources,
      now_text.c_str(), iterations);
  std::printf(
      "model: %zu measurements, %zu therapies, %zu diagnostics; %zu advice (%s), %zu cards\n",
      measurements, therapies, diagnostics, fired,
      rules_fired.empty() ? "none" : rules_fired.c_str(), cards_out);
  std::printf("\n  %-27s %9s %9s %9s %12s %9s\n", "stage (one patient)", "median ms", "p95 ms",
              "min ms", "resources/s", "MB/s");
  print_row("parse_json", parse, resources, text.size());
  print_row("bundle -> PatientData", split, resources, text.size());
  print_row("build_model", model, resources, text.size());
  print_row("evaluate", evaluate, 0, 0);
  print_row("render_cards", cards, 0, 0);
  print_row("free", release, resources, text.size());
  print_row("total", total, resources, text.size());
  print_row("Engine::call (hook request)", engine_call, resources, request_body.size());
  std::printf(
      "  (Engine::call: a patient-view request of %zu bytes with the same resources as prefetch)\n",
      request_body.size());
  std::printf("\nms per patient (total, median): %.2f = %.1f patients/s on one core\n",
              total.percentile(50), 1000.0 / total.percentile(50));
  std::printf(
      "memory: %.1f MiB peak RSS before any patient, %.1f MiB after; one %.2f MB patient in "
      "flight costs about %.1f MiB\n",
      rss_before, peak_after_warmup, static_cast<double>(text.size()) / 1e6,
      peak_after_warmup - rss_before);
  return 0;
}
