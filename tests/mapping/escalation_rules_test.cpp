// tdm-interpret, refractory-escalation and escalation-unproven by table, on rule sets built in
// code (tests/mapping/test_support).
#include <gtest/gtest.h>

#include <set>

#include "mapping/evaluate.hpp"
#include "tests/mapping/test_support.hpp"

namespace ibd::mapping {
namespace {

using namespace ibd::testing;

fhir::TimePoint now() { return fhir::parse_date_time("2026-06-01T09:00:00Z")->start; }

RuleSet rules_for_escalation() {
  RuleSet r = test_rules();
  r.drugs.push_back({"vedolizumab", "anti-integrin", "vedo", "", "", std::nullopt});
  r.drugs.push_back({"methylprednisolone", "systemic-corticosteroid", "mp", "", "", std::nullopt});
  r.advanced_classes = {"anti-tnf", "anti-integrin"};
  r.immunosuppressive_classes = {"anti-tnf", "anti-integrin", "thiopurine",
                                 "systemic-corticosteroid"};
  r.labs.push_back({"cmv-tissue", "cmv", "", "CMV IHC", std::nullopt, std::nullopt});
  r.cmv_exclusion.tissue_window_days = 30;
  r.cmv_exclusion.iv_steroid_is_escalation = true;
  const RuleMeta base{
      "", "1.0.0", true, {"patient-view", "order-select", "order-sign"}, {"src", "", {}}, {}};
  r.tdm_interpret.meta = base;
  r.tdm_interpret.meta.id = "tdm-interpret";
  r.refractory_escalation.meta = base;
  r.refractory_escalation.meta.id = "refractory-escalation";
  r.escalation_unproven.meta = base;
  r.escalation_unproven.meta.id = "escalation-unproven";
  return r;
}

Terminology terminology_for_escalation() {
  std::vector<fhir::Json> sets;
  for (
      const char* s :
      {R"({"resourceType":"ValueSet","id":"vedo","compose":{"include":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"1538097","display":"vedolizumab"}]}]}})",
       R"({"resourceType":"ValueSet","id":"mp","compose":{"include":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"6902","display":"methylprednisolone"}]}]}})",
       R"({"resourceType":"ValueSet","id":"cmv","compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"10660-9","display":"CMV Ag in tissue"}]}]}})"}) {
    sets.push_back(parse(s));
  }
  // The shared test value sets (without displays, so nothing matches by accident) plus these.
  std::vector<fhir::Json> all;
  const char* shared[] = {
      R"({"resourceType":"ValueSet","id":"cd","compose":{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"34000006"}]}]}})",
      R"({"resourceType":"ValueSet","id":"uc","compose":{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"64766004"}]}]}})",
      R"({"resourceType":"ValueSet","id":"ifx","compose":{"include":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"191831","display":"infliximab"}]}]}})",
      R"({"resourceType":"ValueSet","id":"aza","compose":{"include":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"1256"}]}]}})",
      R"({"resourceType":"ValueSet","id":"fc","compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"38445-3"}]}]}})",
      R"({"resourceType":"ValueSet","id":"crp","compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"1988-5"}]}]}})",
      R"({"resourceType":"ValueSet","id":"ifx-ab","compose":{"include":[{"system":"urn:ibd-cds:text-match","concept":[{"code":"t","designation":[{"value":"antibodies to infliximab"}]}]}]}})",
      R"({"resourceType":"ValueSet","id":"ifx-level","compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"39803-2"}]}]}})"};
  for (const char* s : shared) all.push_back(parse(s));
  for (auto& s : sets) all.push_back(std::move(s));
  return std::move(*Terminology::from_valuesets(all));
}

fhir::Json coded(const std::string& id, const std::string& loinc, const std::string& answer,
                 const std::string& date) {
  return parse(R"({"resourceType":"Observation","id":")" + id +
               R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" +
               loinc + R"("}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":")" + date +
               R"(","valueCodeableConcept":{"text":")" + answer + R"("}})");
}

fhir::Json antibody(const std::string& answer) {
  return parse(
      R"({"resourceType":"Observation","id":"ab","status":"final","code":{"text":"Antibodies to infliximab"},
    "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-05-20","valueString":")" +
      answer + R"("})");
}

std::set<std::string> fired(std::vector<fhir::Json> resources,
                            const std::string& hook = "patient-view",
                            std::vector<fhir::Json> drafts = {}) {
  const auto rules = rules_for_escalation();
  const auto terminology = terminology_for_escalation();
  auto data = patient_data(std::move(resources));
  data.draft_orders = std::move(drafts);
  const IbdModel model = build_model(data, terminology, rules);
  std::set<std::string> out;
  for (const Advice& a : evaluate(model, {hook}, rules, now()).advice) out.insert(a.rule_id);
  return out;
}

const auto kOnIfx = [] { return medication_statement("m1", "191831", "infliximab", "2025-06-01"); };
const auto kActive = [] { return observation("fc", "38445-3", "600", "ug/g", "2026-05-20"); };
const auto kCmvNegative = [] { return coded("cmv", "10660-9", "Negative", "2026-05-25"); };

