// cmv-exclusion, cmv-positive, pre-advanced-screening and ipaa-in-crohns by table: each row
// changes one input from a baseline, at the boundaries of clinical-rules.md §2-§3.
#include <gtest/gtest.h>

#include <algorithm>

#include "mapping/evaluate.hpp"
#include "tests/mapping/test_support.hpp"

namespace ibd::mapping {
namespace {

using namespace ibd::testing;

constexpr const char* kRx = "http://www.nlm.nih.gov/research/umls/rxnorm";
constexpr const char* kLoinc = "http://loinc.org";
constexpr const char* kSct = "http://snomed.info/sct";

fhir::TimePoint now() { return fhir::parse_date_time("2026-06-01T09:00:00Z")->start; }

// --- terminology and rules for these rules ---

std::string valueset(const std::string& id, const std::string& system, const std::string& code,
                     const std::string& display, const std::string& synonyms = "") {
  return R"({"resourceType":"ValueSet","id":")" + id + R"(","compose":{"include":[{"system":")" +
         system + R"(","concept":[{"code":")" + code + R"(","display":")" + display +
         R"(","designation":[)" + synonyms + "]}]}]}}";
}

Terminology terminology() {
  const std::vector<std::string> sets = {
      valueset("cd", kSct, "34000006", "Crohn's disease"),
      valueset("uc", kSct, "64766004", "Ulcerative colitis"),
      valueset("fc", kLoinc, "38445-3", "Calprotectin [Mass/mass] in Stool"),
      valueset("crp", kLoinc, "1988-5", "C reactive protein"),
      valueset("ifx", kRx, "191831", "infliximab"),
      valueset("aza", kRx, "1256", "azathioprine"),
      valueset("mtx", kRx, "6851", "methotrexate"),
      valueset("pred", kRx, "8638", "prednisolone"),
      valueset("mp", kRx, "6902", "methylprednisolone"),
      valueset("bud", kRx, "19831", "budesonide"),
      valueset("vdz", kRx, "1538097", "vedolizumab"),
      valueset("tofa", kRx, "1357536", "tofacitinib"),
      valueset("cmv-tissue", kLoinc, "10660-9", "Cytomegalovirus Ag [Presence] in Tissue",
               R"({"value":"cmv pcr tissue"},{"value":"cmv ihc"})"),
      valueset("cmv-blood", kLoinc, "30247-1", "Cytomegalovirus DNA in Serum or Plasma",
               R"({"value":"cmv pcr plasma"})"),
      valueset("igra", kLoinc, "71773-6", "M tuberculosis stimulated gamma interferon",
               R"({"value":"quantiferon"})"),
      valueset("hbsag", kLoinc, "5196-1", "Hepatitis B virus surface Ag"),
      valueset("anti-hbc", kLoinc, "16933-4", "Hepatitis B virus core Ab"),
      valueset("anti-hbs", kLoinc, "22322-2", "Hepatitis B virus surface Ab"),
      valueset("cmv-colitis", kSct, "235749000", "Cytomegaloviral colitis"),
      R"({"resourceType":"ValueSet","id":"ipaa","compose":{"include":[
          {"system":"http://snomed.info/sct","concept":[{"code":"787108001","display":"Ileal pouch-anal anastomosis",
            "designation":[{"value":"j pouch"}]}]},
          {"system":"http://www.ama-assn.org/go/cpt","concept":[{"code":"44158","display":"Colectomy with ileal reservoir"}]}]}})",
  };
  std::vector<fhir::Json> json;
  for (const std::string& s : sets) json.push_back(parse(s));
  auto t = Terminology::from_valuesets(json);
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error());
  return std::move(*t);
}

RuleMeta meta(const std::string& id, std::vector<std::string> hooks) {
  return {id, "1.0.0", true, std::move(hooks), {"ECCO infections guideline", "", {}}, {}};
}

fhir::Coding loinc(const std::string& code, const std::string& display) {
  return {kLoinc, code, display};
}

RuleSet rules() {
  RuleSet r = test_rules();
  r.labs.push_back(
      {"cmv-tissue", "cmv-tissue", "", "CMV in colonic tissue", std::nullopt, std::nullopt});
  r.labs.push_back({"cmv-blood", "cmv-blood", "", "CMV DNA in blood", std::nullopt, std::nullopt});
  r.labs.push_back({"igra", "igra", "", "Interferon-gamma release assay (IGRA)",
                    loinc("71773-6", "IGRA"), std::nullopt});
  r.labs.push_back({"hbsag", "hbsag", "", "Hepatitis B surface antigen (HBsAg)",
                    loinc("5196-1", "HBsAg"), std::nullopt});
  r.labs.push_back({"anti-hbc", "anti-hbc", "", "Hepatitis B core antibody (anti-HBc)",
                    loinc("16933-4", "anti-HBc"), std::nullopt});
  r.labs.push_back({"anti-hbs", "anti-hbs", "", "Hepatitis B surface antibody (anti-HBs)",
                    loinc("22322-2", "anti-HBs"), std::nullopt});
  r.drugs.push_back({"methotrexate", "methotrexate", "mtx", "", "", std::nullopt});
  r.drugs.push_back({"prednisolone", "systemic-corticosteroid", "pred", "", "", std::nullopt});
  r.drugs.push_back({"methylprednisolone", "systemic-corticosteroid", "mp", "", "", std::nullopt});
  r.drugs.push_back({"budesonide", "local-corticosteroid", "bud", "", "", std::nullopt});
  r.drugs.push_back({"vedolizumab", "anti-integrin", "vdz", "", "", std::nullopt});
  r.drugs.push_back({"tofacitinib", "jak-inhibitor", "tofa", "", "", std::nullopt});
  r.other_conditions = {{"cmv-colitis", "cmv-colitis", "CMV colitis"}};
  r.procedures = {{"ipaa", "ipaa", "Ileal pouch-anal anastomosis"}};
  r.advanced_classes = {"anti-tnf", "anti-integrin", "jak-inhibitor"};
  r.immunosuppressive_classes = {"thiopurine",    "methotrexate",  "anti-tnf",
                                 "anti-integrin", "jak-inhibitor", "systemic-corticosteroid"};
  const std::vector<std::string> all = {"patient-view", "order-select", "order-sign"};
  r.cmv_exclusion.meta = meta("cmv-exclusion", all);
  r.cmv_exclusion.escalation_classes = {"anti-tnf", "anti-integrin", "jak-inhibitor"};
  r.cmv_exclusion.orders = {
      {{kSct, "44441009", "Flexible sigmoidoscopy"}, "Sigmoidoscopy with biopsies", "procedure"},
      {loinc("10660-9", "CMV Ag in tissue"), "CMV IHC on the biopsies", "laboratory"}};
  r.cmv_positive.meta = meta("cmv-positive", all);
  r.pre_advanced_screening.meta = meta("pre-advanced-screening", {"order-select", "order-sign"});
  r.pre_advanced_screening.orders = {{loinc("71773-6", "IGRA"), "IGRA", "laboratory"},
                                     {loinc("5196-1", "HBsAg"), "HBsAg", "laboratory"},
                                     {loinc("16933-4", "anti-HBc"), "anti-HBc", "laboratory"}};
  r.ipaa_in_crohns.meta = meta("ipaa-in-crohns", {"order-select", "order-sign"});
  return r;
}

