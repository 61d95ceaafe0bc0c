// hla-dqa1-05: an anti-TNF is started (a new anti-TNF among the proposals: re-ordering the
// anti-TNF the patient is on is not a start) and the patient carries an HLA-DQA1*05 allele
// (rules.hla_dqa1_05.allele_prefix) -> info: a higher risk of antibodies to the drug; an
// immunomodulator (or continuing the one the patient is on) and proactive drug monitoring.
// A negative test of one allele (57090-3: HLA-DQA1*05:01) does not rule out the others.
// clinical-rules.md §3; PANTS.
#include <algorithm>

#include "mapping/genomics_text.hpp"
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

using genomics::upper;

constexpr const char* kAntiTnfClass = "anti-tnf";
constexpr const char* kNotDetected = " not detected";  // how genomics writes a negative test

bool immunomodulator(const Therapy& t) {
  return t.drug_class == "thiopurine" || t.drug_class == "methotrexate";
}

// The alleles of a GL String, grouped as the typing gives them: "+" separates the two
// copies, "/" lists alleles the typing could not tell apart ("|", "^", "~" split too).
std::vector<std::vector<std::string>> allele_lists(const std::string& gl) {
  std::vector<std::vector<std::string>> out(1);
  std::string current;
  auto flush = [&] {
    if (!current.empty()) out.back().push_back(current);
    current.clear();
  };
  for (char c : gl) {
    if (c == '/') {
      flush();
    } else if (c == '+' || c == '|' || c == '^' || c == '~' || c == ',' || c == ' ') {
      flush();
      if (!out.back().empty()) out.emplace_back();
    } else {
      current.push_back(c);
    }
  }
  flush();
  if (out.back().empty()) out.pop_back();
  return out;
}

struct Carrier {
  const GeneResult* result = nullptr;
  std::vector<std::string> alleles;  // the matching alleles
  bool ambiguous = false;            // a "/" list mixes matching and other alleles
};

std::optional<Carrier> carrier(const GeneResult& g, const std::string& prefix) {
  Carrier c;
  c.result = &g;
  const std::string want = upper(prefix);
  for (const auto& list : allele_lists(g.genotype)) {
    std::size_t hits = 0;
    for (const std::string& allele : list) {
      if (!upper(allele).starts_with(want)) continue;
      ++hits;
      c.alleles.push_back(allele);
    }
    if (hits > 0 && hits < list.size()) c.ambiguous = true;
  }
  if (c.alleles.empty()) return std::nullopt;
  return c;
}

}  // namespace

