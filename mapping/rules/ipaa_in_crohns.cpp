// ipaa-in-crohns: an ileal pouch-anal anastomosis proposed (a draft ServiceRequest of the hook
// context) in a patient whose diagnosis is Crohn's disease: critical, high risk of pouch
// failure and of Crohn's disease in the pouch. Not for ulcerative colitis or IBD-U. Only the
// drafts this hook call decides on count (procedure_proposals(): on order-select the selected
// ones, every draft when nothing is selected; on order-sign every draft), so selecting only an
// unrelated order does not raise the card. The suggestion to remove the draft is not marked
// recommended: IPAA in highly selected Crohn's patients is a multidisciplinary decision.
// clinical-rules.md §3.
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

constexpr const char* kIpaa = "ipaa";
constexpr const char* kCrohns = "crohns-disease";

std::vector<const ProcedureFact*> proposed_ipaa(const RuleInput& in) {
  std::vector<const ProcedureFact*> out;
  for (const ProcedureFact* p : procedure_proposals(in))
    if (p->kind == kIpaa) out.push_back(p);
  return out;
}

}  // namespace

void ipaa_in_crohns(const RuleInput& in, Evaluation& out) {
  const IpaaInCrohnsConfig& cfg = in.rules.ipaa_in_crohns;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  if (!trace.ran) {
    out.trace.push_back(trace);
    return;
  }
  const std::vector<const ProcedureFact*> ipaa = proposed_ipaa(in);
  const Diagnosis* diagnosis = in.model.primary_diagnosis();
  if (ipaa.empty()) {
    trace.why = "no IPAA proposed";
  } else if (diagnosis == nullptr) {
    trace.why = "IPAA proposed; no confirmed IBD diagnosis on record";
  } else if (diagnosis->disease != kCrohns) {
    trace.why = "IPAA proposed; the diagnosis is " + diagnosis->display + ", not Crohn's disease";
  }
  if (!trace.why.empty()) {
    out.trace.push_back(trace);
    return;
  }

  Advice a = make_advice(cfg.meta, in.rules, Severity::kCritical);
  a.summary = "IPAA proposed in " + diagnosis->display +
              ": high risk of pouch failure and of Crohn's disease in the pouch";
  if (a.summary.size() >= 140)
    a.summary =
        "IPAA proposed in Crohn's disease: high risk of pouch "
        "failure and recurrence";

  std::string dx =
      escape_markdown(diagnosis->label.empty() ? diagnosis->display : diagnosis->label);
  if (diagnosis->onset) dx += " (onset " + fhir::format_date(diagnosis->onset->start) + ")";
  a.reasoning.push_back("**Diagnosis:** " + dx + ".");
  std::string others;
  for (const Diagnosis& d : in.model.diagnoses)
    if (d.disease != diagnosis->disease)
      others +=
          (others.empty() ? "" : "; ") + escape_markdown(d.label.empty() ? d.display : d.label);
  if (!others.empty())
    a.reasoning.push_back("Also coded: " + others + ". " + diagnosis->display +
                          " is taken as the diagnosis; if it has been revised, correct the "
                          "problem list.");
  std::string proposed;
  for (const ProcedureFact* p : ipaa)
    proposed += (proposed.empty() ? "" : "; ") + escape_markdown(p->label);
  a.reasoning.push_back("**Proposed:** " + proposed + ".");
  a.reasoning.push_back(
      "**Why it matters:** in Crohn's disease an ileal pouch fails far more often than in "
      "ulcerative colitis: Crohn's disease of the pouch, fistulas and perianal sepsis lead to "
      "pouch excision or a permanent ileostomy. An IPAA is generally not advised in Crohn's "
      "disease; in highly selected patients (colonic disease only, no perianal or small-bowel "
      "disease) it is a multidisciplinary decision with informed consent.");
  a.reasoning.push_back(
      "**Alternatives to discuss:** proctocolectomy with end ileostomy, or colectomy with "
      "ileorectal anastomosis when the rectum is spared.");

  for (const Diagnosis& d : in.model.diagnoses) a.evidence.push_back(evidence_row(d));
  for (const ProcedureFact* p : ipaa) a.evidence.push_back(evidence_row(*p));
  a.ignored = ignored_lines(in.model);

  Suggestion s;
  s.label = "Remove the draft IPAA order";
  s.recommended = false;
  for (const ProcedureFact* p : ipaa)
    s.removals.push_back(
        {p->source.reference(), "Remove the draft IPAA order (" + p->source.reference() + ")"});
  a.suggestions.push_back(std::move(s));
  out.advice.push_back(std::move(a));
  trace.fired = true;
  trace.why = "IPAA proposed in Crohn's disease";
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
