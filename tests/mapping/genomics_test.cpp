// Genomic results (Genomics Reporting IG STU1-STU3 shapes, HLA GL Strings, variants) and the
// four rules that read them: thiopurine-pgx, hla-dqa1-05, monogenic-defect, veo-ibd-monogenic.
#include "mapping/genomics.hpp"

#include <gtest/gtest.h>

#include "mapping/evaluate.hpp"
#include "tests/mapping/test_support.hpp"

namespace ibd::mapping {
namespace {

using namespace ibd::testing;

fhir::TimePoint now() { return fhir::parse_date_time("2026-06-01T09:00:00Z")->start; }

RuleMeta meta(const std::string& id, std::vector<std::string> hooks) {
  return {id, "1.0.0", true, std::move(hooks), {id + " source", "https://example.org", {}}, {}};
}

RuleSet genomics_rules() {
  RuleSet r = test_rules();
  r.drugs.push_back({"mercaptopurine", "thiopurine", "mp", "", "", std::nullopt});
  r.drugs.push_back({"methotrexate", "methotrexate", "mtx", "", "", std::nullopt});
  r.labs.push_back({"tpmt-activity", "tpmt-act", "", "TPMT enzyme activity",
                    fhir::Coding{"urn:ibd-cds:lab-order", "tpmt-activity", "TPMT activity"},
                    std::nullopt});
  r.labs.push_back(
      {"immunology-screen", "immuno", "", "Immunology screen", std::nullopt, std::nullopt});
  // New escalations and current immunosuppressants, as config/rules.yaml has them.
  r.advanced_classes = {"anti-tnf",  "anti-integrin", "anti-il12-23",
                        "anti-il23", "jak-inhibitor", "s1p-modulator"};
  r.immunosuppressive_classes = {"thiopurine",           "methotrexate",  "anti-tnf",
                                 "anti-integrin",        "anti-il12-23",  "anti-il23",
                                 "jak-inhibitor",        "s1p-modulator", "systemic-corticosteroid",
                                 "calcineurin-inhibitor"};
  r.procedures = {{"rbc-transfusion", "rbc", "Red-cell transfusion"}};
  auto& pgx = r.thiopurine_pgx;
  pgx.meta = meta("thiopurine-pgx", {"patient-view", "order-select", "order-sign"});
  pgx.tpmt_no_function = {"*2", "*3A", "*3B", "*3C", "*4"};
  pgx.nudt15_no_function = {"*2", "*3", "*9"};
  pgx.genotype_orders = {{{"http://loinc.org", "93193-1", "TPMT and NUDT15"},
                          "TPMT and NUDT15 genotyping",
                          "laboratory"}};
  pgx.transfusion_window_days = 90;
  pgx.cpic = {
      {"normal", "normal", "info", "Normal starting dose.", false},
      {"normal", "intermediate", "warning", "Start at 30-80% of the normal dose.", false},
      {"normal", "poor", "critical", "Use a non-thiopurine immunomodulator.", true},
      {"intermediate", "normal", "warning",
       "Start at 30-80% of the normal dose (thioguanine 50-80%).", false},
      {"intermediate", "intermediate", "warning", "Start at 20-50% of the normal dose.", false},
      {"intermediate", "poor", "critical", "Use an alternative.", true},
      {"poor", "normal", "critical", "Use an alternative (in malignancy: one tenth of the dose).",
       true},
      {"poor", "intermediate", "critical", "Use an alternative.", true},
      {"poor", "poor", "critical", "Use an alternative.", true}};
  r.hla_dqa1_05.meta = meta("hla-dqa1-05", {"order-select"});
  r.hla_dqa1_05.allele_prefix = "HLA-DQA1*05";
  r.monogenic_defect.meta = meta("monogenic-defect", {"patient-view", "order-select"});
  r.monogenic_defect.genes = {"IL10", "IL10RA", "IL10RB", "XIAP", "CYBB", "WAS"};
  r.monogenic_defect.critical_genes = {"IL10", "IL10RA", "IL10RB"};
  r.veo_ibd.meta = meta("veo-ibd-monogenic", {"patient-view"});
  r.veo_ibd.onset_years = 6;
  r.veo_ibd.infantile_years = 2;
  r.veo_ibd.orders = {{{"urn:ibd-cds:lab-order", "immunology-screen", "Immunology screen"},
                       "Immunology screen",
                       "laboratory"},
                      {{"urn:ibd-cds:lab-order", "monogenic-ibd-panel", "Gene panel"},
                       "Gene panel or exome",
                       "laboratory"}};
  return r;
}

Terminology genomics_terminology() {
  const char* sets[] = {
      R"({"resourceType":"ValueSet","id":"cd","compose":{"include":[
          {"system":"http://snomed.info/sct","concept":[{"code":"34000006","display":"Crohn's disease"}]}]}})",
      R"({"resourceType":"ValueSet","id":"uc","compose":{"include":[
          {"system":"http://snomed.info/sct","concept":[{"code":"64766004","display":"Ulcerative colitis"}]}]}})",
      R"({"resourceType":"ValueSet","id":"ifx","compose":{"include":[
          {"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"191831","display":"infliximab"}]}]}})",
      R"({"resourceType":"ValueSet","id":"aza","compose":{"include":[
          {"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"1256","display":"azathioprine"}]}]}})",
      R"({"resourceType":"ValueSet","id":"mp","compose":{"include":[
          {"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"103","display":"mercaptopurine"}]}]}})",
      R"({"resourceType":"ValueSet","id":"mtx","compose":{"include":[
          {"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"6851","display":"methotrexate"}]}]}})",
      R"({"resourceType":"ValueSet","id":"fc","compose":{"include":[
          {"system":"http://loinc.org","concept":[{"code":"38445-3","display":"Calprotectin"}]}]}})",
      R"({"resourceType":"ValueSet","id":"crp","compose":{"include":[
          {"system":"http://loinc.org","concept":[{"code":"1988-5","display":"C reactive protein"}]}]}})",
      R"({"resourceType":"ValueSet","id":"ifx-ab","compose":{"include":[
          {"system":"urn:ibd-cds:text-match","concept":[{"code":"t","designation":[{"value":"antibodies to infliximab"}]}]}]}})",
      R"({"resourceType":"ValueSet","id":"ifx-level","compose":{"include":[
          {"system":"http://loinc.org","concept":[{"code":"39803-2","display":"Infliximab level"}]}]}})",
      R"({"resourceType":"ValueSet","id":"tpmt-act","compose":{"include":[
          {"system":"urn:ibd-cds:text-match","concept":[{"code":"t","designation":[{"value":"tpmt activity"},{"value":"tpmt enzyme activity"}]}]}]}})",
      R"({"resourceType":"ValueSet","id":"immuno","compose":{"include":[
          {"system":"urn:ibd-cds:text-match","concept":[{"code":"t","designation":[{"value":"immunology screen"}]}]}]}})",
      R"({"resourceType":"ValueSet","id":"rbc","compose":{"include":[
          {"system":"http://snomed.info/sct","concept":[{"code":"116863004","display":"Transfusion of red blood cells"}]}]}})",
  };
  std::vector<fhir::Json> json;
  for (const char* s : sets) json.push_back(parse(s));
  return std::move(*Terminology::from_valuesets(json));
}

// ---- FHIR builders ----

std::string subject() { return R"("subject":{"reference":"Patient/p1"})"; }

// A genotype Observation: LOINC `loinc`, an optional gene-studied component (HGNC), the
// diplotype or GL String as valueCodeableConcept text.
fhir::Json genotype(const std::string& id, const std::string& loinc, const std::string& hgnc,
                    const std::string& gene, const std::string& value,
                    const std::string& status = "final", const std::string& date = "2025-03-01") {
  std::string components;
  if (!gene.empty())
    components =
        R"(,"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"48018-6","display":"Gene studied [ID]"}]},
        "valueCodeableConcept":{"coding":[{"system":"http://www.genenames.org","code":")" +
        hgnc + R"(","display":")" + gene + R"("}]}}])";
  return parse(
      R"({"resourceType":"Observation","id":")" + id + R"(","status":")" + status +
      R"(","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
    "code":{"coding":[{"system":"http://loinc.org","code":")" +
      loinc + R"("}]},)" + subject() + R"(,"effectiveDateTime":")" + date +
      R"(","valueCodeableConcept":{"text":")" + value + R"("})" + components + "}");
}

fhir::Json tpmt(const std::string& id, const std::string& diplotype,
                const std::string& status = "final") {
  return genotype(id, "84413-4", "HGNC:12014", "TPMT", diplotype, status);
}
fhir::Json nudt15(const std::string& id, const std::string& diplotype) {
  return genotype(id, "84413-4", "HGNC:23063", "NUDT15", diplotype);
}

