// refractory-escalation: clinical-rules.md §3. (Not implemented yet: reports that it did not run.)
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {

void refractory_escalation(const RuleInput& in, Evaluation& out) {
  RuleTrace trace = start_trace(in.rules.refractory_escalation.meta, in.context);
  if (trace.ran) {
    trace.ran = false;
    trace.why = "not implemented yet";
  }
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
