// data-incomplete: a source the rules needed could not be read. Says so, so that silence is
// never mistaken for "all clear". clinical-rules.md §3.
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {

void data_incomplete(const RuleInput& in, Evaluation& out) {
  const RuleMeta& meta = in.rules.data_incomplete.meta;
  RuleTrace trace{meta.id, meta.runs_on(in.context.hook), false, ""};
  if (!trace.ran) {
    trace.why = meta.enabled ? "not run on " + in.context.hook : "disabled in config";
  } else if (in.model.missing.empty()) {
    trace.why = "every source was read";
  } else {
    Advice a = make_advice(meta, in.rules, Severity::kInfo);
    std::string names;
    for (const MissingSource& m : in.model.missing)
      names += (names.empty() ? "" : ", ") + (m.description.empty() ? m.key : m.description);
    a.summary = "Advice may be incomplete: could not read " + names;
    if (a.summary.size() > 139)
      a.summary = "Advice may be incomplete: some patient data could not be read";
    a.reasoning.push_back(
        "These sources could not be read, so the rules that need them could not judge them. "
        "The absence of a card about them is not an all-clear:");
    for (const MissingSource& m : in.model.missing)
      a.reasoning.push_back("- **" + (m.description.empty() ? m.key : m.description) + "** (`" +
                            m.key + "`): " + m.reason);
    out.advice.push_back(std::move(a));
    trace.fired = true;
    trace.why = std::to_string(in.model.missing.size()) + " source(s) could not be read";
  }
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