// A lab-reported TPMT phenotype (79713-4) with a LOINC metabolizer answer.
fhir::Json tpmt_phenotype(const std::string& id, const std::string& la,
                          const std::string& display) {
  return parse(
      R"({"resourceType":"Observation","id":")" + id +
      R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"79713-4"}]},)" +
      subject() +
      R"(,"effectiveDateTime":"2025-03-01","valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":")" +
      la + R"(","display":")" + display + R"("}]}})");
}

fhir::Json condition(const std::string& onset) {
  std::string o = onset.empty() ? "" : R"(,"onsetDateTime":")" + onset + R"(")";
  return parse(
      R"({"resourceType":"Condition","id":"c1","code":{"coding":[{"system":"http://snomed.info/sct","code":"34000006","display":"Crohn's disease"}]},)" +
      subject() + o + "}");
}

// A Crohn's Condition whose onset is the given JSON member ("onsetAge":{...}).
fhir::Json condition_with(const std::string& onset_member) {
  return parse(
      R"({"resourceType":"Condition","id":"c1","code":{"coding":[{"system":"http://snomed.info/sct","code":"34000006","display":"Crohn's disease"}]},)" +
      subject() + "," + onset_member + "}");
}

fhir::Json draft(const std::string& id, const std::string& rxnorm, const std::string& display) {
  return parse(
      R"({"resourceType":"MedicationRequest","id":")" + id +
      R"(","status":"draft","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":")" +
      rxnorm + R"(","display":")" + display + R"("}]},)" + subject() +
      R"(,"authoredOn":"2026-06-01"})");
}

fhir::Json transfusion(const std::string& date) {
  return parse(
      R"({"resourceType":"Procedure","id":"tx1","status":"completed","code":{"coding":[{"system":"http://snomed.info/sct","code":"116863004","display":"Transfusion of red blood cells"}]},)" +
      subject() + R"(,"performedDateTime":")" + date + R"("})");
}

struct Outcome {
  IbdModel model;
  Evaluation eval;
  const Advice* advice(const std::string& rule) const {
    for (const Advice& a : eval.advice)
      if (a.rule_id == rule) return &a;
    return nullptr;
  }
  std::string why(const std::string& rule) const {
    for (const RuleTrace& t : eval.trace)
      if (t.rule_id == rule) return t.why;
    return "(no trace)";
  }
};

Outcome run(std::vector<fhir::Json> resources, const std::string& hook,
            std::vector<fhir::Json> drafts = {}, std::vector<std::string> selections = {},
            const std::string& birth_date = "1990-05-01") {
  static const RuleSet rules = genomics_rules();
  static const Terminology terminology = genomics_terminology();
  PatientData data;
  data.patient_id = "p1";
  std::string patient = R"({"resourceType":"Patient","id":"p1","gender":"male")";
  if (!birth_date.empty()) patient += R"(,"birthDate":")" + birth_date + R"(")";
  data.resources.push_back({"patient", parse(patient + "}")});
  for (auto& r : resources) data.resources.push_back({"observations", std::move(r)});
  data.draft_orders = std::move(drafts);
  data.selections = std::move(selections);
  Outcome out{build_model(data, terminology, rules), {}};
  out.eval = evaluate(out.model, {hook}, rules, now());
  return out;
}

IbdModel model_of(std::vector<fhir::Json> resources) {
  return run(std::move(resources), "patient-view").model;
}

const GeneResult* gene(const IbdModel& m, const std::string& g, bool from_lab) {
  for (const GeneResult& r : m.genes)
    if (r.gene == g && r.phenotype_from_lab == from_lab) return &r;
  return nullptr;
}

bool ignored(const IbdModel& m, const std::string& ref, const std::string& part) {
  for (const Diagnostic& d : m.diagnostics)
    if (d.source.reference() == ref && d.reason.find(part) != std::string::npos) return true;
  return false;
}

// ---- Mapping ----

TEST(GenomicsMapping, Stu1GenotypeWithHgncGeneDerivesPhenotype) {
  auto m = model_of({tpmt("g1", "*1/*3A")});
  ASSERT_EQ(m.genes.size(), 1u);
  EXPECT_EQ(m.genes[0].gene, "TPMT");
  EXPECT_EQ(m.genes[0].genotype, "*1/*3A");
  EXPECT_EQ(m.genes[0].phenotype, "intermediate");
  EXPECT_FALSE(m.genes[0].phenotype_from_lab);
  EXPECT_EQ(m.genes[0].source.reference(), "Observation/g1");
  EXPECT_TRUE(m.measurements.empty());
}

TEST(GenomicsMapping, DerivedPhenotypesFromStarAlleles) {
  struct Case {
    const char* diplotype;
    const char* phenotype;
  } cases[] = {{"*1/*1", "normal"},
               {"*3A/*3C", "poor"},
               {"*1/*8", "indeterminate"},
               {"*3A/*8", "possible-intermediate"},
               {"TPMT*1/TPMT*3B", "intermediate"},
               {"*1S/*1", "normal"},
               {"No variants detected (wild type)", "normal"},
               {"Heterozygous for *3A", "intermediate"},
               {"*1/*3A (intermediate metabolizer)", "intermediate"}};
  for (const Case& c : cases) {
    auto m = model_of({tpmt("g1", c.diplotype)});
    ASSERT_EQ(m.genes.size(), 1u) << c.diplotype;
    EXPECT_EQ(m.genes[0].phenotype, c.phenotype) << c.diplotype;
  }
  auto n = model_of({nudt15("n1", "*3/*9")});
  ASSERT_EQ(n.genes.size(), 1u);
  EXPECT_EQ(n.genes[0].phenotype, "poor");
  auto nm = model_of({nudt15("n1", "*1/*2")});
  EXPECT_EQ(nm.genes[0].phenotype, "intermediate");
}

TEST(GenomicsMapping, TpmtGenotypeCodeImpliesTheGene) {
  auto m = model_of({genotype("g1", "41048-0", "", "", "*3A/*3A")});
  ASSERT_EQ(m.genes.size(), 1u);
  EXPECT_EQ(m.genes[0].gene, "TPMT");
  EXPECT_EQ(m.genes[0].phenotype, "poor");
}

TEST(GenomicsMapping, CombinedPanelSplitsByGene) {
  auto m = model_of({genotype("g1", "93193-1", "", "", "TPMT *1/*1; NUDT15 *1/*3")});
  ASSERT_EQ(m.genes.size(), 2u);
  const GeneResult* t = gene(m, "TPMT", false);
  const GeneResult* n = gene(m, "NUDT15", false);
  ASSERT_TRUE(t && n);
  EXPECT_EQ(t->phenotype, "normal");
  EXPECT_EQ(n->genotype, "*1/*3");
  EXPECT_EQ(n->phenotype, "intermediate");
}

TEST(GenomicsMapping, Stu1DrugMetabolismWithMedicationComponent) {
  auto m = model_of({parse(
      R"({"resourceType":"Observation","id":"s1","status":"final",
      "code":{"coding":[{"system":"http://loinc.org","code":"53040-2","display":"Genetic variation's effect on drug metabolism"}]},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-03-01",
      "valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA9657-3","display":"Poor metabolizer"}]},
      "component":[
        {"code":{"coding":[{"system":"http://loinc.org","code":"51963-7"}]},"valueCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1256","display":"azathioprine"}]}},
        {"code":{"coding":[{"system":"http://loinc.org","code":"48018-6"}]},"valueCodeableConcept":{"coding":[{"system":"http://www.genenames.org","code":"HGNC:23063","display":"NUDT15"}]}}]})")});
  ASSERT_EQ(m.genes.size(), 1u);
  EXPECT_EQ(m.genes[0].gene, "NUDT15");
  EXPECT_EQ(m.genes[0].phenotype, "poor");
  EXPECT_TRUE(m.genes[0].phenotype_from_lab);
}