// --- FHIR builders ---

struct Drug {
  const char* rxnorm;
  const char* name;
};
const Drug kAza{"1256", "azathioprine"}, kMtx{"6851", "methotrexate"},
    kPred{"8638", "prednisolone"}, kMp{"6902", "methylprednisolone"}, kBud{"19831", "budesonide"},
    kIfx{"191831", "infliximab"}, kVdz{"1538097", "vedolizumab"}, kTofa{"1357536", "tofacitinib"};

fhir::Json on_drug(const Drug& d, const std::string& start = "2025-06-01") {
  return medication_statement(std::string("ms-") + d.name, d.rxnorm, d.name, start);
}

fhir::Json draft(const std::string& id, const Drug& d, bool iv = false) {
  const std::string route =
      iv ? R"(,"dosageInstruction":[{"route":{"coding":[{"system":"http://snomed.info/sct","code":"47625008","display":"Intravenous route"}]}}])"
         : "";
  return parse(
      R"({"resourceType":"MedicationRequest","id":")" + id +
      R"(","status":"draft","intent":"proposal","medicationCodeableConcept":{"coding":[{"system":")" +
      kRx + R"(","code":")" + d.rxnorm + R"(","display":")" + d.name +
      R"("}]},"subject":{"reference":"Patient/p1"},"authoredOn":"2026-06-01")" + route + "}");
}

// A qualitative result as EHRs send it: SNOMED Positive/Negative and an interpretation.
fhir::Json result(const std::string& id, const std::string& code_json, const std::string& answer,
                  const std::string& date, const std::string& status = "final") {
  std::string value, interp;
  if (answer == "Positive") {
    value =
        R"({"coding":[{"system":"http://snomed.info/sct","code":"10828004","display":"Positive"}]})";
    interp = "POS";
  } else if (answer == "Negative") {
    value =
        R"({"coding":[{"system":"http://snomed.info/sct","code":"260385009","display":"Negative"}]})";
    interp = "NEG";
  } else {
    value = R"({"text":")" + answer + R"("})";
    interp = answer == "Indeterminate" ? "IND" : "";
  }
  return parse(
      R"({"resourceType":"Observation","id":")" + id + R"(","status":")" + status + R"(","code":)" +
      code_json + R"(,"subject":{"reference":"Patient/p1"},"effectiveDateTime":")" + date +
      R"(","valueCodeableConcept":)" + value +
      (interp.empty()
           ? std::string()
           : R"(,"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":")" +
                 interp + R"("}]}])") +
      "}");
}

std::string loinc_code(const std::string& code) {
  return R"({"coding":[{"system":"http://loinc.org","code":")" + code + R"("}]})";
}

fhir::Json condition(const std::string& id, const std::string& system, const std::string& code,
                     const std::string& onset) {
  return parse(R"({"resourceType":"Condition","id":")" + id + R"(","code":{"coding":[{"system":")" +
               system + R"(","code":")" + code + R"("}]},"subject":{"reference":"Patient/p1"})" +
               (onset.empty() ? "" : R"(,"onsetDateTime":")" + onset + "\"") + "}");
}

fhir::Json uc() { return condition("uc1", kSct, "64766004", "2015-01-01"); }

fhir::Json service_request(const std::string& id, const std::string& code_json) {
  return parse(R"({"resourceType":"ServiceRequest","id":")" + id +
               R"(","status":"draft","intent":"order","code":)" + code_json +
               R"(,"subject":{"reference":"Patient/p1"}})");
}

struct Input {
  std::vector<fhir::Json> record;
  std::vector<fhir::Json> drafts;
  std::vector<std::string> selections;
};

Evaluation evaluate_input(Input input, const std::string& hook, const RuleSet& r = rules()) {
  PatientData data = patient_data(std::move(input.record));
  data.draft_orders = std::move(input.drafts);
  data.selections = std::move(input.selections);
  const Terminology t = terminology();
  const IbdModel model = build_model(data, t, r);
  return evaluate(model, {hook}, r, now());
}

const Advice* advice_of(const Evaluation& e, const std::string& rule) {
  const Advice* found = nullptr;
  for (const Advice& a : e.advice)
    if (a.rule_id == rule) {
      EXPECT_EQ(found, nullptr) << "two cards from " << rule;
      found = &a;
    }
  return found;
}

std::string traces(const Evaluation& e) {
  std::string out;
  for (const RuleTrace& t : e.trace) out += t.rule_id + ": " + t.why + "\n";
  return out;
}

std::string detail(const Advice& a) {
  std::string out;
  for (const std::string& p : a.reasoning) out += p + "\n";
  return out;
}

enum class Expect { kNone, kWarning, kCritical };

void check(const Evaluation& e, const std::string& rule, Expect expect) {
  const Advice* a = advice_of(e, rule);
  int traced = 0;
  for (const RuleTrace& t : e.trace) traced += t.rule_id == rule ? 1 : 0;
  EXPECT_EQ(traced, 1) << rule << " must report exactly once";
  if (expect == Expect::kNone) {
    EXPECT_EQ(a, nullptr) << traces(e);
    return;
  }
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_EQ(a->severity, expect == Expect::kCritical ? Severity::kCritical : Severity::kWarning);
  EXPECT_LT(a->summary.size(), 140u) << a->summary;
  EXPECT_FALSE(a->evidence.empty());
}

// ============================== cmv-exclusion ==============================

struct CmvRow {
  const char* name;
  std::string hook;
  std::vector<Drug> on;
  std::string calprotectin;  // "" = none
  std::string tissue;        // "" = none, else Positive / Negative / Indeterminate
  std::string tissue_date;
  bool blood_positive;
  std::vector<std::pair<Drug, bool>> proposed;  // drug, intravenous
  std::string cmv_colitis_onset;                // "" = none, "undated" = no onset
  Expect expect;
};

Input cmv_input(const CmvRow& row) {
  Input in;
  in.record.push_back(uc());
  for (const Drug& d : row.on) in.record.push_back(on_drug(d));
  if (!row.calprotectin.empty())
    in.record.push_back(observation("fc", "38445-3", row.calprotectin, "ug/g", "2026-05-25"));
  if (!row.tissue.empty())
    in.record.push_back(result("cmv-t", loinc_code("10660-9"), row.tissue, row.tissue_date));
  if (row.blood_positive)
    in.record.push_back(result("cmv-b", loinc_code("30247-1"), "Positive", "2026-05-27"));
  if (!row.cmv_colitis_onset.empty())
    in.record.push_back(condition("cmv-dx", kSct, "235749000",
                                  row.cmv_colitis_onset == "undated" ? "" : row.cmv_colitis_onset));
  int n = 0;
  for (const auto& [d, iv] : row.proposed)
    in.drafts.push_back(draft("d" + std::to_string(++n), d, iv));
  return in;
}