void hla_dqa1_05(const RuleInput& in, Evaluation& out) {
  const HlaDqa105Config& cfg = in.rules.hla_dqa1_05;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  auto done = [&](std::string why) {
    trace.why = std::move(why);
    out.trace.push_back(trace);
  };
  if (!trace.ran) return done(trace.why);
  std::vector<const Therapy*> anti_tnf, proposed_anti_tnf;
  for (const Therapy* t : proposals(in))
    if (t->drug_class == kAntiTnfClass) proposed_anti_tnf.push_back(t);
  if (proposed_anti_tnf.empty()) return done("no anti-TNF proposed");
  for (const Therapy* t : new_escalations(in))
    if (t->drug_class == kAntiTnfClass) anti_tnf.push_back(t);
  if (anti_tnf.empty())
    return done(proposed_anti_tnf.front()->drug +
                " re-ordered: the patient is on it already (not a new anti-TNF start)");

  std::vector<const GeneResult*> typings;
  std::optional<Carrier> found;
  for (const GeneResult& g : in.model.genes) {  // newest first
    const bool typing = g.gene == genomics::kHlaDqa1 ||
                        upper(g.genotype).find(upper(cfg.allele_prefix)) != std::string::npos;
    if (!typing) continue;
    typings.push_back(&g);
    if (!found) found = carrier(g, cfg.allele_prefix);
  }
  if (typings.empty()) return done("no HLA-DQA1 typing on record");
  if (!found) {
    // A typing that lists the alleles settles it; a presence test of one allele
    // ("HLA-DQA1*05:01 not detected") says nothing of the other alleles of the group.
    const auto full = std::find_if(typings.begin(), typings.end(),
                                   [](const GeneResult* g) { return !g->genotype.empty(); });
    const GeneResult& shown = full != typings.end() ? **full : *typings.front();
    const std::string tested =
        shown.variant.ends_with(kNotDetected)
            ? shown.variant.substr(0, shown.variant.size() - std::string(kNotDetected).size())
            : std::string();
    if (full == typings.end() && upper(tested) != upper(cfg.allele_prefix) &&
        upper(tested).starts_with(upper(cfg.allele_prefix)))
      return done(
          tested + " not detected (" + shown.source.reference() + "): that test looks for " +
          tested + " only; other " + cfg.allele_prefix +
          " alleles (such as HLA-DQA1*05:05) were not tested, so carrier status is unknown");
    return done("HLA-DQA1 typed, no " + cfg.allele_prefix + " allele (" +
                (shown.genotype.empty() ? shown.variant : shown.genotype) + ")");
  }

  const Therapy& drug = *anti_tnf.front();
  // The immunomodulator the patient is on, else one proposed with the anti-TNF.
  std::vector<const Therapy*> immunomodulators, proposed_with;
  for (const Therapy* t : immunosuppressants(in))
    if (immunomodulator(*t)) immunomodulators.push_back(t);
  for (const Therapy* t : proposals(in))
    if (immunomodulator(*t)) proposed_with.push_back(t);

  Advice a = make_advice(cfg.meta, in.rules, Severity::kInfo);
  const std::string head =
      cfg.allele_prefix + " carrier: higher risk of antibodies to " + drug.drug;
  if (!immunomodulators.empty()) {
    a.summary =
        head + "; already on " + immunomodulators.front()->drug + ": continue it, proactive TDM";
  } else if (!proposed_with.empty()) {
    a.summary =
        head + "; start with " + proposed_with.front()->drug + " as proposed, proactive TDM";
  } else {
    a.summary = head + "; consider an immunomodulator and proactive TDM";
  }
  std::string alleles;
  for (const std::string& al : found->alleles) alleles += (alleles.empty() ? "" : ", ") + al;
  a.reasoning.push_back("**Proposed:** " +
                        escape_markdown(drug.label.empty() ? drug.drug : drug.label) + ".");
  a.reasoning.push_back(
      "**Carrier of " + escape_markdown(cfg.allele_prefix) + ":** " + escape_markdown(alleles) +
      " in the typing " + escape_markdown(found->result->genotype) +
      (found->ambiguous ? " (ambiguous at that position: the typing lists other alleles as "
                          "alternatives; high-resolution typing would settle it)"
                        : "") +
      ".");
  a.reasoning.push_back(
      std::string("**Why it matters:** in PANTS, carrying HLA-DQA1\\*05 raised the risk of "
                  "antibodies to infliximab and adalimumab (hazard ratio ") +
      format_number(cfg.hazard_ratio) +
      "); an immunomodulator lowered that risk. Antibodies lower drug levels and cause loss of "
      "response.");
  const std::string tdm =
      "proactive therapeutic drug monitoring: trough level and antibodies early in maintenance.";
  if (!immunomodulators.empty()) {
    a.reasoning.push_back("**Already on an immunomodulator:** " + immunomodulators.front()->drug +
                          ". Continue it as combination therapy with " + drug.drug + ", and add " +
                          tdm);
  } else if (!proposed_with.empty()) {
    a.reasoning.push_back("**Immunomodulator proposed with it:** " + proposed_with.front()->drug +
                          ". Starting both together suits a carrier; add " + tdm);
  } else {
    a.reasoning.push_back("**Consider:** starting " + drug.drug +
                          " together with an immunomodulator (thiopurine or methotrexate), and " +
                          tdm);
  }
  for (const Therapy* t : anti_tnf) a.evidence.push_back(evidence_row(*t, in.now));
  a.evidence.push_back(evidence_row(*found->result));
  for (const Therapy* t : immunomodulators) a.evidence.push_back(evidence_row(*t, in.now));
  for (const Therapy* t : proposed_with) a.evidence.push_back(evidence_row(*t, in.now));
  a.ignored = ignored_lines(in.model);
  out.advice.push_back(std::move(a));
  trace.fired = true;
  done(cfg.allele_prefix + " carrier (" + alleles + ") and " + drug.drug + " proposed");
}

}  // namespace ibd::mapping::rules
