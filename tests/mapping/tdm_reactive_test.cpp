// tdm-reactive by table: each row changes one input from a firing baseline.
#include <gtest/gtest.h>

#include "mapping/evaluate.hpp"
#include "tests/mapping/test_support.hpp"

namespace ibd::mapping {
namespace {

using namespace ibd::testing;

struct Row {
  const char* name;
  std::string therapy_start;
  std::string calprotectin;  // "" = none
  std::string crp_mg_dl;     // "" = none
  std::string level;         // "" = none
  bool antibody;
  std::string hook;
  bool fires;
};

fhir::TimePoint now() { return fhir::parse_date_time("2026-06-01T09:00:00Z")->start; }

Evaluation run(const Row& row) {
  std::vector<fhir::Json> r{crohns(),
                            medication_statement("m1", "191831", "infliximab", row.therapy_start)};
  if (!row.calprotectin.empty())
    r.push_back(observation("fc", "38445-3", row.calprotectin, "ug/g", "2026-05-20"));
  if (!row.crp_mg_dl.empty())
    r.push_back(observation("crp", "1988-5", row.crp_mg_dl, "mg/dL", "2026-05-20"));
  if (!row.level.empty())
    r.push_back(observation("lvl", "39803-2", row.level, "ug/mL", "2026-05-20"));
  if (row.antibody) {
    r.push_back(parse(
        R"({"resourceType":"Observation","id":"ab","status":"final","code":{"text":"Antibodies to infliximab"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-05-20","valueString":"Detected","interpretation":[{"coding":[{"code":"POS"}]}]})"));
  }
  const auto terminology = test_terminology();
  const auto rules = test_rules();
  const IbdModel model = build_model(patient_data(std::move(r)), terminology, rules);
  return evaluate(model, {row.hook}, rules, now());
}

class TdmReactive : public ::testing::TestWithParam<Row> {};

TEST_P(TdmReactive, FiresAsSpecified) {
  const Row& row = GetParam();
  const Evaluation e = run(row);
  bool fired = false;
  for (const Advice& a : e.advice) fired = fired || a.rule_id == "tdm-reactive";
  std::string why;
  for (const auto& t : e.trace) why += t.rule_id + ": " + t.why + "\n";
  EXPECT_EQ(fired, row.fires) << why;
}

INSTANTIATE_TEST_SUITE_P(
    Table, TdmReactive,
    ::testing::Values(
        Row{"baseline_fires", "2025-10-01", "480", "", "", false, "patient-view", true},
        Row{"crp_only_fires", "2025-10-01", "", "1.8", "", false, "patient-view", true},
        Row{"crp_1_0_mgdl_is_10_not_above", "2025-10-01", "", "1.0", "", false, "patient-view",
            false},
        Row{"calprotectin_250_fires", "2025-10-01", "250", "", "", false, "patient-view", true},
        Row{"calprotectin_249_indeterminate", "2025-10-01", "249", "", "", false, "patient-view",
            false},
        Row{"no_markers", "2025-10-01", "", "", "", false, "patient-view", false},
        Row{"week_13_induction", "2026-03-02", "480", "", "", false, "patient-view", false},
        Row{"week_14_fires", "2026-02-23", "480", "", "", false, "patient-view", true},
        Row{"adequate_level", "2025-10-01", "480", "", "5", false, "patient-view", false},
        Row{"low_level_no_antibody", "2025-10-01", "480", "", "4.9", false, "patient-view", true},
        Row{"low_level_with_antibody", "2025-10-01", "480", "", "1.2", true, "patient-view", false},
        Row{"order_select_runs", "2025-10-01", "480", "", "", false, "order-select", true},
        Row{"order_sign_not_run", "2025-10-01", "480", "", "", false, "order-sign", false}),
    [](const ::testing::TestParamInfo<Row>& p) { return std::string(p.param.name); });

TEST(Reaches, ComparatorsNarrowWhatIsKnown) {
  auto m = [](double v, const char* comparator) {
    Measurement x;
    x.value = v;
    x.comparator = comparator;
    return x;
  };
  // at or above 250
  EXPECT_EQ(reaches(m(250, ""), 250, false), Tri::kYes);
  EXPECT_EQ(reaches(m(249, ""), 250, false), Tri::kNo);
  EXPECT_EQ(reaches(m(300, "<"), 250, false), Tri::kUnknown);
  EXPECT_EQ(reaches(m(250, "<"), 250, false), Tri::kNo);
  EXPECT_EQ(reaches(m(250, "<="), 250, false), Tri::kUnknown);
  EXPECT_EQ(reaches(m(249, "<="), 250, false), Tri::kNo);
  EXPECT_EQ(reaches(m(1800, ">"), 250, false), Tri::kYes);
  EXPECT_EQ(reaches(m(100, ">"), 250, false), Tri::kUnknown);
  EXPECT_EQ(reaches(m(250, ">="), 250, false), Tri::kYes);
  // strictly above 10
  EXPECT_EQ(reaches(m(10, ""), 10, true), Tri::kNo);
  EXPECT_EQ(reaches(m(10, "<="), 10, true), Tri::kNo);
  EXPECT_EQ(reaches(m(10, ">="), 10, true), Tri::kUnknown);
  EXPECT_EQ(reaches(m(10, ">"), 10, true), Tri::kYes);
  EXPECT_EQ(reaches(m(10, "ad"), 10, true), Tri::kUnknown);
}

TEST(EscapeMarkdown, DataShowsAsText) {
  EXPECT_EQ(escape_markdown("![x](https://e/p.png)"), "\\!\\[x\\]\\(https://e/p.png\\)");
  EXPECT_EQ(escape_markdown("a|b\nc <b>"), "a\\|b c \\<b\\>");
  EXPECT_EQ(escape_markdown("480 \xC2\xB5g/g"), "480 \xC2\xB5g/g");
}

TEST(FormatNumber, ShortAndNeverTruncated) {
  EXPECT_EQ(format_number(18), "18");
  EXPECT_EQ(format_number(12.25), "12.25");
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(1e300), "1e+300");
  EXPECT_EQ(format_number(-0.0001), "0");
}

TEST(TdmReactiveCard, CarriesEvidenceAndOrders) {
  const Evaluation e = run({"x", "2025-10-01", "480", "1.8", "", false, "patient-view", true});
  ASSERT_EQ(e.advice.size(), 1u);
  const Advice& a = e.advice[0];
  EXPECT_EQ(a.rule_id, "tdm-reactive");
  EXPECT_EQ(a.rule_set_version, "test-1");
  EXPECT_EQ(a.severity, Severity::kWarning);
  EXPECT_LT(a.summary.size(), 140u);
  EXPECT_NE(a.summary.find("infliximab"), std::string::npos);
  ASSERT_EQ(a.suggestions.size(), 1u);
  ASSERT_EQ(a.suggestions[0].orders.size(), 2u);
  EXPECT_EQ(a.suggestions[0].orders[0].code.codings.at(0).code, "39803-2");
  EXPECT_EQ(a.suggestions[0].orders[0].reasons,
            (std::vector<std::string>{"Observation/fc", "Observation/crp"}));
  // Evidence: calprotectin, CRP (recorded 1.8 mg/dL, converted 18 mg/L), and the therapy.
  ASSERT_EQ(a.evidence.size(), 3u);
  EXPECT_EQ(a.evidence[1].recorded, "1.8 mg/dL");
  EXPECT_EQ(a.evidence[1].converted, "18 mg/L");
  EXPECT_EQ(a.evidence[2].source, "MedicationStatement/m1");
}

TEST(TdmReactiveCard, DisabledRuleDoesNotRun) {
  auto rules = test_rules();
  rules.tdm_reactive.meta.enabled = false;
  const auto terminology = test_terminology();
  auto model = build_model(
      patient_data({crohns(), medication_statement("m1", "191831", "infliximab", "2025-01-01"),
                    observation("fc", "38445-3", "900", "ug/g", "2026-05-20")}),
      terminology, rules);
  auto e = evaluate(model, {"patient-view"}, rules, now());
  EXPECT_TRUE(e.advice.empty());
  ASSERT_FALSE(e.trace.empty());
  EXPECT_FALSE(e.trace[0].ran);
}

}  // namespace
}  // namespace ibd::mapping
