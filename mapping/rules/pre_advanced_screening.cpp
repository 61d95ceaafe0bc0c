// pre-advanced-screening: clinical-rules.md §3. (Not implemented yet: reports that it did not run.)
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {

void pre_advanced_screening(const RuleInput& in, Evaluation& out) {
  RuleTrace trace = start_trace(in.rules.pre_advanced_screening.meta, in.context);
  if (trace.ran) {
    trace.ran = false;
    trace.why = "not implemented yet";
  }
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
