#include "mapping/genomics.hpp"

namespace ibd::mapping {

bool read_genomic_observation(const fhir::Json&, const Provenance&, const RuleSet&,
                              const Terminology&, IbdModel&) {
  return false;  // filled in by the genomics work
}

}  // namespace ibd::mapping
