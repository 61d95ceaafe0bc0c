// A small rule set and terminology built in code, so mapping tests do not depend on the
// shipped config files, plus builders for FHIR test resources.
#pragma once

#include <string>

#include "fhir/json.hpp"
#include "mapping/patient_data.hpp"
#include "mapping/rule_set.hpp"
#include "mapping/terminology.hpp"

namespace ibd::testing {

mapping::RuleSet test_rules();
mapping::Terminology test_terminology();

fhir::Json parse(const std::string& text);  // aborts the test binary on bad JSON
fhir::Json observation(const std::string& id, const std::string& loinc, const std::string& value,
                       const std::string& unit, const std::string& date,
                       const std::string& status = "final", const std::string& patient = "p1");
fhir::Json medication_statement(const std::string& id, const std::string& rxnorm,
                                const std::string& display, const std::string& start,
                                const std::string& status = "active");
fhir::Json crohns(const std::string& id = "c1");
mapping::PatientData patient_data(std::vector<fhir::Json> resources,
                                  const std::string& patient = "p1");

}  // namespace ibd::testing