// STU2: the implication names no gene and points at the genotype; read in either order.
TEST(GenomicsMapping, Stu2ImplicationTakesItsGeneFromTheGenotype) {
  auto implication = [] {
    return parse(R"({"resourceType":"Observation","id":"ti1","status":"final",
      "code":{"coding":[{"system":"http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes","code":"therapeutic-implication"}]},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-03-01",
      "derivedFrom":[{"reference":"Observation/g1"}],
      "component":[
        {"code":{"coding":[{"system":"http://loinc.org","code":"53040-2"}]},"valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA10317-8","display":"Intermediate metabolizer"}]}},
        {"code":{"coding":[{"system":"http://loinc.org","code":"51963-7"}]},"valueCodeableConcept":{"text":"azathioprine"}}]})");
  };
  for (bool implication_first : {true, false}) {
    auto m = implication_first ? model_of({implication(), tpmt("g1", "*1/*1")})
                               : model_of({tpmt("g1", "*1/*1"), implication()});
    const GeneResult* lab = gene(m, "TPMT", true);
    const GeneResult* derived = gene(m, "TPMT", false);
    ASSERT_TRUE(lab && derived) << implication_first;
    EXPECT_EQ(lab->phenotype, "intermediate");
    EXPECT_EQ(lab->source.reference(), "Observation/ti1");
    EXPECT_EQ(derived->phenotype, "normal");
    EXPECT_TRUE(m.diagnostics.empty()) << m.diagnostics[0].reason;
  }
  // The genotype never arrives: kept out of the rules and said so.
  auto alone = model_of({implication()});
  ASSERT_EQ(alone.genes.size(), 1u);
  EXPECT_TRUE(alone.genes[0].gene.empty());
  EXPECT_TRUE(ignored(alone, "Observation/ti1", "without a gene"));
}

TEST(GenomicsMapping, Stu3ImplicationWithTextAnswerAndGeneComponent) {
  auto m = model_of({parse(R"({"resourceType":"Observation","id":"ti3","status":"amended",
      "code":{"coding":[{"system":"http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs","code":"therapeutic-implication"}]},
      "subject":{"reference":"Patient/p1"},"issued":"2025-04-02T10:00:00Z",
      "component":[
        {"code":{"coding":[{"system":"http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs","code":"predicted-therapeutic-implication"}]},"valueCodeableConcept":{"text":"Possible Intermediate Metabolizer"}},
        {"code":{"coding":[{"system":"http://loinc.org","code":"48018-6"}]},"valueCodeableConcept":{"coding":[{"system":"http://www.genenames.org","code":"HGNC:23063"}]}}]})")});
  ASSERT_EQ(m.genes.size(), 1u);
  EXPECT_EQ(m.genes[0].gene, "NUDT15");
  EXPECT_EQ(m.genes[0].phenotype, "possible-intermediate");
  EXPECT_EQ(fhir::format_date(m.genes[0].effective.start), "2025-04-02");
}

TEST(GenomicsMapping, LabPhenotypeAnswersAndText) {
  auto m = model_of({tpmt_phenotype("p1", "LA25391-6", "Normal metabolizer")});
  ASSERT_EQ(m.genes.size(), 1u);
  EXPECT_EQ(m.genes[0].gene, "TPMT");
  EXPECT_EQ(m.genes[0].phenotype, "normal");
  auto ind = model_of({parse(
      R"({"resourceType":"Observation","id":"p2","status":"final","code":{"text":"TPMT phenotype"},"subject":{"reference":"Patient/p1"},
      "effectiveDateTime":"2025-03-01","valueString":"Indeterminate"})")});
  ASSERT_EQ(ind.genes.size(), 1u);
  EXPECT_EQ(ind.genes[0].phenotype, "indeterminate");
  auto bad = model_of({tpmt_phenotype("p3", "LA0000-0", "Fast")});
  EXPECT_TRUE(bad.genes.empty());
  EXPECT_TRUE(ignored(bad, "Observation/p3", "not recognised"));
}

TEST(GenomicsMapping, HaplotypesPairIntoADiplotype) {
  auto m = model_of({genotype("h1", "84414-2", "HGNC:12014", "TPMT", "*1"),
                     genotype("h2", "84414-2", "HGNC:12014", "TPMT", "*3A")});
  ASSERT_EQ(m.genes.size(), 2u);
  for (const GeneResult& g : m.genes) {
    EXPECT_EQ(g.genotype, "*1/*3A");
    EXPECT_EQ(g.phenotype, "intermediate");
  }
}

TEST(GenomicsMapping, HlaGlStringsPlusAndSlash) {
  auto plus = model_of({parse(R"({"resourceType":"Observation","id":"h1","status":"final",
      "code":{"coding":[{"system":"http://loinc.org","code":"84413-4"}]},"subject":{"reference":"Patient/p1"},
      "effectiveDateTime":"2024-11-20",
      "valueCodeableConcept":{"coding":[{"system":"http://glstring.org","code":"hla#3.25.0#HLA-DQA1*05:01+HLA-DQA1*01:02"}]},
      "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"48018-6"}]},"valueCodeableConcept":{"coding":[{"system":"http://www.genenames.org","code":"HGNC:4942","display":"HLA-DQA1"}]}}]})")});
  ASSERT_EQ(plus.genes.size(), 1u);
  EXPECT_EQ(plus.genes[0].gene, "HLA-DQA1");
  EXPECT_EQ(plus.genes[0].genotype, "HLA-DQA1*05:01+HLA-DQA1*01:02");
  auto slash =
      model_of({genotype("h2", "84413-4", "HGNC:4942", "HLA-DQA1", "DQA1*05:05/DQA1*03:01")});
  ASSERT_EQ(slash.genes.size(), 1u);
  EXPECT_EQ(slash.genes[0].genotype, "HLA-DQA1*05:05/HLA-DQA1*03:01");
  auto bare = model_of({genotype("h3", "84413-4", "HGNC:4942", "HLA-DQA1", "*01:02+*03:01")});
  EXPECT_EQ(bare.genes[0].genotype, "HLA-DQA1*01:02+HLA-DQA1*03:01");
}

TEST(GenomicsMapping, HlaDqa10501Presence) {
  auto obs = [](const std::string& id, const std::string& la, const std::string& display) {
    return parse(
        R"({"resourceType":"Observation","id":")" + id +
        R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"57090-3"}]},"subject":{"reference":"Patient/p1"},
        "effectiveDateTime":"2024-11-20","valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":")" +
        la + R"(","display":")" + display + R"("}]}})");
  };
  auto pos = model_of({obs("q1", "LA9633-4", "Present")});
  ASSERT_EQ(pos.genes.size(), 1u);
  EXPECT_EQ(pos.genes[0].genotype, "HLA-DQA1*05:01");
  auto neg = model_of({obs("q2", "LA9634-2", "Absent")});
  ASSERT_EQ(neg.genes.size(), 1u);
  EXPECT_EQ(neg.genes[0].gene, "HLA-DQA1");
  EXPECT_TRUE(neg.genes[0].genotype.empty());
}

// A variant assessment (69548-6) in `gene`: the change `hgvs`, an allelic state (LOINC
// answer `zygosity_la`, none when empty) and a clinical significance (`la`, none when empty).
fhir::Json variant(const std::string& id, const std::string& gene, const std::string& la,
                   const std::string& display, const std::string& zygosity_la = "LA6705-3",
                   const std::string& zygosity = "Homozygous",
                   const std::string& hgvs = "c.301C>T") {
  const std::string allelic_state =
      zygosity_la.empty()
          ? std::string()
          : R"(,{"code":{"coding":[{"system":"http://loinc.org","code":"53034-5"}]},"valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":")" +
                zygosity_la + R"(","display":")" + zygosity + R"("}]}})";
  return parse(
      R"({"resourceType":"Observation","id":")" + id +
      R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"69548-6"}]},"subject":{"reference":"Patient/p1"},
      "effectiveDateTime":"2025-08-01","valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA9633-4","display":"Present"}]},
      "component":[
        {"code":{"coding":[{"system":"http://loinc.org","code":"48018-6"}]},"valueCodeableConcept":{"coding":[{"system":"http://www.genenames.org","display":")" +
      gene + R"("}]}},
        {"code":{"coding":[{"system":"http://loinc.org","code":"48004-6"}]},"valueCodeableConcept":{"text":")" +
      hgvs + R"("}})" + allelic_state +
      (la.empty()
           ? std::string()
           : R"(,{"code":{"coding":[{"system":"http://loinc.org","code":"53037-8"}]},"valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":")" +
                 la + R"(","display":")" + display + R"("}]}})") +
      "]}");
}

TEST(GenomicsMapping, VariantAssessmentsAndPathogenicity) {
  auto m = model_of({variant("v1", "IL10RA", "LA6668-3", "Pathogenic"),
                     variant("v2", "XIAP", "LA26332-9", "Likely pathogenic"),
                     variant("v3", "CYBB", "LA26333-7", "Uncertain significance")});
  ASSERT_EQ(m.genes.size(), 3u);
  for (const GeneResult& g : m.genes) {
    EXPECT_EQ(g.pathogenic, g.gene != "CYBB") << g.gene;
    EXPECT_EQ(g.variant, "c.301C>T, Homozygous");
  }
}