class CmvExclusion : public ::testing::TestWithParam<CmvRow> {};

TEST_P(CmvExclusion, FiresAsSpecified) {
  const CmvRow& row = GetParam();
  check(evaluate_input(cmv_input(row), row.hook), "cmv-exclusion", row.expect);
}

const std::string pv = "patient-view", os = "order-select", sign = "order-sign";

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    Table, CmvExclusion,
    ::testing::Values(
        CmvRow{"azathioprine_active_warns", pv, {kAza}, "480", "", "", false, {}, "",
               Expect::kWarning},
        CmvRow{"steroid_refractory_critical", pv, {kPred}, "480", "", "", false, {}, "",
               Expect::kCritical},
        CmvRow{"budesonide_is_not_immunosuppression", pv, {kBud}, "480", "", "", false, {}, "",
               Expect::kNone},
        CmvRow{"not_on_anything", pv, {}, "480", "", "", false, {}, "", Expect::kNone},
        CmvRow{"inactive_no_escalation", pv, {kMtx}, "30", "", "", false, {}, "", Expect::kNone},
        CmvRow{"calprotectin_249_indeterminate", pv, {kMtx}, "249", "", "", false, {}, "",
               Expect::kNone},
        CmvRow{"calprotectin_250_active", pv, {kMtx}, "250", "", "", false, {}, "",
               Expect::kWarning},
        CmvRow{"tissue_negative_30_days_excludes", pv, {kMtx}, "480", "Negative", "2026-05-02",
               false, {}, "", Expect::kNone},
        CmvRow{"tissue_negative_31_days_stale", pv, {kMtx}, "480", "Negative", "2026-05-01", false,
               {}, "", Expect::kWarning},
        CmvRow{"tissue_indeterminate_does_not_exclude", pv, {kMtx}, "480", "Indeterminate",
               "2026-05-20", false, {}, "", Expect::kWarning},
        CmvRow{"tissue_unreadable_does_not_exclude", pv, {kMtx}, "480", "See pathology report",
               "2026-05-20", false, {}, "", Expect::kWarning},
        CmvRow{"tissue_positive_is_cmv_positives_job", pv, {kMtx}, "480", "Positive", "2026-05-20",
               false, {}, "", Expect::kNone},
        CmvRow{"blood_pcr_positive_is_not_tissue", pv, {kMtx}, "480", "", "", true, {}, "",
               Expect::kWarning},
        CmvRow{"cmv_colitis_diagnosed_recently", pv, {kMtx}, "480", "", "", false, {},
               "2026-05-25", Expect::kNone},
        CmvRow{"cmv_colitis_long_ago", pv, {kMtx}, "480", "", "", false, {}, "2024-01-10",
               Expect::kWarning},
        CmvRow{"cmv_colitis_undated", pv, {kMtx}, "480", "", "", false, {}, "undated",
               Expect::kWarning},
        CmvRow{"escalation_alone_infliximab", os, {kMtx}, "", "", "", false, {{kIfx, false}}, "",
               Expect::kWarning},
        CmvRow{"escalation_vedolizumab_sign", sign, {kMtx}, "", "", "", false, {{kVdz, false}}, "",
               Expect::kWarning},
        CmvRow{"escalation_tofacitinib", os, {kAza}, "", "", "", false, {{kTofa, false}}, "",
               Expect::kWarning},
        CmvRow{"iv_methylprednisolone_is_escalation", os, {kMtx}, "", "", "", false, {{kMp, true}},
               "", Expect::kWarning},
        CmvRow{"oral_steroid_is_not_escalation", os, {kMtx}, "", "", "", false, {{kPred, false}},
               "", Expect::kNone},
        CmvRow{"iv_steroid_in_steroid_refractory_flare", os, {kPred}, "900", "", "", false,
               {{kMp, true}}, "", Expect::kCritical},
        CmvRow{"escalation_without_immunosuppression", os, {}, "480", "", "", false,
               {{kIfx, false}}, "", Expect::kNone},
        CmvRow{"escalation_after_recent_negative_biopsy", os, {kMtx}, "480", "Negative",
               "2026-05-28", false, {{kIfx, false}}, "", Expect::kNone},
        CmvRow{"reorder_of_current_infliximab_in_remission", os, {kIfx}, "30", "", "", false,
               {{kIfx, false}}, "", Expect::kNone},
        CmvRow{"reorder_of_current_infliximab_sign", sign, {kIfx, kAza}, "", "", "", false,
               {{kIfx, false}}, "", Expect::kNone},
        CmvRow{"reorder_with_active_disease_still_warns", os, {kIfx}, "480", "", "", false,
               {{kIfx, false}}, "", Expect::kWarning},
        CmvRow{"iv_steroid_on_top_of_oral_is_escalation", os, {kPred}, "", "", "", false,
               {{kMp, true}}, "", Expect::kWarning}),
    [](const ::testing::TestParamInfo<CmvRow>& p) { return std::string(p.param.name); });
// clang-format on

TEST(CmvExclusionCard, OrdersBiopsyAndSaysBloodIsSupportiveOnly) {
  const CmvRow row{"x", pv, {kPred}, "480", "", "", true, {}, "", Expect::kCritical};
  const Evaluation e = evaluate_input(cmv_input(row), row.hook);
  const Advice* a = advice_of(e, "cmv-exclusion");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_NE(a->summary.find("Steroid-refractory"), std::string::npos) << a->summary;
  EXPECT_NE(a->summary.find("prednisolone"), std::string::npos) << a->summary;
  const std::string text = detail(*a);
  EXPECT_NE(text.find("supportive only"), std::string::npos) << text;
  EXPECT_NE(text.find("No CMV test on colonic tissue in the last 30 days"), std::string::npos);
  // Evidence: calprotectin, the steroid, the blood PCR.
  std::vector<std::string> sources;
  for (const EvidenceRow& r : a->evidence) sources.push_back(r.source);
  EXPECT_EQ(sources,
            (std::vector<std::string>{"Observation/fc", "MedicationStatement/ms-prednisolone",
                                      "Observation/cmv-b"}));
  ASSERT_EQ(a->suggestions.size(), 1u);
  ASSERT_EQ(a->suggestions[0].orders.size(), 2u);
  EXPECT_EQ(a->suggestions[0].orders[0].code.codings.at(0).code, "44441009");
  EXPECT_EQ(a->suggestions[0].orders[0].category, "procedure");
  EXPECT_EQ(a->suggestions[0].orders[1].code.codings.at(0).code, "10660-9");
  EXPECT_EQ(a->suggestions[0].orders[1].reasons, (std::vector<std::string>{"Observation/fc"}));
}

