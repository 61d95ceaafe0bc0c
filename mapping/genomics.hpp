// Genomic results -> GeneResult: TPMT and NUDT15 genotypes and phenotypes, HLA-DQA1 carrier
// status, pathogenic variants in monogenic-IBD genes. Reads the HL7 Genomics Reporting IG
// shapes of STU1, STU2 and STU3 (clinical-rules.md §5). Internal to mapping/.
#pragma once

#include "fhir/json.hpp"
#include "mapping/model.hpp"
#include "mapping/rule_set.hpp"
#include "mapping/terminology.hpp"

namespace ibd::mapping {

// When `observation` is a genomic result this understands, appends what it says to
// model.genes (or a Diagnostic when it cannot be read) and returns true; otherwise returns
// false and leaves the model alone, so the caller reads it as a lab.
bool read_genomic_observation(const fhir::Json& observation, const Provenance& source,
                              const RuleSet& rules, const Terminology& terminology,
                              IbdModel& model);

}  // namespace ibd::mapping