TEST(GenomicsMapping, ZygosityFromAllelicStateOrWords) {
  struct Case {
    const char* la;
    const char* display;
    const char* zygosity;
  } cases[] = {{"LA6705-3", "Homozygous", "homozygous"},
               {"LA6706-1", "Heterozygous", "heterozygous"},
               {"LA6707-9", "Hemizygous", "hemizygous"},
               {"LA26217-2", "Compound heterozygous", "compound-heterozygous"},
               {"LA0000-0", "compound heterozygote", "compound-heterozygous"},
               {"", "", ""}};
  for (const Case& c : cases) {
    auto m = model_of({variant("v1", "IL10RA", "LA6668-3", "Pathogenic", c.la, c.display)});
    ASSERT_EQ(m.genes.size(), 1u) << c.display;
    EXPECT_EQ(m.genes[0].zygosity, c.zygosity) << c.display;
  }
  auto text = model_of({parse(
      R"({"resourceType":"Observation","id":"s2","status":"final","code":{"text":"IL10RB variant"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-02-01","valueString":"c.139A>G heterozygous, pathogenic"})")});
  ASSERT_EQ(text.genes.size(), 1u);
  EXPECT_EQ(text.genes[0].zygosity, "heterozygous");
}

// An overall-interpretation panel (51968-6) with `value` (a JSON member) and genes studied.
fhir::Json panel(const std::string& id, const std::string& value,
                 const std::vector<std::string>& genes, const std::string& name = "") {
  std::string components;
  for (const std::string& g : genes)
    components +=
        std::string(components.empty() ? "" : ",") +
        R"({"code":{"coding":[{"system":"http://loinc.org","code":"48018-6"}]},"valueCodeableConcept":{"text":")" +
        g + R"("}})";
  return parse(
      R"({"resourceType":"Observation","id":")" + id +
      R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"51968-6"}])" +
      (name.empty() ? "" : R"(,"text":")" + name + R"(")") + "}," + subject() +
      R"(,"effectiveDateTime":"2024-02-01",)" + value + R"(,"component":[)" + components + "]}");
}

const char* kNegative =
    R"("valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA6577-6","display":"Negative"}]})";
const char* kPositive =
    R"("valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA6576-8","display":"Positive"}]})";

TEST(GenomicsMapping, PanelOverallResult) {
  // Negative: a work-up on record, one result per configured monogenic gene studied.
  auto neg = model_of({panel("p1", kNegative, {"IL10RA", "XIAP", "TPMT"})});
  ASSERT_EQ(neg.genes.size(), 2u);
  for (const GeneResult& g : neg.genes) EXPECT_FALSE(g.pathogenic) << g.gene;
  // Positive, naming one gene: pathogenic, with the zygosity; the other genes studied are kept.
  auto pos =
      model_of({panel("p2", R"("valueString":"Positive: homozygous pathogenic variant in IL10RA")",
                      {"IL10RA", "XIAP"})});
  ASSERT_EQ(pos.genes.size(), 2u);
  const GeneResult* il10ra = gene(pos, "IL10RA", false);
  const GeneResult* xiap = gene(pos, "XIAP", false);
  ASSERT_TRUE(il10ra && xiap);
  EXPECT_TRUE(il10ra->pathogenic);
  EXPECT_EQ(il10ra->zygosity, "homozygous");
  EXPECT_FALSE(xiap->pathogenic);
  EXPECT_TRUE(pos.diagnostics.empty());
  // Positive with one gene studied: about that gene.
  auto one = model_of({panel("p3", kPositive, {"IL10"})});
  ASSERT_EQ(one.genes.size(), 1u);
  EXPECT_TRUE(one.genes[0].pathogenic);
  EXPECT_EQ(one.genes[0].zygosity, "");
  // Positive naming several genes, or none of several studied; unreadable: said, and not a
  // work-up.
  auto several =
      model_of({panel("p4", R"("valueString":"Positive: pathogenic variants in IL10RA and XIAP")",
                      {"IL10RA", "XIAP"})});
  EXPECT_TRUE(several.genes.empty());
  EXPECT_TRUE(ignored(several, "Observation/p4", "several genes (IL10RA, XIAP)"));
  auto unnamed = model_of({panel("p5", kPositive, {"IL10RA", "XIAP"})});
  EXPECT_TRUE(unnamed.genes.empty());
  EXPECT_TRUE(ignored(unnamed, "Observation/p5", "names no single gene"));
  auto unclear = model_of({panel("p6", R"("valueString":"See report")", {"IL10RA", "XIAP"})});
  EXPECT_TRUE(unclear.genes.empty());
  EXPECT_TRUE(ignored(unclear, "Observation/p6", "cannot tell whether the panel found"));
  auto no_result = model_of({panel("p7", R"("issued":"2024-02-02T10:00:00Z")", {"IL10RA"})});
  EXPECT_TRUE(no_result.genes.empty());
  EXPECT_TRUE(ignored(no_result, "Observation/p7", "without an overall result"));
}

TEST(GenomicsMapping, LocalCodesByText) {
  // A negative sequencing report names the word "pathogenic" and must not read as one.
  auto neg = model_of({parse(
      R"({"resourceType":"Observation","id":"s1","status":"final","code":{"text":"IL10RA gene sequencing"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-02-01","valueString":"No pathogenic variant detected"})")});
  ASSERT_EQ(neg.genes.size(), 1u);
  EXPECT_EQ(neg.genes[0].gene, "IL10RA");
  EXPECT_FALSE(neg.genes[0].pathogenic);
  auto pos = model_of({parse(
      R"({"resourceType":"Observation","id":"s2","status":"final","code":{"text":"IL10RB variant"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-02-01","valueString":"c.139A>G homozygous, pathogenic"})")});
  ASSERT_EQ(pos.genes.size(), 1u);
  EXPECT_TRUE(pos.genes[0].pathogenic);
  EXPECT_EQ(pos.genes[0].variant, "c.139A>G homozygous, pathogenic");
  // An HLA allele named in a local code: a presence test of that allele.
  auto hla = model_of({parse(
      R"({"resourceType":"Observation","id":"s3","status":"final","code":{"text":"HLA-DQA1*05 carrier status"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-02-01","valueString":"Positive"})")});
  ASSERT_EQ(hla.genes.size(), 1u);
  EXPECT_EQ(hla.genes[0].gene, "HLA-DQA1");
  EXPECT_EQ(hla.genes[0].genotype, "HLA-DQA1*05");
  // "was" in a sentence is not the WAS gene; the unreadable TPMT answer is said.
  auto text = model_of({parse(
      R"({"resourceType":"Observation","id":"s4","status":"final","code":{"text":"TPMT phenotype"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-02-01","valueString":"Result was sent by fax"})")});
  EXPECT_TRUE(text.genes.empty());
  EXPECT_TRUE(ignored(text, "Observation/s4", "not recognised"));
}

TEST(GenomicsMapping, Stu3DiagnosticImplicationDerivedFromVariant) {
  auto implication = parse(R"({"resourceType":"Observation","id":"di1","status":"final",
      "code":{"coding":[{"system":"http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs","code":"diagnostic-implication"}]},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-08-01",
      "derivedFrom":[{"reference":"Observation/v1"}],
      "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"53037-8"}]},"valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA6668-3","display":"Pathogenic"}]}}]})");
  auto m = model_of({implication, variant("v1", "IL10RB", "", "")});
  ASSERT_EQ(m.genes.size(), 2u);
  int pathogenic = 0;
  for (const GeneResult& g : m.genes) {
    EXPECT_EQ(g.gene, "IL10RB");
    pathogenic += g.pathogenic ? 1 : 0;
  }
  EXPECT_EQ(pathogenic, 1);
  EXPECT_TRUE(m.diagnostics.empty());
}

TEST(GenomicsMapping, StatusesLikeLabs) {
  auto m = model_of({tpmt("e1", "*3A/*3A", "entered-in-error"), tpmt("e2", "*3A/*3A", "cancelled"),
                     tpmt("e3", "*1/*1", "registered")});
  EXPECT_TRUE(m.genes.empty());
  EXPECT_TRUE(ignored(m, "Observation/e1", "entered-in-error"));
  EXPECT_TRUE(ignored(m, "Observation/e2", "cancelled"));
  EXPECT_TRUE(ignored(m, "Observation/e3", "registered"));
  auto p = model_of({tpmt("p1", "*1/*1", "preliminary"), nudt15("n1", "*1/*1")});
  ASSERT_EQ(p.genes.size(), 2u);
  const GeneResult* t = gene(p, "TPMT", false);
  ASSERT_NE(t, nullptr);
  EXPECT_NE(t->label.find("preliminary"), std::string::npos);
  auto c = model_of({tpmt("c1", "*1/*1", "corrected")});
  EXPECT_EQ(c.genes.size(), 1u);
}

TEST(GenomicsMapping, EnzymeActivityStaysALabAndNoValueIsSaid) {
  auto m = model_of(
      {parse(
           R"({"resourceType":"Observation","id":"a1","status":"final","code":{"text":"TPMT enzyme activity"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-03-01","valueQuantity":{"value":14.2,"unit":"U/mL"}})"),
       parse(
           R"({"resourceType":"Observation","id":"g9","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"41048-0"}]},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-03-01","dataAbsentReason":{"text":"Sample haemolysed"}})")});
  EXPECT_TRUE(m.genes.empty());
  ASSERT_EQ(m.measurements.size(), 1u);
  EXPECT_EQ(m.measurements[0].concept_id, "tpmt-activity");
  EXPECT_TRUE(ignored(m, "Observation/g9", "Sample haemolysed"));
}