TEST(CmvExclusionCard, NamesTheProposedEscalationAndTheStaleBiopsy) {
  const CmvRow row{"x",          os,    {kMtx},          "480", "Negative",
                   "2026-04-01", false, {{kIfx, false}}, "",    Expect::kWarning};
  const Evaluation e = evaluate_input(cmv_input(row), row.hook);
  const Advice* a = advice_of(e, "cmv-exclusion");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_NE(a->summary.find("before starting infliximab"), std::string::npos) << a->summary;
  const std::string text = detail(*a);
  EXPECT_NE(text.find("too old to exclude CMV"), std::string::npos) << text;
  bool draft_shown = false, biopsy_shown = false;
  for (const EvidenceRow& r : a->evidence) {
    draft_shown = draft_shown || r.source == "MedicationRequest/d1";
    biopsy_shown = biopsy_shown || r.source == "Observation/cmv-t";
  }
  EXPECT_TRUE(draft_shown);
  EXPECT_TRUE(biopsy_shown);
}

TEST(CmvExclusionCard, EscalationClassesComeFromConfig) {
  RuleSet r = rules();
  r.cmv_exclusion.escalation_classes = {"anti-tnf"};  // a site that does not count JAKs
  const CmvRow row{"x", os, {kMtx}, "", "", "", false, {{kTofa, false}}, "", Expect::kNone};
  check(evaluate_input(cmv_input(row), row.hook, r), "cmv-exclusion", Expect::kNone);
  r.cmv_exclusion.iv_steroid_is_escalation = false;
  const CmvRow iv{"x", os, {kMtx}, "", "", "", false, {{kMp, true}}, "", Expect::kNone};
  check(evaluate_input(cmv_input(iv), iv.hook, r), "cmv-exclusion", Expect::kNone);
}

TEST(CmvExclusionCard, NeedsAnIbdDiagnosisAndRespectsDisabled) {
  CmvRow row{"x", pv, {kMtx}, "480", "", "", false, {}, "", Expect::kNone};
  Input in = cmv_input(row);
  in.record.erase(in.record.begin());  // no diagnosis
  check(evaluate_input(std::move(in), pv), "cmv-exclusion", Expect::kNone);
  RuleSet r = rules();
  r.cmv_exclusion.meta.enabled = false;
  const Evaluation e = evaluate_input(cmv_input(row), pv, r);
  check(e, "cmv-exclusion", Expect::kNone);
  for (const RuleTrace& t : e.trace)
    if (t.rule_id == "cmv-exclusion") {
      EXPECT_FALSE(t.ran);
    }
}

// A current systemic corticosteroid as recorded: start "" = none recorded; iv = an intravenous
// route on the statement.
fhir::Json steroid(const Drug& d, const std::string& start, bool iv) {
  return parse(
      R"({"resourceType":"MedicationStatement","id":"ms-)" + std::string(d.name) +
      R"(","status":"active","medicationCodeableConcept":{"coding":[{"system":")" + kRx +
      R"(","code":")" + d.rxnorm + R"(","display":")" + d.name +
      R"("}]},"subject":{"reference":"Patient/p1"})" +
      (start.empty() ? "" : R"(,"effectivePeriod":{"start":")" + start + R"("})") +
      (iv ? R"(,"dosage":[{"route":{"coding":[{"system":"http://snomed.info/sct","code":"47625008","display":"Intravenous route"}]}}])"
          : "") +
      "}");
}

struct SteroidRow {
  const char* name;
  Drug drug;
  std::string start;  // "" = not recorded
  bool iv;
  Expect expect;
};

class SteroidRefractory : public ::testing::TestWithParam<SteroidRow> {};

// Active disease on a systemic corticosteroid: critical only once the steroid has had its
// conventional chance (intravenous >= 3 days, oral >= 2 weeks); a warning before that.
TEST_P(SteroidRefractory, CriticalOnlyOnceTheSteroidHadItsChance) {
  const SteroidRow& row = GetParam();
  Input in;
  in.record = {uc(), steroid(row.drug, row.start, row.iv),
               observation("fc", "38445-3", "900", "ug/g", "2026-05-30")};
  const Evaluation e = evaluate_input(std::move(in), pv);
  check(e, "cmv-exclusion", row.expect);
  const Advice* a = advice_of(e, "cmv-exclusion");
  ASSERT_NE(a, nullptr);
  const bool critical = row.expect == Expect::kCritical;
  EXPECT_EQ(a->summary.find("Steroid-refractory") != std::string::npos, critical) << a->summary;
  if (!critical) {
    EXPECT_NE(detail(*a).find("Not (yet) called steroid-refractory"), std::string::npos)
        << detail(*a);
  }
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    Table, SteroidRefractory,
    ::testing::Values(
        SteroidRow{"prednisolone_started_yesterday", kPred, "2026-05-31", false, Expect::kWarning},
        SteroidRow{"prednisolone_13_days", kPred, "2026-05-19", false, Expect::kWarning},
        SteroidRow{"prednisolone_14_days", kPred, "2026-05-18", false, Expect::kCritical},
        SteroidRow{"prednisolone_start_unknown", kPred, "", false, Expect::kWarning},
        SteroidRow{"prednisolone_month_only_not_surely_2_weeks", kPred, "2026-05", false,
                   Expect::kWarning},
        SteroidRow{"iv_methylprednisolone_2_days", kMp, "2026-05-30", true, Expect::kWarning},
        SteroidRow{"iv_methylprednisolone_3_days", kMp, "2026-05-29", true, Expect::kCritical},
        SteroidRow{"iv_methylprednisolone_4_days", kMp, "2026-05-28", true, Expect::kCritical}),
    [](const ::testing::TestParamInfo<SteroidRow>& p) { return std::string(p.param.name); });
// clang-format on

TEST(CmvExclusionCard, ReissuedSteroidOrderCountsFromTheFirst) {
  // The first prednisolone order ended the day the second began: one course, a month long.
  Input in;
  in.record = {
      uc(), observation("fc", "38445-3", "900", "ug/g", "2026-05-30"),
      parse(std::string(
                R"({"resourceType":"MedicationStatement","id":"ms-pred-1","status":"completed",)") +
            R"("medicationCodeableConcept":{"coding":[{"system":")" + kRx +
            R"(","code":"8638","display":"prednisolone"}]},"subject":{"reference":"Patient/p1"},)" +
            R"("effectivePeriod":{"start":"2026-05-01","end":"2026-05-30"}})"),
      steroid(kPred, "2026-05-30", false)};
  const Evaluation e = evaluate_input(std::move(in), pv);
  check(e, "cmv-exclusion", Expect::kCritical);
  const Advice* a = advice_of(e, "cmv-exclusion");
  ASSERT_NE(a, nullptr);
  EXPECT_NE(detail(*a).find("since 2026-05-01 (31 days)"), std::string::npos) << detail(*a);
}

