// cmv-exclusion: clinical-rules.md §3. (Not implemented yet: reports that it did not run.)
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {

void cmv_exclusion(const RuleInput& in, Evaluation& out) {
  RuleTrace trace = start_trace(in.rules.cmv_exclusion.meta, in.context);
  if (trace.ran) {
    trace.ran = false;
    trace.why = "not implemented yet";
  }
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