// ---- thiopurine-pgx ----

struct PgxRow {
  const char* name;
  std::string hook;
  std::string therapy;  // "", "active", "not-taken", "draft", "draft-ifx"
  std::string tpmt;     // diplotype; "" = none
  std::string nudt15;
  bool fires;
  Severity severity;
  bool removal;
  std::string order;  // code of an expected suggested order, "" = none
};

Outcome run_pgx(const PgxRow& row, std::vector<fhir::Json> extra = {}) {
  std::vector<fhir::Json> r{condition("2015-01-01")};
  if (row.therapy == "active" || row.therapy == "not-taken")
    r.push_back(medication_statement("ms1", "1256", "azathioprine 50 MG Oral Tablet", "2025-09-01",
                                     row.therapy));
  if (!row.tpmt.empty()) r.push_back(tpmt("gt", row.tpmt));
  if (!row.nudt15.empty()) r.push_back(nudt15("gn", row.nudt15));
  for (auto& e : extra) r.push_back(std::move(e));
  std::vector<fhir::Json> drafts;
  std::vector<std::string> selections;
  if (row.therapy == "draft") {
    drafts.push_back(draft("mr1", "1256", "azathioprine 50 MG Oral Tablet"));
    if (row.hook == "order-select") selections.push_back("MedicationRequest/mr1");
  }
  if (row.therapy == "draft-ifx") {
    drafts.push_back(draft("mr2", "191831", "infliximab"));
    drafts.push_back(draft("mr1", "1256", "azathioprine"));
    selections.push_back("MedicationRequest/mr2");
  }
  return run(std::move(r), row.hook, std::move(drafts), std::move(selections));
}

class ThiopurinePgx : public ::testing::TestWithParam<PgxRow> {};

TEST_P(ThiopurinePgx, FiresAsSpecified) {
  const PgxRow& row = GetParam();
  const Outcome r = run_pgx(row);
  const Advice* a = r.advice("thiopurine-pgx");
  ASSERT_EQ(a != nullptr, row.fires) << r.why("thiopurine-pgx");
  if (a == nullptr) return;
  EXPECT_EQ(a->severity, row.severity) << a->summary;
  EXPECT_LT(a->summary.size(), 140u) << a->summary;
  bool removal = false;
  std::vector<std::string> orders;
  for (const Suggestion& s : a->suggestions) {
    removal = removal || !s.removals.empty();
    for (const ProposedOrder& o : s.orders) orders.push_back(o.code.codings.at(0).code);
  }
  EXPECT_EQ(removal, row.removal);
  if (row.order.empty()) {
    EXPECT_TRUE(orders.empty()) << orders.front();
  } else {
    EXPECT_NE(std::find(orders.begin(), orders.end(), row.order), orders.end()) << a->summary;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ThiopurinePgx,
    ::testing::Values(PgxRow{"pv_not_on_thiopurine", "patient-view", "", "", "", false,
                             Severity::kInfo, false, ""},
                      PgxRow{"pv_not_taken", "patient-view", "not-taken", "", "", false,
                             Severity::kInfo, false, ""},
                      PgxRow{"pv_on_aza_no_genotype", "patient-view", "active", "", "", true,
                             Severity::kWarning, false, "93193-1"},
                      PgxRow{"select_no_genotype", "order-select", "draft", "", "", true,
                             Severity::kWarning, false, "93193-1"},
                      PgxRow{"select_nudt15_missing", "order-select", "draft", "*1/*1", "", true,
                             Severity::kWarning, false, "93193-1"},
                      PgxRow{"select_normal_normal_info", "order-select", "draft", "*1/*1", "*1/*1",
                             true, Severity::kInfo, false, ""},
                      PgxRow{"select_tpmt_intermediate", "order-select", "draft", "*1/*3A", "*1/*1",
                             true, Severity::kWarning, false, ""},
                      PgxRow{"select_both_intermediate", "order-select", "draft", "*1/*3C", "*1/*3",
                             true, Severity::kWarning, false, ""},
                      PgxRow{"select_possible_intermediate", "order-select", "draft", "*3A/*8",
                             "*1/*1", true, Severity::kWarning, false, ""},
                      PgxRow{"select_nudt15_poor_removes", "order-select", "draft", "*1/*1",
                             "*3/*3", true, Severity::kCritical, true, ""},
                      PgxRow{"sign_tpmt_poor_removes", "order-sign", "draft", "*3A/*3A", "*1/*1",
                             true, Severity::kCritical, true, ""},
                      PgxRow{"sign_tpmt_poor_nudt15_missing_still_avoid", "order-sign", "draft",
                             "*3A/*3C", "", true, Severity::kCritical, true, ""},
                      PgxRow{"pv_on_aza_poor_no_removal", "patient-view", "active", "*3A/*3A",
                             "*1/*1", true, Severity::kCritical, false, ""},
                      PgxRow{"tpmt_indeterminate_activity", "order-select", "draft", "*1/*8",
                             "*1/*1", true, Severity::kWarning, false, "tpmt-activity"},
                      PgxRow{"nudt15_indeterminate_monitor", "order-select", "draft", "*1/*1",
                             "*1/*5", true, Severity::kWarning, false, ""},
                      PgxRow{"select_other_drug_selected", "order-select", "draft-ifx", "", "",
                             false, Severity::kInfo, false, ""},
                      PgxRow{"select_active_without_draft", "order-select", "active", "*1/*1",
                             "*1/*1", true, Severity::kInfo, false, ""}),
    [](const ::testing::TestParamInfo<PgxRow>& p) { return std::string(p.param.name); });

TEST(ThiopurinePgxCard, PoorMetabolizerDraftGetsDeleteOfThatDraft) {
  const Outcome r =
      run_pgx({"x", "order-sign", "draft", "*1/*1", "*3/*9", true, Severity::kCritical, true, ""});
  const Advice* a = r.advice("thiopurine-pgx");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->suggestions.size(), 1u);
  ASSERT_EQ(a->suggestions[0].removals.size(), 1u);
  EXPECT_EQ(a->suggestions[0].removals[0].reference, "MedicationRequest/mr1");
  EXPECT_NE(a->summary.find("NUDT15 poor"), std::string::npos) << a->summary;
  // Evidence: the draft, then both genotypes.
  ASSERT_EQ(a->evidence.size(), 3u);
  EXPECT_EQ(a->evidence[0].source, "MedicationRequest/mr1");
  EXPECT_EQ(a->evidence[2].source, "Observation/gn");
  EXPECT_EQ(a->evidence[2].recorded, "NUDT15 *3/*9");
  EXPECT_NE(a->evidence[2].converted.find("poor"), std::string::npos);
  // FHIR text in the reasoning is escaped.
  std::string md;
  for (const auto& p : a->reasoning) md += p;
  EXPECT_NE(md.find("\\*3/\\*9"), std::string::npos) << md;
}

TEST(ThiopurinePgxCard, LabPhenotypeWinsOverDerived) {
  // The lab calls TPMT normal although its star alleles read intermediate: the lab's call
  // picks the cell (normal x normal), and the contradiction lifts info to warning.
  const Outcome r = run_pgx(
      {"x", "order-select", "draft", "*1/*3A", "*1/*1", true, Severity::kWarning, false, ""},
      {tpmt_phenotype("ph", "LA25391-6", "Normal metabolizer")});
  const Advice* a = r.advice("thiopurine-pgx");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kWarning) << a->summary;
  EXPECT_NE(a->summary.find("TPMT normal, NUDT15 normal"), std::string::npos) << a->summary;
  std::string md;
  for (const auto& p : a->reasoning) md += p;
  EXPECT_NE(md.find("reported by the laboratory"), std::string::npos) << md;
  EXPECT_NE(md.find("would read as intermediate"), std::string::npos) << md;
  EXPECT_NE(md.find("Results disagree"), std::string::npos) << md;
  // Agreeing results, or an unknown-function allele, are no contradiction.
  const Outcome agree =
      run_pgx({"x", "order-select", "draft", "*1/*1", "*1/*1", true, Severity::kInfo, false, ""},
              {tpmt_phenotype("ph", "LA25391-6", "Normal metabolizer")});
  ASSERT_NE(agree.advice("thiopurine-pgx"), nullptr);
  EXPECT_EQ(agree.advice("thiopurine-pgx")->severity, Severity::kInfo);
  const Outcome unknown =
      run_pgx({"x", "order-select", "draft", "*1/*8", "*1/*1", true, Severity::kInfo, false, ""},
              {tpmt_phenotype("ph", "LA25391-6", "Normal metabolizer")});
  ASSERT_NE(unknown.advice("thiopurine-pgx"), nullptr);
  EXPECT_EQ(unknown.advice("thiopurine-pgx")->severity, Severity::kInfo);
}