TEST(CmvExclusionCard, SaysCmvWasFoundWhenCmvPositiveIsDisabled) {
  RuleSet r = rules();
  r.cmv_positive.meta.enabled = false;
  const CmvRow row{"x",          pv,    {kMtx}, "480", "Positive",
                   "2026-05-20", false, {},     "",    Expect::kCritical};
  const Evaluation e = evaluate_input(cmv_input(row), pv, r);
  check(e, "cmv-exclusion", Expect::kCritical);
  check(e, "cmv-positive", Expect::kNone);
  const Advice* a = advice_of(e, "cmv-exclusion");
  ASSERT_NE(a, nullptr);
  EXPECT_NE(a->summary.find("CMV found in colonic tissue on 2026-05-20"), std::string::npos)
      << a->summary;
  EXPECT_NE(detail(*a).find("ganciclovir"), std::string::npos) << detail(*a);
  EXPECT_EQ(a->evidence.at(0).source, "Observation/cmv-t");
  EXPECT_TRUE(a->suggestions.empty());  // no biopsy: CMV is already found
}

TEST(CmvExclusionCard, SaysCmvWasFoundWhenCmvPositiveDoesNotRunOnTheHook) {
  RuleSet r = rules();
  r.cmv_positive.meta.hooks = {"patient-view"};
  // Not even immunosuppressed or inflamed: CMV found is said all the same.
  const CmvRow row{
      "x", sign, {}, "", "", "", false, {{kVdz, false}}, "2026-05-25", Expect::kCritical};
  const Evaluation e = evaluate_input(cmv_input(row), sign, r);
  check(e, "cmv-exclusion", Expect::kCritical);
  check(e, "cmv-positive", Expect::kNone);
  const Advice* a = advice_of(e, "cmv-exclusion");
  ASSERT_NE(a, nullptr);
  EXPECT_NE(a->summary.find("CMV colitis diagnosed on 2026-05-25"), std::string::npos)
      << a->summary;
  EXPECT_NE(a->summary.find("before starting vedolizumab"), std::string::npos) << a->summary;
  ASSERT_EQ(a->suggestions.size(), 1u);
  ASSERT_EQ(a->suggestions[0].removals.size(), 1u);
  EXPECT_EQ(a->suggestions[0].removals[0].reference, "MedicationRequest/d1");
  // With cmv-positive running on the hook, its card says it and this rule stays quiet.
  const Evaluation both = evaluate_input(cmv_input(row), sign);
  check(both, "cmv-exclusion", Expect::kNone);
  check(both, "cmv-positive", Expect::kCritical);
}

TEST(CmvExclusionCard, UndatedCmvColitisIsRecordedWithoutADate) {
  const CmvRow row{"x", pv, {kMtx}, "480", "", "", false, {}, "undated", Expect::kWarning};
  const Evaluation e = evaluate_input(cmv_input(row), pv);
  const Advice* a = advice_of(e, "cmv-exclusion");
  ASSERT_NE(a, nullptr) << traces(e);
  const std::string text = detail(*a);
  EXPECT_NE(text.find("recorded without a date"), std::string::npos) << text;
  EXPECT_EQ(text.find("not within the last"), std::string::npos) << text;
  const CmvRow old{"x", pv, {kMtx}, "480", "", "", false, {}, "2024-01-10", Expect::kWarning};
  const Evaluation e2 = evaluate_input(cmv_input(old), pv);
  ASSERT_NE(advice_of(e2, "cmv-exclusion"), nullptr);
  EXPECT_NE(detail(*advice_of(e2, "cmv-exclusion")).find("not within the last 30 days"),
            std::string::npos);
}

// ============================== cmv-positive ==============================

struct PositiveRow {
  const char* name;
  std::string hook;
  std::string tissue_code;  // Observation.code JSON; "" = none
  std::string answer;
  std::string date;
  std::string status;
  bool blood_positive;
  std::string cmv_colitis_onset;  // "" = none, "undated"
  bool fires;
};

Input positive_input(const PositiveRow& row) {
  Input in;
  in.record = {uc(), on_drug(kPred), observation("fc", "38445-3", "700", "ug/g", "2026-05-25")};
  if (!row.tissue_code.empty())
    in.record.push_back(result("cmv-t", row.tissue_code, row.answer, row.date, row.status));
  if (row.blood_positive)
    in.record.push_back(result("cmv-b", loinc_code("30247-1"), "Positive", "2026-05-27"));
  if (!row.cmv_colitis_onset.empty())
    in.record.push_back(condition("cmv-dx", kSct, "235749000",
                                  row.cmv_colitis_onset == "undated" ? "" : row.cmv_colitis_onset));
  return in;
}

class CmvPositive : public ::testing::TestWithParam<PositiveRow> {};

TEST_P(CmvPositive, FiresAsSpecified) {
  const PositiveRow& row = GetParam();
  const Evaluation e = evaluate_input(positive_input(row), row.hook);
  check(e, "cmv-positive", row.fires ? Expect::kCritical : Expect::kNone);
  // Never both: CMV found is cmv-positive's card; otherwise a steroid-refractory flare
  // without a tissue test in window is cmv-exclusion's.
  if (row.fires) {
    EXPECT_EQ(advice_of(e, "cmv-exclusion"), nullptr);
  }
}

const std::string ihc = loinc_code("10660-9");
const std::string tissue_pcr_by_text =
    R"({"coding":[{"system":"urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.7","code":"LAB4471","display":"CMV PCR tissue, colon biopsy"}],"text":"CMV PCR tissue"})";

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    Table, CmvPositive,
    ::testing::Values(
        PositiveRow{"ihc_positive", pv, ihc, "Positive", "2026-05-26", "final", false, "", true},
        PositiveRow{"ihc_negative", pv, ihc, "Negative", "2026-05-26", "final", false, "", false},
        PositiveRow{"positive_30_days", pv, ihc, "Positive", "2026-05-02", "final", false, "",
                    true},
        PositiveRow{"positive_31_days", pv, ihc, "Positive", "2026-05-01", "final", false, "",
                    false},
        PositiveRow{"preliminary_counts", pv, ihc, "Positive", "2026-05-26", "preliminary", false,
                    "", true},
        PositiveRow{"entered_in_error_never", pv, ihc, "Positive", "2026-05-26",
                    "entered-in-error", false, "", false},
        PositiveRow{"tissue_pcr_local_code_by_text", sign, tissue_pcr_by_text, "Positive",
                    "2026-05-26", "final", false, "", true},
        PositiveRow{"blood_pcr_alone_is_not_tissue", pv, "", "", "", "", true, "", false},
        PositiveRow{"cmv_colitis_diagnosis_recent", os, "", "", "", "", false, "2026-05-28", true},
        PositiveRow{"cmv_colitis_diagnosis_old", pv, "", "", "", "", false, "2026-01-05", false},
        PositiveRow{"cmv_colitis_diagnosis_undated", pv, "", "", "", "", false, "undated", false}),
    [](const ::testing::TestParamInfo<PositiveRow>& p) { return std::string(p.param.name); });