TEST(TdmInterpret, LowLevelReadWithTheAntibodyResult) {
  EXPECT_TRUE(
      fired({crohns(), kOnIfx(), kActive(), kCmvNegative(),
             observation("lvl", "39803-2", "2", "ug/mL", "2026-05-20"), antibody("Negative")})
          .contains("tdm-interpret"));
  EXPECT_TRUE(
      fired({crohns(), kOnIfx(), kCmvNegative(),
             observation("lvl", "39803-2", "2", "ug/mL", "2026-05-20"), antibody("Positive")})
          .contains("tdm-interpret"));
  // No antibody result: tdm-reactive's case.
  auto without = fired({crohns(), kOnIfx(), kActive(), kCmvNegative(),
                        observation("lvl", "39803-2", "2", "ug/mL", "2026-05-20")});
  EXPECT_FALSE(without.contains("tdm-interpret"));
  EXPECT_TRUE(without.contains("tdm-reactive"));
}

TEST(TdmInterpret, AdequateLevelSpeaksOnlyWhileCmvIsNotExcluded) {
  auto open = fired(
      {crohns(), kOnIfx(), kActive(), observation("lvl", "39803-2", "8", "ug/mL", "2026-05-20")});
  EXPECT_TRUE(open.contains("tdm-interpret"));
  EXPECT_FALSE(open.contains("refractory-escalation"));
  auto excluded = fired({crohns(), kOnIfx(), kActive(), kCmvNegative(),
                         observation("lvl", "39803-2", "8", "ug/mL", "2026-05-20")});
  EXPECT_FALSE(excluded.contains("tdm-interpret"));
  EXPECT_TRUE(excluded.contains("refractory-escalation"));
}

TEST(RefractoryEscalation, CountsFailedMechanisms) {
  auto past_vedo = medication_statement("m0", "1538097", "vedolizumab", "2023-01-01", "stopped");
  auto adequate = [] { return observation("lvl", "39803-2", "8", "ug/mL", "2026-05-20"); };
  // Two mechanisms (vedolizumab stopped, infliximab failing with an adequate level), CMV excluded.
  EXPECT_TRUE(fired({crohns(), kOnIfx(), past_vedo, kActive(), kCmvNegative(), adequate()})
                  .contains("refractory-escalation"));
  // Infliximab without a level is not yet a failed mechanism: one mechanism only.
  EXPECT_FALSE(fired({crohns(), kOnIfx(), past_vedo, kActive(), kCmvNegative()})
                   .contains("refractory-escalation"));
  // Two mechanisms but CMV not excluded in an immunosuppressed patient.
  EXPECT_FALSE(fired({crohns(), kOnIfx(), past_vedo, kActive(), adequate()})
                   .contains("refractory-escalation"));
  // Two mechanisms, CMV excluded, but no active inflammation.
  EXPECT_FALSE(fired({crohns(), kOnIfx(), past_vedo, kCmvNegative(), adequate()})
                   .contains("refractory-escalation"));
  // Off therapy after two stopped mechanisms: not immunosuppressed, no biopsy needed first.
  auto past_ifx = medication_statement("m2", "191831", "infliximab", "2021-01-01", "stopped");
  EXPECT_TRUE(fired({crohns(), past_ifx, past_vedo, kActive()}).contains("refractory-escalation"));
}

TEST(EscalationUnproven, ProposedEscalationNeedsProof) {
  auto draft_vedo =
      parse(R"({"resourceType":"MedicationRequest","id":"d1","status":"draft","intent":"proposal",
    "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1538097"}]}})");
  EXPECT_TRUE(fired({crohns()}, "order-select", {draft_vedo}).contains("escalation-unproven"));
  EXPECT_FALSE(
      fired({crohns(), kActive()}, "order-select", {draft_vedo}).contains("escalation-unproven"));
  // On infliximab without a level: not proven even with inflammation.
  EXPECT_TRUE(fired({crohns(), kOnIfx(), kActive()}, "order-sign", {draft_vedo})
                  .contains("escalation-unproven"));
  // Never on patient-view.
  EXPECT_FALSE(fired({crohns()}, "patient-view", {draft_vedo}).contains("escalation-unproven"));
  // IV steroid is an escalation; oral is not.
  auto iv =
      parse(R"({"resourceType":"MedicationRequest","id":"d2","status":"draft","intent":"proposal",
    "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6902"}]},
    "dosageInstruction":[{"route":{"text":"IV"}}]})");
  auto oral =
      parse(R"({"resourceType":"MedicationRequest","id":"d3","status":"draft","intent":"proposal",
    "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6902"}]},
    "dosageInstruction":[{"route":{"text":"by mouth"}}]})");
  EXPECT_TRUE(fired({crohns()}, "order-select", {iv}).contains("escalation-unproven"));
  EXPECT_FALSE(fired({crohns()}, "order-select", {oral}).contains("escalation-unproven"));
}

}  // namespace
}  // namespace ibd::mapping