TEST(ThiopurinePgxCard, TransfusionDefersTpmtActivity) {
  const PgxRow row{"x",  "order-select",     "draft", "*1/*8", "*1/*1",
                   true, Severity::kWarning, false,   ""};
  const Outcome recent = run_pgx(row, {transfusion("2026-04-02")});  // 60 days before now
  const Advice* a = recent.advice("thiopurine-pgx");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->suggestions.empty());
  std::string md;
  for (const auto& p : a->reasoning) md += p;
  EXPECT_NE(md.find("on or after 2026-07-02"), std::string::npos) << md;
  EXPECT_EQ(a->evidence.back().source, "Procedure/tx1");
  // 91 days after the transfusion the activity test is valid again.
  const Outcome old = run_pgx(row, {transfusion("2026-03-02")});
  ASSERT_NE(old.advice("thiopurine-pgx"), nullptr);
  ASSERT_EQ(old.advice("thiopurine-pgx")->suggestions.size(), 1u);
  // An activity result drawn 20 days after a transfusion is not valid.
  const Outcome spoilt = run_pgx(
      row,
      {transfusion("2025-01-10"),
       parse(
           R"({"resourceType":"Observation","id":"act","status":"final","code":{"text":"TPMT activity"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-01-30","valueQuantity":{"value":9.1,"unit":"U/mL"}})")});
  const Advice* s = spoilt.advice("thiopurine-pgx");
  ASSERT_NE(s, nullptr);
  md.clear();
  for (const auto& p : s->reasoning) md += p;
  EXPECT_NE(md.find("20 days after a red-cell transfusion"), std::string::npos) << md;
  ASSERT_EQ(s->suggestions.size(), 1u);
}

TEST(ThiopurinePgxCard, ValidActivityResultIsNotMeasuredAgain) {
  const PgxRow row{"x",  "order-select",     "draft", "*1/*8", "*1/*1",
                   true, Severity::kWarning, false,   ""};
  const Outcome r = run_pgx(
      row,
      {parse(
          R"({"resourceType":"Observation","id":"act","status":"final","code":{"text":"TPMT activity"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-06-01","valueQuantity":{"value":14.2,"unit":"U/mL"}})")});
  const Advice* a = r.advice("thiopurine-pgx");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->summary.find("measure"), std::string::npos) << a->summary;
  EXPECT_NE(a->summary.find("TPMT activity result on record"), std::string::npos) << a->summary;
  EXPECT_LT(a->summary.size(), 140u);
  EXPECT_TRUE(a->suggestions.empty());
  std::string md;
  for (const auto& p : a->reasoning) md += p;
  EXPECT_NE(md.find("stands in for it"), std::string::npos) << md;
  EXPECT_EQ(md.find("measure red-cell"), std::string::npos) << md;
  EXPECT_NE(r.why("thiopurine-pgx").find("TPMT activity on record"), std::string::npos);
}

// ---- hla-dqa1-05 ----

struct HlaRow {
  const char* name;
  std::string hook;
  std::string draft_rxnorm;  // "" = no draft
  std::string typing;        // GL string; "" = none
  bool fires;
};

class HlaDqa105 : public ::testing::TestWithParam<HlaRow> {};

TEST_P(HlaDqa105, FiresAsSpecified) {
  const HlaRow& row = GetParam();
  std::vector<fhir::Json> r{condition("2024-01-01")};
  if (!row.typing.empty())
    r.push_back(genotype("hla", "84413-4", "HGNC:4942", "HLA-DQA1", row.typing));
  std::vector<fhir::Json> drafts;
  if (!row.draft_rxnorm.empty()) drafts.push_back(draft("mr1", row.draft_rxnorm, "drug"));
  const Outcome out = run(std::move(r), row.hook, std::move(drafts), {"MedicationRequest/mr1"});
  const Advice* a = out.advice("hla-dqa1-05");
  ASSERT_EQ(a != nullptr, row.fires) << out.why("hla-dqa1-05");
  if (a == nullptr) return;
  EXPECT_EQ(a->severity, Severity::kInfo);
  EXPECT_LT(a->summary.size(), 140u);
  std::string md;
  for (const auto& p : a->reasoning) md += p;
  EXPECT_NE(md.find("1.9"), std::string::npos);
  EXPECT_EQ(md.find("ambiguous") != std::string::npos, row.typing.find('/') != std::string::npos)
      << md;
}

INSTANTIATE_TEST_SUITE_P(
    Table, HlaDqa105,
    ::testing::Values(
        HlaRow{"carrier_plus", "order-select", "191831", "HLA-DQA1*05:01+HLA-DQA1*01:02", true},
        HlaRow{"carrier_homozygous", "order-select", "191831", "HLA-DQA1*05:05+HLA-DQA1*05:01",
               true},
        HlaRow{"carrier_ambiguous_slash", "order-select", "191831",
               "HLA-DQA1*05:05/HLA-DQA1*03:01+HLA-DQA1*01:02", true},
        HlaRow{"non_carrier", "order-select", "191831", "HLA-DQA1*01:02+HLA-DQA1*03:01", false},
        HlaRow{"no_typing", "order-select", "191831", "", false},
        HlaRow{"thiopurine_proposed", "order-select", "1256", "HLA-DQA1*05:01+HLA-DQA1*01:02",
               false},
        HlaRow{"order_sign_not_run", "order-sign", "191831", "HLA-DQA1*05:01+HLA-DQA1*01:02",
               false}),
    [](const ::testing::TestParamInfo<HlaRow>& p) { return std::string(p.param.name); });

TEST(HlaDqa105Card, OnlyForANewStartAndSaysWhatIsKnown) {
  auto typing = [] {
    return genotype("hla", "84413-4", "HGNC:4942", "HLA-DQA1", "HLA-DQA1*05:01+HLA-DQA1*01:02");
  };
  auto ifx = [] {
    std::vector<fhir::Json> d;
    d.push_back(draft("mr1", "191831", "infliximab"));
    return d;
  };
  // Already on azathioprine: continue it, rather than "consider an immunomodulator".
  const Outcome on_aza = run({condition("2024-01-01"), typing(),
                              medication_statement("ms1", "1256", "azathioprine", "2025-01-01")},
                             "order-select", ifx(), {"MedicationRequest/mr1"});
  const Advice* a = on_aza.advice("hla-dqa1-05");
  ASSERT_NE(a, nullptr) << on_aza.why("hla-dqa1-05");
  EXPECT_NE(a->summary.find("already on azathioprine"), std::string::npos) << a->summary;
  EXPECT_EQ(a->summary.find("consider an immunomodulator"), std::string::npos) << a->summary;
  EXPECT_LT(a->summary.size(), 140u);
  std::string md;
  for (const auto& p : a->reasoning) md += p;
  EXPECT_EQ(md.find("Consider:"), std::string::npos) << md;
  EXPECT_NE(md.find("Already on an immunomodulator"), std::string::npos) << md;
  EXPECT_EQ(a->evidence.back().source, "MedicationStatement/ms1");
  // Infliximab re-ordered for a patient on it: not a new anti-TNF start.
  const Outcome reorder = run({condition("2024-01-01"), typing(),
                               medication_statement("ms2", "191831", "infliximab", "2025-01-01")},
                              "order-select", ifx(), {"MedicationRequest/mr1"});
  EXPECT_EQ(reorder.advice("hla-dqa1-05"), nullptr);
  EXPECT_NE(reorder.why("hla-dqa1-05").find("not a new anti-TNF start"), std::string::npos)
      << reorder.why("hla-dqa1-05");
  // A negative HLA-DQA1*05:01 test (57090-3) leaves the other *05 alleles untested.
  const Outcome single = run(
      {condition("2024-01-01"),
       parse(
           R"({"resourceType":"Observation","id":"q2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"57090-3"}]},"subject":{"reference":"Patient/p1"},
        "effectiveDateTime":"2024-11-20","valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA9634-2","display":"Absent"}]}})")},
      "order-select", ifx(), {"MedicationRequest/mr1"});
  EXPECT_EQ(single.advice("hla-dqa1-05"), nullptr);
  const std::string why = single.why("hla-dqa1-05");
  EXPECT_NE(why.find("HLA-DQA1*05:01 only"), std::string::npos) << why;
  EXPECT_NE(why.find("HLA-DQA1*05:05) were not tested"), std::string::npos) << why;
  EXPECT_EQ(why.find("no HLA-DQA1*05 allele"), std::string::npos) << why;
}