// clang-format on

TEST(CmvPositiveCard, OnOrderSelectSaysDoNotAddImmunosuppression) {
  const PositiveRow row{"x", os, ihc, "Positive", "2026-05-26", "final", true, "", true};
  Input in = positive_input(row);
  in.drafts.push_back(draft("d-ifx", kIfx));
  in.selections = {"MedicationRequest/d-ifx"};
  const Evaluation e = evaluate_input(std::move(in), os);
  const Advice* a = advice_of(e, "cmv-positive");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_EQ(a->severity, Severity::kCritical);
  EXPECT_NE(a->summary.find("do not start infliximab"), std::string::npos) << a->summary;
  const std::string text = detail(*a);
  EXPECT_NE(text.find("Do not add immunosuppression now"), std::string::npos) << text;
  EXPECT_NE(text.find("ganciclovir"), std::string::npos);
  EXPECT_NE(text.find("Supportive only"), std::string::npos);
  ASSERT_EQ(a->suggestions.size(), 1u);
  ASSERT_EQ(a->suggestions[0].removals.size(), 1u);
  EXPECT_EQ(a->suggestions[0].removals[0].reference, "MedicationRequest/d-ifx");
  std::vector<std::string> sources;
  for (const EvidenceRow& r : a->evidence) sources.push_back(r.source);
  EXPECT_EQ(sources, (std::vector<std::string>{"Observation/cmv-t", "Observation/cmv-b",
                                               "MedicationStatement/ms-prednisolone",
                                               "MedicationRequest/d-ifx"}));
}

TEST(CmvPositiveCard, RenewalOfCurrentTherapyIsNotAnAddition) {
  const PositiveRow row{"x", sign, ihc, "Positive", "2026-05-26", "final", false, "", true};
  Input in = positive_input(row);
  in.drafts.push_back(draft("d-pred", kPred));
  const Evaluation e = evaluate_input(std::move(in), sign);
  const Advice* a = advice_of(e, "cmv-positive");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_NE(a->summary.find("ganciclovir"), std::string::npos) << a->summary;
  EXPECT_TRUE(a->suggestions.empty());
}

TEST(CmvPositiveCard, ReorderOfCurrentBiologicIsNotAnAddition) {
  const PositiveRow row{"x", os, ihc, "Positive", "2026-05-26", "final", false, "", true};
  Input in = positive_input(row);
  in.record.push_back(on_drug(kIfx));
  in.drafts.push_back(draft("d-ifx", kIfx));
  in.drafts.push_back(draft("d-vdz", kVdz));
  in.selections = {"MedicationRequest/d-ifx"};
  const Evaluation e = evaluate_input(std::move(in), os);
  const Advice* a = advice_of(e, "cmv-positive");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_NE(a->summary.find("ganciclovir"), std::string::npos) << a->summary;
  EXPECT_EQ(detail(*a).find("Do not add immunosuppression now"), std::string::npos);
  EXPECT_TRUE(a->suggestions.empty());
}

TEST(CmvPositiveCard, NewDrugOrIvSteroidIsAnAddition) {
  const PositiveRow row{"x", sign, ihc, "Positive", "2026-05-26", "final", false, "", true};
  Input in = positive_input(row);  // on oral prednisolone
  in.drafts.push_back(draft("d-mp", kMp, true));
  in.drafts.push_back(draft("d-aza", kAza));
  const Evaluation e = evaluate_input(std::move(in), sign);
  const Advice* a = advice_of(e, "cmv-positive");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_NE(a->summary.find("do not start methylprednisolone and azathioprine"), std::string::npos)
      << a->summary;
  ASSERT_EQ(a->suggestions.size(), 1u);
  EXPECT_EQ(a->suggestions[0].removals.size(), 2u);
}

TEST(CmvPositiveCard, ALaterNegativeIsShownNotTrusted) {
  Input in = positive_input({"x", pv, ihc, "Positive", "2026-05-10", "final", false, "", true});
  in.record.push_back(result("cmv-t2", ihc, "Negative", "2026-05-28"));
  const Evaluation e = evaluate_input(std::move(in), pv);
  const Advice* a = advice_of(e, "cmv-positive");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_NE(detail(*a).find("was negative"), std::string::npos) << detail(*a);
  ASSERT_EQ(a->evidence.size(), 3u);  // positive, later negative, prednisolone
  EXPECT_EQ(a->evidence[1].source, "Observation/cmv-t2");
}

// ============================== pre-advanced-screening ==============================

struct ScreenRow {
  const char* name;
  std::string hook;
  Drug proposed;
  std::string igra, igra_date;  // "" = none
  std::string hbsag, hbsag_date;
  std::string anti_hbc, anti_hbc_date;
  Expect expect;
  std::vector<std::string> order_codes;
};

Input screen_input(const ScreenRow& row) {
  Input in;
  in.record = {crohns(), observation("fc", "38445-3", "480", "ug/g", "2026-05-25")};
  if (!row.igra.empty())
    in.record.push_back(result("igra", loinc_code("71773-6"), row.igra, row.igra_date));
  if (!row.hbsag.empty())
    in.record.push_back(result("hbsag", loinc_code("5196-1"), row.hbsag, row.hbsag_date));
  if (!row.anti_hbc.empty())
    in.record.push_back(result("hbc", loinc_code("16933-4"), row.anti_hbc, row.anti_hbc_date));
  in.drafts.push_back(draft("d1", row.proposed));
  in.selections = {"MedicationRequest/d1"};
  return in;
}

class PreAdvancedScreening : public ::testing::TestWithParam<ScreenRow> {};

TEST_P(PreAdvancedScreening, FiresAsSpecified) {
  const ScreenRow& row = GetParam();
  const Evaluation e = evaluate_input(screen_input(row), row.hook);
  check(e, "pre-advanced-screening", row.expect);
  const Advice* a = advice_of(e, "pre-advanced-screening");
  if (a == nullptr) return;
  std::vector<std::string> codes;
  for (const Suggestion& s : a->suggestions)
    for (const ProposedOrder& o : s.orders) codes.push_back(o.code.codings.at(0).code);
  EXPECT_EQ(codes, row.order_codes) << a->summary;
}

