// Robustness of build_model(): every resource of several scenario files is mutated
// systematically — each element at every depth (and the resource itself) replaced in turn by
// null, a number, a string, an empty object, an empty array and a 3-deep nested array — and
// the model must still be built: no exception, no crash (run this under the ASan build too),
// the patient kept, and every Diagnostic with a path and a reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "fhir/bundle.hpp"
#include "mapping/model.hpp"
#include "tests/mapping/test_support.hpp"

namespace ibd::mapping {
namespace {

namespace fs = std::filesystem;
using fhir::Json;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The terminology and a rule set built from the shipped value sets: their file names say what
// each is ("ibd-lab-crp", "ibd-drug-infliximab"), which is enough for the mapper to reach
// every reader. Only the units matter beyond that, for conversion.
struct Config {
  Terminology terminology;
  RuleSet rules;
};

Config shipped_config() {
  std::vector<Json> sets;
  RuleSet r;
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(fs::path(IBD_SOURCE_DIR) / "config/valuesets"))
    files.push_back(f.path());
  std::sort(files.begin(), files.end());
  std::vector<LabDef> antibodies, labs;
  for (const fs::path& f : files) {
    sets.push_back(testing::parse(read_file(f)));
    const std::string id = f.stem().string();
    auto named = [&](std::string_view prefix) { return id.substr(prefix.size()); };
    if (id.starts_with("ibd-condition-cmv")) {
      r.other_conditions.push_back({named("ibd-condition-"), id, id});
    } else if (id.starts_with("ibd-condition-")) {
      r.diseases.push_back({named("ibd-condition-"), id, id});
    } else if (id.starts_with("ibd-drug-")) {
      r.drugs.push_back({named("ibd-drug-"), "class", id, "", "", std::nullopt});
    } else if (id.starts_with("ibd-procedure-")) {
      r.procedures.push_back({named("ibd-procedure-"), id, id});
    } else if (id.starts_with("ibd-lab-")) {
      const std::string c = named("ibd-lab-");
      std::string unit;
      if (c == "calprotectin") unit = "ug/g";
      if (c == "crp" || c == "hs-crp") unit = "mg/L";
      if (c == "mayo-endoscopic" || c == "ses-cd") unit = "{score}";
      if (c.ends_with("-level")) unit = "ug/mL";
      const LabDef lab{c, id, unit, c, std::nullopt, std::nullopt};
      (c.ends_with("-antibody") || c == "hs-crp" ? antibodies : labs).push_back(lab);
    }
  }
  r.labs = antibodies;
  r.labs.insert(r.labs.end(), labs.begin(), labs.end());
  r.monogenic_defect.genes = {"IL10", "IL10RA", "IL10RB", "XIAP", "CYBB", "NCF1"};
  return {std::move(*Terminology::from_valuesets(sets)), std::move(r)};
}

// The patient data of a scenario: prefetch Bundles unpacked the way hooks/ hands them over,
// or (`whole`) passed as they are, for the model to unpack with their fullUrls.
PatientData scenario_data(const Json& scenario, bool whole) {
  PatientData d;
  const Json* request = scenario.find("request");
  const Json* context = request ? request->find("context") : nullptr;
  if (context && context->string_at("patientId")) d.patient_id = *context->string_at("patientId");
  if (const Json* prefetch = request ? request->find("prefetch") : nullptr) {
    if (const Json::Object* members = prefetch->as_object()) {
      for (const fhir::JsonMember& m : *members) {
        if (!whole && fhir::read_bundle(m.value)) {
          for (const Json* r : fhir::bundle_resources(m.value)) d.resources.push_back({m.key, *r});
        } else if (m.value.is_object()) {
          d.resources.push_back({m.key, m.value});
        }
      }
    }
  }
  if (const Json* drafts = context ? context->find("draftOrders") : nullptr) {
    if (whole) {
      d.draft_orders.push_back(*drafts);
    } else {
      for (const Json* r : fhir::bundle_resources(*drafts)) d.draft_orders.push_back(*r);
    }
  }
  return d;
}

// Every element of `json` at every depth, as a path of member / item positions.
void element_paths(const Json& json, std::vector<std::size_t>& path,
                   std::vector<std::vector<std::size_t>>& out) {
  out.push_back(path);
  std::size_t i = 0;
  if (const Json::Object* o = json.as_object()) {
    for (const fhir::JsonMember& m : *o) {
      path.push_back(i++);
      element_paths(m.value, path, out);
      path.pop_back();
    }
  } else if (const Json::Array* a = json.as_array()) {
    for (const Json& item : *a) {
      path.push_back(i++);
      element_paths(item, path, out);
      path.pop_back();
    }
  }
}

Json& at(Json& json, const std::vector<std::size_t>& path) {
  Json* node = &json;
  for (std::size_t i : path)
    node = node->as_object() ? &(*node->as_object())[i].value : &(*node->as_array())[i];
  return *node;
}

std::vector<Json> replacements() {
  return {Json(),
          Json::number(std::int64_t{42}),
          Json::string("x"),
          Json::object(),
          Json::array(),
          Json::array({Json::array({Json::array()})})};
}

class ModelRobustness : public ::testing::TestWithParam<std::tuple<const char*, bool>> {
 protected:
  static void SetUpTestSuite() { config_ = new Config(shipped_config()); }
  static void TearDownTestSuite() {
    delete config_;
    config_ = nullptr;
  }
  static Config* config_;
};
Config* ModelRobustness::config_ = nullptr;

TEST_P(ModelRobustness, EveryElementOfEveryResourceMutated) {
  const auto [name, whole] = GetParam();
  const fs::path file = fs::path(IBD_SOURCE_DIR) / "tests/scenarios" / name;
  PatientData data = scenario_data(testing::parse(read_file(file)), whole);
  ASSERT_FALSE(data.patient_id.empty());
  ASSERT_FALSE(data.resources.empty());
  const IbdModel baseline = build_model(data, config_->terminology, config_->rules);
  EXPECT_FALSE(baseline.diagnoses.empty() && baseline.therapies.empty() &&
               baseline.measurements.empty() && baseline.genes.empty());
  std::vector<Json*> resources;
  for (SourcedResource& r : data.resources) resources.push_back(&r.resource);
  for (Json& r : data.draft_orders) resources.push_back(&r);
  std::size_t builds = 0;
  for (Json* resource : resources) {
    std::vector<std::vector<std::size_t>> paths;
    std::vector<std::size_t> path;
    element_paths(*resource, path, paths);
    for (const auto& p : paths) {
      for (const Json& replacement : replacements()) {
        Json& node = at(*resource, p);
        Json original = std::move(node);
        node = replacement;
        IbdModel m;
        ASSERT_NO_THROW(m = build_model(data, config_->terminology, config_->rules))
            << name << ": " << resource->dump();
        ++builds;
        at(*resource, p) = std::move(original);
        ASSERT_EQ(m.patient_id, data.patient_id);
        for (const Diagnostic& d : m.diagnostics) {
          ASSERT_FALSE(d.path.empty()) << d.reason;
          ASSERT_FALSE(d.reason.empty()) << d.path;
        }
      }
    }
  }
  // Restored: the same model as before.
  const IbdModel again = build_model(data, config_->terminology, config_->rules);
  EXPECT_EQ(again.measurements.size(), baseline.measurements.size());
  EXPECT_EQ(again.therapies.size(), baseline.therapies.size());
  EXPECT_EQ(again.diagnostics.size(), baseline.diagnostics.size());
  EXPECT_GT(builds, 100u);
  RecordProperty("builds", static_cast<int>(builds));
}

// The model unpacks a Bundle itself: handing it the prefetch Bundles whole gives the same
// model as handing it their resources, for every scenario.
TEST(ModelBundles, WholeBundlesReadAsTheirResources) {
  const Config config = shipped_config();
  std::size_t files = 0;
  for (const auto& f : fs::directory_iterator(fs::path(IBD_SOURCE_DIR) / "tests/scenarios")) {
    const Json scenario = testing::parse(read_file(f.path()));
    const IbdModel a =
        build_model(scenario_data(scenario, false), config.terminology, config.rules);
    const IbdModel b = build_model(scenario_data(scenario, true), config.terminology, config.rules);
    const std::string name = f.path().filename().string();
    EXPECT_EQ(a.diagnoses.size(), b.diagnoses.size()) << name;
    EXPECT_EQ(a.therapies.size(), b.therapies.size()) << name;
    EXPECT_EQ(a.measurements.size(), b.measurements.size()) << name;
    EXPECT_EQ(a.genes.size(), b.genes.size()) << name;
    EXPECT_EQ(a.procedures.size(), b.procedures.size()) << name;
    EXPECT_EQ(a.diagnostics.size(), b.diagnostics.size()) << name;
    ++files;
  }
  EXPECT_GT(files, 100u);
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, ModelRobustness,
    ::testing::Combine(::testing::Values("tdm-reactive-fires-infliximab-active.json",
                                         "tdm-reactive-other-patient-not-named.json",
                                         "pgx-order-select-stu1-both-intermediate.json",
                                         "pgx-order-select-tpmt-intermediate-stu2.json",
                                         "pgx-order-select-nudt15-poor-stu3-mercaptopurine.json",
                                         "monogenic-xiap-likely-pathogenic-stu3-warning.json",
                                         "monogenic-positive-panel-il10ra-homozygous-critical.json",
                                         "hla-dqa1-05-carrier-infliximab-order-select.json",
                                         "ipaa-crohns-snomed-order-sign.json",
                                         "veo-onset-age-4-recorded-as-onset-age.json",
                                         "cmv-exclusion-iv-methylprednisolone-asuc.json",
                                         "screening-anti-hbc-positive-hbsag-negative.json"),
                       ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<const char*, bool>>& param) {
      std::string name = std::get<0>(param.param);
      name = name.substr(0, name.find('.')) + (std::get<1>(param.param) ? "_whole" : "_unpacked");
      for (char& c : name)
        if (c == '-') c = '_';
      return name;
    });

}  // namespace
}  // namespace ibd::mapping