// ---- monogenic-defect ----

TEST(MonogenicDefect, CriticalGeneVersusOtherGene) {
  const Outcome r = run({condition("2024-01-01"), variant("v1", "IL10RA", "LA6668-3", "Pathogenic"),
                         variant("v2", "XIAP", "LA26332-9", "Likely pathogenic"),
                         variant("v3", "CYBB", "LA26333-7", "Uncertain significance")},
                        "patient-view");
  std::vector<const Advice*> cards;
  for (const Advice& a : r.eval.advice)
    if (a.rule_id == "monogenic-defect") cards.push_back(&a);
  ASSERT_EQ(cards.size(), 2u) << r.why("monogenic-defect");
  EXPECT_EQ(cards[0]->severity, Severity::kCritical);
  EXPECT_NE(cards[0]->summary.find("IL10RA"), std::string::npos);
  EXPECT_NE(cards[0]->summary.find("HSCT"), std::string::npos);
  EXPECT_EQ(cards[1]->severity, Severity::kWarning);
  EXPECT_NE(cards[1]->summary.find("XIAP"), std::string::npos);
  for (const Advice* a : cards) {
    EXPECT_LT(a->summary.size(), 140u);
    ASSERT_EQ(a->evidence.size(), 1u);
  }
  EXPECT_EQ(cards[0]->evidence[0].source, "Observation/v1");
}

TEST(MonogenicDefect, HooksAndNonPathogenic) {
  auto il10 = [] { return variant("v1", "IL10", "LA6668-3", "Pathogenic"); };
  EXPECT_NE(run({il10()}, "order-select").advice("monogenic-defect"), nullptr);
  EXPECT_EQ(run({il10()}, "order-sign").advice("monogenic-defect"), nullptr);
  const Outcome vus =
      run({variant("v3", "IL10RB", "LA26333-7", "Uncertain significance")}, "patient-view");
  EXPECT_EQ(vus.advice("monogenic-defect"), nullptr);
  EXPECT_NE(vus.why("monogenic-defect").find("none pathogenic"), std::string::npos);
}

TEST(MonogenicDefect, RecessiveGenesNeedBothCopies) {
  auto card = [](const Outcome& r) { return r.advice("monogenic-defect"); };
  auto md = [](const Advice* a) {
    std::string s;
    for (const auto& p : a->reasoning) s += p;
    return s;
  };
  // One heterozygous variant: a carrier, or a second variant not found.
  const Outcome het =
      run({variant("v1", "IL10RA", "LA6668-3", "Pathogenic", "LA6706-1", "Heterozygous")},
          "patient-view");
  ASSERT_NE(card(het), nullptr);
  EXPECT_EQ(card(het)->severity, Severity::kWarning);
  EXPECT_NE(card(het)->summary.find("carrier or second variant not found"), std::string::npos)
      << card(het)->summary;
  EXPECT_NE(card(het)->summary.find("clinical genetics"), std::string::npos);
  EXPECT_EQ(card(het)->summary.find("HSCT"), std::string::npos);
  EXPECT_LT(card(het)->summary.size(), 140u);
  EXPECT_NE(het.why("monogenic-defect").find("heterozygous"), std::string::npos);
  // Hemizygous, compound heterozygous: both copies affected.
  for (const auto& [la, display] :
       {std::pair{"LA6707-9", "Hemizygous"}, std::pair{"LA26217-2", "Compound heterozygous"}}) {
    const Outcome r =
        run({variant("v1", "IL10", "LA6668-3", "Pathogenic", la, display)}, "patient-view");
    ASSERT_NE(card(r), nullptr) << display;
    EXPECT_EQ(card(r)->severity, Severity::kCritical) << display;
  }
  // Two different heterozygous pathogenic variants in the gene.
  const Outcome two = run(
      {variant("v1", "IL10RB", "LA6668-3", "Pathogenic", "LA6706-1", "Heterozygous", "c.301C>T"),
       variant("v2", "IL10RB", "LA26332-9", "Likely pathogenic", "LA6706-1", "Heterozygous",
               "NM_000628.5:c.436G>A")},
      "patient-view");
  ASSERT_NE(card(two), nullptr);
  EXPECT_EQ(card(two)->severity, Severity::kCritical);
  EXPECT_NE(md(card(two)).find("two pathogenic variants"), std::string::npos) << md(card(two));
  EXPECT_EQ(card(two)->evidence.size(), 2u);
  // The same change reported twice is one variant.
  const Outcome same = run(
      {variant("v1", "IL10RB", "LA6668-3", "Pathogenic", "LA6706-1", "Heterozygous", "c.301C>T"),
       variant("v2", "IL10RB", "LA6668-3", "Pathogenic", "LA6706-1", "Heterozygous",
               "NM_000628.5:c.301C>T")},
      "patient-view");
  ASSERT_NE(card(same), nullptr);
  EXPECT_EQ(card(same)->severity, Severity::kWarning);
  // Zygosity not reported: a warning to find out.
  const Outcome unknown =
      run({variant("v1", "IL10", "LA6668-3", "Pathogenic", "", "")}, "patient-view");
  ASSERT_NE(card(unknown), nullptr);
  EXPECT_EQ(card(unknown)->severity, Severity::kWarning);
  EXPECT_NE(card(unknown)->summary.find("zygosity not reported"), std::string::npos);
  // Another gene: a warning naming it, as before, whatever the zygosity.
  const Outcome xiap =
      run({variant("v1", "XIAP", "LA6668-3", "Pathogenic", "LA6706-1", "Heterozygous")},
          "patient-view");
  ASSERT_NE(card(xiap), nullptr);
  EXPECT_EQ(card(xiap)->severity, Severity::kWarning);
  EXPECT_NE(card(xiap)->summary.find("monogenic IBD likely"), std::string::npos);
}

TEST(MonogenicDefect, PositivePanelNamingTheGene) {
  const Outcome r =
      run({panel("p1", R"("valueString":"Positive: homozygous pathogenic variant in IL10RA")",
                 {"IL10", "IL10RA", "IL10RB", "XIAP"})},
          "patient-view");
  const Advice* a = r.advice("monogenic-defect");
  ASSERT_NE(a, nullptr) << r.why("monogenic-defect");
  EXPECT_EQ(a->severity, Severity::kCritical);
  EXPECT_NE(a->summary.find("IL10RA"), std::string::npos);
  ASSERT_EQ(a->evidence.size(), 1u);
  EXPECT_EQ(a->evidence[0].source, "Observation/p1");
}

// ---- veo-ibd-monogenic ----

struct VeoRow {
  const char* name;
  std::string birth;
  std::string onset;
  bool workup;
  bool fires;
  bool infantile;
  std::string why;  // part of the trace when it does not fire
};

class VeoIbd : public ::testing::TestWithParam<VeoRow> {};

TEST_P(VeoIbd, FiresAsSpecified) {
  const VeoRow& row = GetParam();
  std::vector<fhir::Json> r{condition(row.onset)};
  if (row.workup)
    r.push_back(parse(R"({"resourceType":"Observation","id":"panel","status":"final",
      "code":{"coding":[{"system":"http://loinc.org","code":"51968-6"}]},"subject":{"reference":"Patient/p1"},
      "effectiveDateTime":"2024-02-01","valueCodeableConcept":{"coding":[{"system":"http://loinc.org","code":"LA6577-6","display":"Negative"}]},
      "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"48018-6"}]},"valueCodeableConcept":{"text":"IL10RA"}},
                   {"code":{"coding":[{"system":"http://loinc.org","code":"48018-6"}]},"valueCodeableConcept":{"text":"XIAP"}}]})"));
  const Outcome x = run(std::move(r), "patient-view", {}, {}, row.birth);
  const Advice* a = x.advice("veo-ibd-monogenic");
  ASSERT_EQ(a != nullptr, row.fires) << x.why("veo-ibd-monogenic");
  if (a == nullptr) {
    EXPECT_NE(x.why("veo-ibd-monogenic").find(row.why), std::string::npos)
        << x.why("veo-ibd-monogenic");
    return;
  }
  EXPECT_EQ(a->severity, Severity::kWarning);
  EXPECT_LT(a->summary.size(), 140u) << a->summary;
  EXPECT_EQ(a->summary.starts_with("Infantile"), row.infantile) << a->summary;
  ASSERT_EQ(a->suggestions.size(), 1u);
  EXPECT_EQ(a->suggestions[0].orders.size(), 2u);
  ASSERT_EQ(a->evidence.size(), 2u);
  EXPECT_EQ(a->evidence[0].source, "Patient/p1");
  EXPECT_EQ(a->evidence[1].source, "Condition/c1");
}