const std::string d365 = "2025-06-01", d366 = "2025-05-31", recent = "2026-04-15";
const std::string neg = "Negative", pos = "Positive", ind = "Indeterminate";

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    Table, PreAdvancedScreening,
    ::testing::Values(
        ScreenRow{"all_negative_365_days", os, kIfx, neg, d365, neg, d365, neg, d365,
                  Expect::kNone, {}},
        ScreenRow{"all_negative_366_days_stale", os, kIfx, neg, d366, neg, d366, neg, d366,
                  Expect::kWarning, {"71773-6", "5196-1", "16933-4"}},
        ScreenRow{"nothing_on_record_sign", sign, kVdz, "", "", "", "", "", "", Expect::kWarning,
                  {"71773-6", "5196-1", "16933-4"}},
        ScreenRow{"igra_positive_critical", os, kIfx, pos, recent, neg, recent, neg, recent,
                  Expect::kCritical, {}},
        ScreenRow{"hbsag_positive_critical", os, kTofa, neg, recent, pos, recent, pos, recent,
                  Expect::kCritical, {}},
        ScreenRow{"missing_only_anti_hbc", os, kIfx, neg, recent, neg, recent, "", "",
                  Expect::kWarning, {"16933-4"}},
        ScreenRow{"missing_only_igra", sign, kIfx, "", "", neg, recent, neg, recent,
                  Expect::kWarning, {"71773-6"}},
        ScreenRow{"anti_hbc_positive_hbsag_negative", os, kIfx, neg, recent, neg, recent, pos,
                  recent, Expect::kWarning, {}},
        ScreenRow{"anti_hbc_positive_hbsag_missing", os, kIfx, neg, recent, "", "", pos, recent,
                  Expect::kWarning, {"5196-1"}},
        ScreenRow{"igra_indeterminate_repeat", os, kIfx, ind, recent, neg, recent, neg, recent,
                  Expect::kWarning, {"71773-6"}},
        ScreenRow{"igra_positive_and_missing_hbv", os, kIfx, pos, recent, "", "", "", "",
                  Expect::kCritical, {"5196-1", "16933-4"}},
        ScreenRow{"anti_hbc_positive_2_years_old_flagged", os, kIfx, neg, recent, neg, recent, pos,
                  "2024-05-20", Expect::kWarning, {}},
        ScreenRow{"anti_hbc_positive_old_hbsag_stale", sign, kVdz, neg, recent, neg, d366, pos,
                  "2023-01-10", Expect::kWarning, {"5196-1"}},
        ScreenRow{"igra_positive_5_years_old_critical", os, kIfx, pos, "2021-03-01", neg, recent,
                  neg, recent, Expect::kCritical, {}},
        ScreenRow{"hbsag_positive_old_critical", sign, kTofa, neg, recent, pos, "2019-07-01", "",
                  "", Expect::kCritical, {}},
        ScreenRow{"hbsag_positive_anti_hbc_not_demanded", os, kIfx, neg, recent, pos, recent, "",
                  "", Expect::kCritical, {}},
        ScreenRow{"anti_hbc_negative_366_days_stale", os, kIfx, neg, recent, neg, recent, neg, d366,
                  Expect::kWarning, {"16933-4"}},
        ScreenRow{"methotrexate_is_not_advanced", os, kMtx, "", "", "", "", "", "", Expect::kNone,
                  {}},
        ScreenRow{"patient_view_not_run", pv, kIfx, "", "", "", "", "", "", Expect::kNone, {}}),
    [](const ::testing::TestParamInfo<ScreenRow>& p) { return std::string(p.param.name); });
// clang-format on

TEST(PreAdvancedScreeningCard, SaysWhatIsMissingAndShowsWhatIsThere) {
  const ScreenRow row{"x",        os, kIfx, neg, recent, neg, recent, "", "", Expect::kWarning,
                      {"16933-4"}};
  const Evaluation e = evaluate_input(screen_input(row), os);
  const Advice* a = advice_of(e, "pre-advanced-screening");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_EQ(a->summary, "Before infliximab: no anti-HBc in 365 days");
  std::vector<std::string> sources;
  for (const EvidenceRow& r : a->evidence) sources.push_back(r.source);
  EXPECT_EQ(sources, (std::vector<std::string>{"MedicationRequest/d1", "Observation/igra",
                                               "Observation/hbsag"}));
  ASSERT_EQ(a->suggestions.size(), 1u);
  EXPECT_EQ(a->suggestions[0].orders.at(0).code.text, "anti-HBc");
}

TEST(PreAdvancedScreeningCard, PositiveIgraSaysTreatLatentTbFirst) {
  const ScreenRow row{"x", os, kIfx, pos, recent, neg, recent, neg, recent, Expect::kCritical, {}};
  const Evaluation e = evaluate_input(screen_input(row), os);
  const Advice* a = advice_of(e, "pre-advanced-screening");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_NE(a->summary.find("treat latent TB first"), std::string::npos) << a->summary;
  EXPECT_NE(detail(*a).find("Negative, no action"), std::string::npos);
}

TEST(PreAdvancedScreeningCard, OldPositiveIsSaidNotToExpire) {
  ScreenRow row{"x", os, kIfx, neg, recent, neg, recent, pos, "2024-05-20", Expect::kWarning, {}};
  Input in = screen_input(row);
  const Evaluation e = evaluate_input(std::move(in), os);
  const Advice* a = advice_of(e, "pre-advanced-screening");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_NE(a->summary.find("check HBV DNA"), std::string::npos) << a->summary;
  EXPECT_NE(detail(*a).find("does not expire"), std::string::npos) << detail(*a);
}

TEST(PreAdvancedScreeningCard, ALaterNegativeDoesNotCancelAPositive) {
  ScreenRow row{"x", os, kIfx, pos, "2022-02-01", neg, recent, neg, recent, Expect::kCritical, {}};
  Input in = screen_input(row);
  in.record.push_back(result("igra2", loinc_code("71773-6"), neg, recent));
  const Evaluation e = evaluate_input(std::move(in), os);
  const Advice* a = advice_of(e, "pre-advanced-screening");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_EQ(a->severity, Severity::kCritical);
  EXPECT_NE(detail(*a).find("does not cancel it"), std::string::npos) << detail(*a);
  std::vector<std::string> sources;
  for (const EvidenceRow& r : a->evidence) sources.push_back(r.source);
  EXPECT_NE(std::find(sources.begin(), sources.end(), "Observation/igra2"), sources.end());
}

TEST(PreAdvancedScreeningCard, ReorderOfTheCurrentAdvancedDrugNeedsNoScreening) {
  Input in;
  in.record = {crohns(), on_drug(kIfx), observation("fc", "38445-3", "30", "ug/g", "2026-05-25")};
  in.drafts.push_back(draft("d1", kIfx));
  in.selections = {"MedicationRequest/d1"};
  const Evaluation e = evaluate_input(in, os);
  check(e, "pre-advanced-screening", Expect::kNone);
  check(e, "cmv-exclusion", Expect::kNone);
  // A second, new advanced drug does need it.
  in.drafts.push_back(draft("d2", kVdz));
  const Evaluation sign_e = evaluate_input(std::move(in), sign);
  const Advice* a = advice_of(sign_e, "pre-advanced-screening");
  ASSERT_NE(a, nullptr) << traces(sign_e);
  EXPECT_NE(a->summary.find("Before vedolizumab:"), std::string::npos) << a->summary;
}

