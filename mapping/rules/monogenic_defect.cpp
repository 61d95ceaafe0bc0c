// monogenic-defect: clinical-rules.md §3. (Not implemented yet: reports that it did not run.)
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {

void monogenic_defect(const RuleInput& in, Evaluation& out) {
  RuleTrace trace = start_trace(in.rules.monogenic_defect.meta, in.context);
  if (trace.ran) {
    trace.ran = false;
    trace.why = "not implemented yet";
  }
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