INSTANTIATE_TEST_SUITE_P(
    Table, VeoIbd,
    ::testing::Values(
        VeoRow{"onset_day_before_6th_birthday", "2015-03-10", "2021-03-09", false, true, false, ""},
        VeoRow{"onset_on_6th_birthday", "2015-03-10", "2021-03-10", false, false, false,
               "not before 6 years"},
        VeoRow{"onset_day_before_2nd_birthday", "2019-03-10", "2021-03-09", false, true, true, ""},
        VeoRow{"onset_on_2nd_birthday", "2019-03-10", "2021-03-10", false, true, false, ""},
        VeoRow{"workup_on_record", "2019-03-10", "2020-01-01", true, false, false,
               "work-up is on record"},
        VeoRow{"onset_unknown", "2019-03-10", "", false, false, false, "onset of IBD not recorded"},
        VeoRow{"birth_unknown", "", "2020-01-01", false, false, false, "birth date not recorded"},
        VeoRow{"onset_year_straddles", "2015-03-10", "2021", false, false, false, "imprecise"},
        VeoRow{"onset_year_entirely_before", "2015-03-10", "2020", false, true, false, ""},
        VeoRow{"adult_onset", "1990-05-01", "2015-01-01", false, false, false,
               "not before 6 years"}),
    [](const ::testing::TestParamInfo<VeoRow>& p) { return std::string(p.param.name); });

TEST(VeoIbdWorkup, WhatCountsAsTheWorkup) {
  auto veo = [](std::vector<fhir::Json> results) {
    results.insert(results.begin(), condition("2021-07-01"));  // 2 years 3 months
    return run(std::move(results), "patient-view", {}, {}, "2019-03-10");
  };
  auto md = [](const Advice* a) {
    std::string s;
    for (const auto& p : a->reasoning) s += p;
    return s;
  };
  // A single-gene variant of uncertain significance: the card fires, naming it as partial.
  const Outcome vus = veo(
      {variant("v1", "IL10", "LA26333-7", "Uncertain significance", "LA6706-1", "Heterozygous")});
  const Advice* a = vus.advice("veo-ibd-monogenic");
  ASSERT_NE(a, nullptr) << vus.why("veo-ibd-monogenic");
  EXPECT_NE(a->summary.find("monogenic work-up incomplete"), std::string::npos) << a->summary;
  EXPECT_LT(a->summary.size(), 140u);
  EXPECT_NE(md(a).find("Partial work-up only"), std::string::npos) << md(a);
  EXPECT_NE(md(a).find("Observation/v1"), std::string::npos) << md(a);
  ASSERT_EQ(a->evidence.size(), 3u);
  EXPECT_EQ(a->evidence[2].source, "Observation/v1");
  ASSERT_EQ(a->suggestions.size(), 1u);
  EXPECT_EQ(a->suggestions[0].orders.size(), 2u);
  // A heterozygous pathogenic variant in a recessive gene is partial too.
  const Outcome het =
      veo({variant("v1", "IL10RA", "LA6668-3", "Pathogenic", "LA6706-1", "Heterozygous")});
  ASSERT_NE(het.advice("veo-ibd-monogenic"), nullptr);
  EXPECT_NE(md(het.advice("veo-ibd-monogenic")).find("second variant not found"),
            std::string::npos);
  // Both copies of IL10RA affected: the defect is found, no card.
  const Outcome hom = veo({variant("v1", "IL10RA", "LA6668-3", "Pathogenic")});
  EXPECT_EQ(hom.advice("veo-ibd-monogenic"), nullptr);
  EXPECT_NE(hom.why("veo-ibd-monogenic").find("monogenic defect is on record"), std::string::npos)
      << hom.why("veo-ibd-monogenic");
  // A panel (several genes in one test, or a test named a panel), positive or negative.
  for (auto& p :
       {panel("p1", R"("valueString":"Positive: heterozygous pathogenic variant in IL10RA")",
              {"IL10RA", "XIAP"}),
        panel("p2", kNegative, {"IL10"}, "Monogenic IBD gene panel")}) {
    const Outcome r = veo({p});
    EXPECT_EQ(r.advice("veo-ibd-monogenic"), nullptr);
    EXPECT_NE(r.why("veo-ibd-monogenic").find("work-up is on record"), std::string::npos)
        << r.why("veo-ibd-monogenic");
  }
  // A positive panel that cannot be read is no work-up.
  EXPECT_NE(veo({panel("p3", kPositive, {"IL10RA", "XIAP"})}).advice("veo-ibd-monogenic"), nullptr);
  // An immunology screen on record.
  const Outcome immunology = veo({parse(
      R"({"resourceType":"Observation","id":"im1","status":"final","code":{"text":"Immunology screen"},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2021-08-01","valueString":"Normal"})")});
  EXPECT_EQ(immunology.advice("veo-ibd-monogenic"), nullptr);
  EXPECT_NE(immunology.why("veo-ibd-monogenic").find("Immunology screen on record"),
            std::string::npos)
      << immunology.why("veo-ibd-monogenic");
}

TEST(VeoIbdDates, OnsetAndBirthAsWritten) {
  auto veo = [](const std::string& onset, const std::string& birth) {
    return run({condition(onset)}, "patient-view", {}, {}, birth);
  };
  // 23:30 in New York the day before the 6th birthday: already the birthday in UTC.
  const Outcome before = veo("2021-03-09T23:30:00-05:00", "2015-03-10");
  ASSERT_NE(before.advice("veo-ibd-monogenic"), nullptr) << before.why("veo-ibd-monogenic");
  EXPECT_NE(before.advice("veo-ibd-monogenic")->summary.find("5 years 11 months"),
            std::string::npos);
  EXPECT_EQ(before.advice("veo-ibd-monogenic")->evidence[1].date, "2021-03-09");
  // 00:30 in Berlin on the 6th birthday: still the day before in UTC.
  const Outcome on = veo("2021-03-10T00:30:00+01:00", "2015-03-10");
  EXPECT_EQ(on.advice("veo-ibd-monogenic"), nullptr);
  EXPECT_NE(on.why("veo-ibd-monogenic").find("not before 6 years"), std::string::npos)
      << on.why("veo-ibd-monogenic");
  // The same at the infantile cut-off: on the 2nd birthday as written, not infantile.
  const Outcome second = veo("2021-03-10T00:30:00+01:00", "2019-03-10");
  ASSERT_NE(second.advice("veo-ibd-monogenic"), nullptr);
  EXPECT_TRUE(second.advice("veo-ibd-monogenic")->summary.starts_with("Very-early-onset"));
  const Outcome infantile = veo("2021-03-09T23:30:00-05:00", "2019-03-10");
  ASSERT_NE(infantile.advice("veo-ibd-monogenic"), nullptr);
  EXPECT_TRUE(infantile.advice("veo-ibd-monogenic")->summary.starts_with("Infantile-onset"));
}

TEST(VeoIbdDates, OnsetAgeInMonths) {
  const Outcome r = run(
      {condition_with(
          R"("onsetAge":{"value":8,"unit":"mo","system":"http://unitsofmeasure.org","code":"mo"})")},
      "patient-view", {}, {}, "2024-01-15");
  const Advice* a = r.advice("veo-ibd-monogenic");
  ASSERT_NE(a, nullptr) << r.why("veo-ibd-monogenic");
  EXPECT_TRUE(a->summary.starts_with("Infantile-onset")) << a->summary;
  EXPECT_NE(a->summary.find("onset at 8 months"), std::string::npos) << a->summary;
}

// ---- every rule reports once ----

TEST(GenomicsRules, EachRuleAppendsExactlyOneTrace) {
  for (const char* hook : {"patient-view", "order-select", "order-sign"}) {
    const Outcome r = run({condition("2019-01-01"), tpmt("g", "*3A/*3A"),
                           variant("v1", "IL10RA", "LA6668-3", "Pathogenic"),
                           variant("v2", "XIAP", "LA6668-3", "Pathogenic"),
                           medication_statement("ms1", "1256", "azathioprine", "2025-01-01")},
                          hook, {draft("mr1", "191831", "infliximab")}, {"MedicationRequest/mr1"});
    for (const char* id :
         {"thiopurine-pgx", "hla-dqa1-05", "monogenic-defect", "veo-ibd-monogenic"}) {
      int n = 0;
      for (const RuleTrace& t : r.eval.trace) n += t.rule_id == id ? 1 : 0;
      EXPECT_EQ(n, 1) << hook << " " << id;
    }
  }
}

}  // namespace
}  // namespace ibd::mapping