TEST(PreAdvancedScreeningCard, FallsBackToTheLabOrderCode) {
  RuleSet r = rules();
  r.pre_advanced_screening.orders.clear();
  const ScreenRow row{"x",        os, kIfx, neg, recent, neg, recent, "", "", Expect::kWarning,
                      {"16933-4"}};
  const Evaluation e = evaluate_input(screen_input(row), os, r);
  const Advice* a = advice_of(e, "pre-advanced-screening");
  ASSERT_NE(a, nullptr) << traces(e);
  ASSERT_EQ(a->suggestions.size(), 1u);
  EXPECT_EQ(a->suggestions[0].orders.at(0).code.codings.at(0).code, "16933-4");
  EXPECT_EQ(a->suggestions[0].orders.at(0).code.text, "Hepatitis B core antibody (anti-HBc)");
}

// ============================== ipaa-in-crohns ==============================

const std::string ipaa_cpt =
    R"({"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"44158","display":"Colectomy, total, abdominal, with proctectomy; with ileoanal anastomosis, creation of ileal reservoir"}]})";
const std::string ipaa_sct =
    R"({"coding":[{"system":"http://snomed.info/sct","code":"787108001","display":"Ileal pouch-anal anastomosis"}]})";
const std::string ipaa_text = R"({"text":"Restorative proctocolectomy, J pouch"})";

struct IpaaRow {
  const char* name;
  std::string hook;
  std::vector<std::string> diagnoses;  // "cd", "uc"
  std::string code;                    // the draft's code JSON
  bool other_draft_selected;           // a drug draft is selected, the IPAA is not
  bool fires;
};

Input ipaa_input(const IpaaRow& row) {
  Input in;
  for (const std::string& d : row.diagnoses) in.record.push_back(d == "cd" ? crohns() : uc());
  in.drafts.push_back(service_request("sr-ipaa", row.code));
  if (row.other_draft_selected) {
    in.drafts.push_back(draft("d-bud", kBud));
    in.selections = {"MedicationRequest/d-bud"};
  } else if (row.hook == "order-select") {
    in.selections = {"ServiceRequest/sr-ipaa"};
  }
  return in;
}

class IpaaInCrohns : public ::testing::TestWithParam<IpaaRow> {};

TEST_P(IpaaInCrohns, FiresAsSpecified) {
  const IpaaRow& row = GetParam();
  check(evaluate_input(ipaa_input(row), row.hook), "ipaa-in-crohns",
        row.fires ? Expect::kCritical : Expect::kNone);
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    Table, IpaaInCrohns,
    ::testing::Values(
        IpaaRow{"crohns_cpt_44158_select", os, {"cd"}, ipaa_cpt, false, true},
        IpaaRow{"crohns_snomed_sign", sign, {"cd"}, ipaa_sct, false, true},
        IpaaRow{"crohns_by_text", sign, {"cd"}, ipaa_text, false, true},
        IpaaRow{"ulcerative_colitis", os, {"uc"}, ipaa_cpt, false, false},
        IpaaRow{"uc_and_crohns_coded", os, {"uc", "cd"}, ipaa_sct, false, true},
        IpaaRow{"no_ibd_diagnosis", os, {}, ipaa_sct, false, false},
        IpaaRow{"another_draft_selected", os, {"cd"}, ipaa_sct, true, false},
        IpaaRow{"another_draft_selected_sign", sign, {"cd"}, ipaa_sct, true, true},
        IpaaRow{"patient_view_not_run", pv, {"cd"}, ipaa_sct, false, false}),
    [](const ::testing::TestParamInfo<IpaaRow>& p) { return std::string(p.param.name); });
// clang-format on

TEST(IpaaInCrohnsCard, NamesDiagnosisAndDraftAndOffersRemoval) {
  const Evaluation e =
      evaluate_input(ipaa_input({"x", os, {"uc", "cd"}, ipaa_cpt, false, true}), os);
  const Advice* a = advice_of(e, "ipaa-in-crohns");
  ASSERT_NE(a, nullptr) << traces(e);
  EXPECT_NE(a->summary.find("pouch failure"), std::string::npos) << a->summary;
  EXPECT_NE(detail(*a).find("Also coded"), std::string::npos) << detail(*a);
  std::vector<std::string> sources;
  for (const EvidenceRow& r : a->evidence) sources.push_back(r.source);
  EXPECT_EQ(sources,
            (std::vector<std::string>{"Condition/c1", "Condition/uc1", "ServiceRequest/sr-ipaa"}));
  ASSERT_EQ(a->suggestions.size(), 1u);
  EXPECT_FALSE(a->suggestions[0].recommended);
  ASSERT_EQ(a->suggestions[0].removals.size(), 1u);
  EXPECT_EQ(a->suggestions[0].removals[0].reference, "ServiceRequest/sr-ipaa");
}

TEST(IpaaInCrohnsCard, SelectingOnlyAnUnrelatedOrderDoesNotFire) {
  // The selected order is one the rules do not recognise (a blood count): the IPAA draft is
  // not being decided now.
  Input in;
  in.record = {crohns()};
  in.drafts.push_back(service_request("sr-ipaa", ipaa_sct));
  in.drafts.push_back(service_request(
      "sr-cbc",
      R"({"coding":[{"system":"http://loinc.org","code":"58410-2","display":"CBC panel"}]})"));
  in.selections = {"ServiceRequest/sr-cbc"};
  check(evaluate_input(in, os), "ipaa-in-crohns", Expect::kNone);
  in.selections = {"ServiceRequest/sr-ipaa"};
  check(evaluate_input(in, os), "ipaa-in-crohns", Expect::kCritical);
  in.selections.clear();  // nothing named: every draft is being decided
  check(evaluate_input(std::move(in), os), "ipaa-in-crohns", Expect::kCritical);
}

TEST(IpaaInCrohnsCard, ADoneIpaaIsNotAProposal) {
  Input in;
  in.record = {
      crohns(),
      parse(R"({"resourceType":"Procedure","id":"pr1","status":"completed","code":)" + ipaa_sct +
            R"(,"subject":{"reference":"Patient/p1"},"performedDateTime":"2019-03-01"})")};
  in.drafts.push_back(draft("d-bud", kBud));
  check(evaluate_input(std::move(in), sign), "ipaa-in-crohns", Expect::kNone);
}

}  // namespace
}  // namespace ibd::mapping
