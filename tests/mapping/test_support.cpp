#include "tests/mapping/test_support.hpp"

#include <cstdio>
#include <cstdlib>

namespace ibd::testing {

fhir::Json parse(const std::string& text) {
  auto json = fhir::parse_json(text);
  if (!json) {
    std::fprintf(stderr, "test JSON: %s\n", json.error().to_string().c_str());
    std::abort();
  }
  return *json;
}

mapping::Terminology test_terminology() {
  const char* sets[] = {
      R"({"resourceType":"ValueSet","id":"cd","compose":{"include":[
          {"system":"http://snomed.info/sct","concept":[{"code":"34000006","display":"Crohn's disease",
            "designation":[{"value":"crohn disease"}]}]},
          {"system":"http://hl7.org/fhir/sid/icd-10-cm","filter":[{"property":"concept","op":"is-a","value":"K50"}]}]}})",
      R"({"resourceType":"ValueSet","id":"uc","compose":{"include":[
          {"system":"http://snomed.info/sct","concept":[{"code":"64766004","display":"Ulcerative colitis"}]}]}})",
      R"({"resourceType":"ValueSet","id":"ifx","compose":{"include":[
          {"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"191831","display":"infliximab",
            "designation":[{"value":"Remicade"},{"value":"Inflectra"}]}]}]}})",
      R"({"resourceType":"ValueSet","id":"aza","compose":{"include":[
          {"system":"http://www.nlm.nih.gov/research/umls/rxnorm","concept":[{"code":"1256","display":"azathioprine"}]}]}})",
      R"({"resourceType":"ValueSet","id":"fc","compose":{"include":[
          {"system":"http://loinc.org","concept":[{"code":"38445-3","display":"Calprotectin [Mass/mass] in Stool",
            "designation":[{"value":"fecal calprotectin"}]}]}]}})",
      R"({"resourceType":"ValueSet","id":"crp","compose":{"include":[
          {"system":"http://loinc.org","concept":[{"code":"1988-5","display":"C reactive protein","designation":[{"value":"CRP"}]}]}]}})",
      R"({"resourceType":"ValueSet","id":"ifx-ab","compose":{"include":[
          {"system":"urn:ibd-cds:text-match","concept":[{"code":"t","designation":[{"value":"antibodies to infliximab"},{"value":"infliximab antibody"}]}]}]}})",
      R"({"resourceType":"ValueSet","id":"ifx-level","compose":{"include":[
          {"system":"http://loinc.org","concept":[{"code":"39803-2","display":"Infliximab [Mass/volume] in Serum or Plasma",
            "designation":[{"value":"infliximab level"}]}]}]}})",
  };
  std::vector<fhir::Json> json;
  for (const char* s : sets) json.push_back(parse(s));
  auto t = mapping::Terminology::from_valuesets(json);
  if (!t) {
    std::fprintf(stderr, "test terminology: %s\n", t.error().c_str());
    std::abort();
  }
  return std::move(*t);
}

mapping::RuleSet test_rules() {
  mapping::RuleSet r;
  r.version = "test-1";
  r.override_reason_system = "urn:test";
  r.diseases = {{"crohns-disease", "cd", "Crohn's disease"},
                {"ulcerative-colitis", "uc", "ulcerative colitis"}};
  r.labs = {
      {"calprotectin", "fc", "ug/g", "Fecal calprotectin", std::nullopt, std::nullopt},
      {"crp", "crp", "mg/L", "CRP", std::nullopt, std::nullopt},
      {"infliximab-antibody", "ifx-ab", "", "Antibodies to infliximab", std::nullopt, std::nullopt},
      {"infliximab-level", "ifx-level", "ug/mL", "Infliximab level",
       fhir::Coding{"http://loinc.org", "39803-2", "Infliximab [Mass/volume] in Serum or Plasma"},
       std::nullopt}};
  r.drugs = {{"infliximab", "anti-tnf", "ifx", "infliximab-level", "infliximab-antibody", 5.0},
             {"azathioprine", "thiopurine", "aza", "", "", std::nullopt}};
  r.tdm_reactive.meta = {"tdm-reactive",
                         "1.0.0",
                         true,
                         {"patient-view", "order-select"},
                         {"AGA TDM guideline", "https://doi.org/10.1053/j.gastro.2017.07.032", {}},
                         {{"done-elsewhere", "Measured elsewhere"}}};
  r.tdm_reactive.drug_classes = {"anti-tnf"};
  r.data_incomplete.meta = {"data-incomplete",   "1.0.0", true, {"patient-view"},
                            {"ibd-cds", "", {}}, {}};
  return r;
}

fhir::Json observation(const std::string& id, const std::string& loinc, const std::string& value,
                       const std::string& unit, const std::string& date, const std::string& status,
                       const std::string& patient) {
  return parse(R"({"resourceType":"Observation","id":")" + id + R"(","status":")" + status +
               R"(","code":{"coding":[{"system":"http://loinc.org","code":")" + loinc +
               R"("}]},"subject":{"reference":"Patient/)" + patient +
               R"("},"effectiveDateTime":")" + date + R"(","valueQuantity":{"value":)" + value +
               R"(,"unit":")" + unit + R"(","system":"http://unitsofmeasure.org","code":")" + unit +
               R"("}})");
}

fhir::Json medication_statement(const std::string& id, const std::string& rxnorm,
                                const std::string& display, const std::string& start,
                                const std::string& status) {
  return parse(
      R"({"resourceType":"MedicationStatement","id":")" + id + R"(","status":")" + status +
      R"(","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":")" +
      rxnorm + R"(","display":")" + display +
      R"("}]},"subject":{"reference":"Patient/p1"},"effectivePeriod":{"start":")" + start +
      R"("}})");
}

fhir::Json crohns(const std::string& id) {
  return parse(
      R"({"resourceType":"Condition","id":")" + id +
      R"(","code":{"coding":[{"system":"http://snomed.info/sct","code":"34000006"}]},"subject":{"reference":"Patient/p1"}})");
}

mapping::PatientData patient_data(std::vector<fhir::Json> resources, const std::string& patient) {
  mapping::PatientData d;
  d.patient_id = patient;
  d.resources.push_back({"patient", parse(R"({"resourceType":"Patient","id":")" + patient +
                                          R"(","birthDate":"1990-05-01","gender":"female"})")});
  for (auto& r : resources) d.resources.push_back({"test", std::move(r)});
  return d;
}

}  // namespace ibd::testing
