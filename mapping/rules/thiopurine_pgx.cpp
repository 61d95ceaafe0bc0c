// thiopurine-pgx: a thiopurine proposed (order-select, order-sign) or taken (all hooks) -> TPMT
// and NUDT15 first. No result -> genotype; results -> the CPIC cell (rules.thiopurine_pgx.cpic);
// a cell that says "use an alternative" is critical and offers to remove the draft order.
// Indeterminate TPMT -> red-cell TPMT activity (not within transfusion_window_days of a
// red-cell transfusion), or dose by a valid activity result already on record; indeterminate
// NUDT15 -> monitor closely. clinical-rules.md §3, §4.
#include <algorithm>
#include <chrono>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

constexpr const char* kThiopurineClass = "thiopurine";
constexpr const char* kTpmt = "TPMT";
constexpr const char* kNudt15 = "NUDT15";
constexpr const char* kTransfusionKind = "rbc-transfusion";
constexpr const char* kActivityConcept = "tpmt-activity";

// What the record says about one gene: the result used (a lab-reported phenotype before one
// derived from star alleles, newest first) and every result of the gene, for the evidence.
struct GeneReading {
  std::string gene;
  const GeneResult* chosen = nullptr;
  const GeneResult* other_call = nullptr;  // a derived phenotype that differs from the lab's
  std::vector<const GeneResult*> all;
  bool tested() const { return chosen != nullptr; }
  // "" when not tested; a lone haplotype without a phenotype reads as indeterminate.
  std::string phenotype() const {
    if (chosen == nullptr) return {};
    return chosen->phenotype.empty() ? "indeterminate" : chosen->phenotype;
  }
};

std::string shown(const std::string& phenotype) {
  if (phenotype.empty()) return "not tested";
  if (phenotype == "possible-intermediate") return "possible intermediate";
  return phenotype;
}

// Does a CPIC cell's phenotype cover the patient's? "possible-intermediate" reads as
// intermediate unless the table has a row of its own for it.
bool covers(const std::string& cell, const std::string& phenotype) {
  return cell == phenotype || (phenotype == "possible-intermediate" && cell == "intermediate");
}

// The phenotype as a key of the table: "" (any cell) when it is not in the table
// (indeterminate, rapid, not tested).
std::string table_key(const std::vector<CpicRow>& cpic, const std::string& phenotype, bool tpmt) {
  for (const CpicRow& row : cpic)
    if (covers(tpmt ? row.tpmt : row.nudt15, phenotype)) return phenotype;
  return {};
}

GeneReading read_gene(const IbdModel& model, const std::string& gene,
                      const std::vector<CpicRow>& cpic) {
  GeneReading r;
  r.gene = gene;
  const GeneResult *lab = nullptr, *derived = nullptr, *genotype_only = nullptr;
  for (const GeneResult& g : model.genes) {  // newest first
    if (g.gene != gene || (g.genotype.empty() && g.phenotype.empty())) continue;
    r.all.push_back(&g);
    if (!g.phenotype.empty() && g.phenotype_from_lab) {
      if (lab == nullptr) lab = &g;
    } else if (!g.phenotype.empty()) {
      if (derived == nullptr) derived = &g;
    } else if (genotype_only == nullptr) {
      genotype_only = &g;
    }
  }
  r.chosen = lab ? lab : derived ? derived : genotype_only;
  // The star alleles read as another CPIC phenotype than the laboratory's call (an unknown-
  // function allele is no contradiction).
  if (lab != nullptr && derived != nullptr) {
    auto key = [&](const std::string& p) {
      const std::string k = table_key(cpic, p, gene == kTpmt);
      return k == "possible-intermediate" ? std::string("intermediate") : k;
    };
    const std::string a = key(lab->phenotype), b = key(derived->phenotype);
    if (!a.empty() && !b.empty() && a != b) r.other_call = derived;
  }
  return r;
}

Severity severity_of(const CpicRow& row) {
  if (row.avoid || row.severity == "critical") return Severity::kCritical;
  return row.severity == "info" ? Severity::kInfo : Severity::kWarning;
}

// The advice without its parenthesised asides, cut to fit a summary.
std::string short_advice(const std::string& advice, std::size_t room) {
  std::string out;
  int depth = 0;
  for (char c : advice) {
    if (c == '(') ++depth;
    if (depth == 0 && !(c == ' ' && !out.empty() && out.back() == ' ')) out.push_back(c);
    if (c == ')' && depth > 0) --depth;
  }
  for (std::size_t p; (p = out.find(" .")) != std::string::npos;) out.erase(p, 1);
  for (std::size_t p; (p = out.find(" ,")) != std::string::npos;) out.erase(p, 1);
  if (out.size() <= room) return out;
  std::size_t cut = out.rfind(' ', room - 3);
  return out.substr(0, cut == std::string::npos ? room - 3 : cut) + "...";
}

std::string describe_gene(const GeneReading& r) {
  if (!r.tested()) return "no result on record";
  const GeneResult& g = *r.chosen;
  std::string s;
  if (!g.genotype.empty()) s = escape_markdown(g.genotype) + " → ";
  s += shown(r.phenotype()) + " metabolizer";
  if (g.phenotype.empty()) {
    s += " (only one haplotype reported: no phenotype can be derived)";
  } else {
    s += g.phenotype_from_lab ? " (reported by the laboratory" : " (derived from the star alleles";
    s += g.effective.text.empty() ? ")" : ", " + fhir::format_date(g.effective.start) + ")";
  }
  if (r.other_call != nullptr)
    s += "; the star alleles " + escape_markdown(r.other_call->genotype) + " would read as " +
         shown(r.other_call->phenotype) + ", the laboratory's call is used";
  if (g.label.find("(preliminary)") != std::string::npos) s += "; the result is preliminary";
  return s;
}

std::chrono::sys_days plus_days(fhir::TimePoint t, int days) {
  return std::chrono::floor<std::chrono::days>(t) + std::chrono::days{days};
}

}  // namespace

void thiopurine_pgx(const RuleInput& in, Evaluation& out) {
  const ThiopurinePgxConfig& cfg = in.rules.thiopurine_pgx;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  auto done = [&](std::string why) {
    trace.why = std::move(why);
    out.trace.push_back(trace);
  };
  if (!trace.ran) return done(trace.why);

  std::vector<const Therapy*> proposed, taking;
  for (const Therapy* t : proposals(in))
    if (t->drug_class == kThiopurineClass) proposed.push_back(t);
  for (const Therapy* t : current_therapies(in.model, in.now))
    if (t->drug_class == kThiopurineClass) taking.push_back(t);
  if (in.context.hook == "patient-view" && taking.empty()) return done("not on a thiopurine");
  if (proposed.empty() && taking.empty()) return done("no thiopurine proposed or taken");
  const Therapy& drug = proposed.empty() ? *taking.front() : *proposed.front();

  const GeneReading tpmt = read_gene(in.model, kTpmt, cfg.cpic);
  const GeneReading nudt15 = read_gene(in.model, kNudt15, cfg.cpic);
  const std::string tpmt_key = table_key(cfg.cpic, tpmt.phenotype(), true);
  const std::string nudt15_key = table_key(cfg.cpic, nudt15.phenotype(), false);
  std::vector<const CpicRow*> cells;
  for (const CpicRow& row : cfg.cpic)
    if ((tpmt_key.empty() || covers(row.tpmt, tpmt_key)) &&
        (nudt15_key.empty() || covers(row.nudt15, nudt15_key)))
      cells.push_back(&row);
  const bool exact = !tpmt_key.empty() && !nudt15_key.empty() && !cells.empty();
  const bool all_avoid =
      !cells.empty() && std::all_of(cells.begin(), cells.end(), [](auto* c) { return c->avoid; });
  const CpicRow* cell = (exact || all_avoid) ? cells.front() : nullptr;

  const std::string genes_text =
      "TPMT " + shown(tpmt.phenotype()) + ", NUDT15 " + shown(nudt15.phenotype());
  Advice a = make_advice(cfg.meta, in.rules, Severity::kWarning);
  std::vector<std::string> reasons;  // references for suggested orders
  for (const Therapy* t : taking) reasons.push_back(t->source.reference());

  // The thiopurine and the two genes.
  std::string on =
      proposed.empty() ? "**On " + drug.drug + "**" : "**Proposed: " + drug.drug + "**";
  on += " (" + escape_markdown(drug.label.empty() ? drug.drug : drug.label) + ")";
  if (!proposed.empty() && !taking.empty())
    on += "; the patient is already taking " + taking.front()->drug;
  a.reasoning.push_back(on + ".");
  a.reasoning.push_back("**TPMT:** " + describe_gene(tpmt) + ".");
  a.reasoning.push_back("**NUDT15:** " + describe_gene(nudt15) + ".");
  for (const Therapy* t : proposed) a.evidence.push_back(evidence_row(*t, in.now));
  for (const Therapy* t : taking) a.evidence.push_back(evidence_row(*t, in.now));
  for (const GeneReading* r : {&tpmt, &nudt15})
    for (const GeneResult* g : r->all) {
      a.evidence.push_back(evidence_row(*g));
      reasons.push_back(g->source.reference());
    }

  if (cell != nullptr) {
    // A CPIC cell applies (or every cell the known gene allows says "use an alternative").
    a.severity = severity_of(*cell);
    // A laboratory call that contradicts its own star alleles deserves a look before dosing.
    const bool discordant = tpmt.other_call != nullptr || nudt15.other_call != nullptr;
    if (discordant && a.severity == Severity::kInfo) a.severity = Severity::kWarning;
    const std::string prefix =
        exact ? genes_text + ": "
              : std::string(tpmt_key.empty() ? kNudt15 : kTpmt) + " " +
                    shown(tpmt_key.empty() ? nudt15.phenotype() : tpmt.phenotype()) +
                    " metabolizer: ";
    a.summary = prefix + short_advice(cell->advice, 139 - prefix.size());
    a.reasoning.push_back(
        "**CPIC (TPMT " + shown(cell->tpmt) + " × NUDT15 " + shown(cell->nudt15) + "):** " +
        cell->advice +
        (tpmt.phenotype() == "possible-intermediate" ||
                 nudt15.phenotype() == "possible-intermediate"
             ? " (a possible intermediate metabolizer is dosed as an intermediate one)"
             : ""));
    if (discordant)
      a.reasoning.push_back(
          "**Results disagree:** the laboratory's phenotype is used (CPIC prefers it), but a "
          "phenotype that contradicts the reported star alleles should be confirmed with the "
          "laboratory.");
    if (!exact)
      a.reasoning.push_back(
          "**The other gene does not change this:** with " + prefix.substr(0, prefix.size() - 2) +
          ", every CPIC cell says to use an alternative, whatever the " +
          (tpmt_key.empty() ? std::string(kTpmt) : std::string(kNudt15)) + " result.");
    if (cell->avoid) {
      Suggestion s;
      for (const Therapy* t : proposed) {
        const std::string what = t->label.empty() ? t->drug : t->label;
        s.removals.push_back({t->source.reference(), "Remove the draft " + what + " order"});
      }
      if (!s.removals.empty()) {
        s.label = "Remove the draft " + proposed.front()->drug + " order";
        a.suggestions.push_back(std::move(s));
        a.reasoning.push_back(
            "**Draft order:** remove it (suggestion below) and choose a non-thiopurine strategy.");
      } else {
        a.reasoning.push_back("**Already taking " + drug.drug +
                              ":** review with the patient and check blood counts now.");
      }
    }
    trace.why = (exact ? "CPIC cell " : "every CPIC cell allowed says avoid: ") + genes_text +
                " -> " + to_string(a.severity);
  } else {
    // Not enough to pick a cell: say what is missing and how to get it.
    std::vector<std::string> issues;
    Suggestion genotype;
    if (!tpmt.tested() || !nudt15.tested()) {
      const std::string missing = !tpmt.tested() && !nudt15.tested() ? "TPMT/NUDT15"
                                  : !tpmt.tested()                   ? kTpmt
                                                                     : kNudt15;
      issues.push_back("no " + missing + " result");
      a.summary = (proposed.empty() ? "On " + drug.drug + " without a " + missing + " result"
                                    : "No " + missing + " result on record") +
                  ": genotype TPMT and NUDT15 " +
                  (proposed.empty() ? "now" : "before starting " + drug.drug);
      a.reasoning.push_back(
          "**Why both genes first:** no-function TPMT or NUDT15 alleles cause severe, sometimes "
          "fatal myelosuppression on standard thiopurine doses; CPIC sets the dose (or advises "
          "against the drug) from the two results together.");
      genotype.label = "Order TPMT and NUDT15 genotyping";
      for (const OrderDef& o : cfg.genotype_orders)
        genotype.orders.push_back(order_from(o, reasons,
                                             proposed.empty()
                                                 ? "Patient already on " + drug.drug + "."
                                                 : "Before the first " + drug.drug + " dose."));
    }
    Suggestion activity;
    bool activity_known = false;  // a valid TPMT activity result stands in for the phenotype
    if (tpmt.tested() && tpmt_key.empty()) {
      const int window = cfg.transfusion_window_days;
      const ProcedureFact* recent = nullptr;  // the latest red-cell transfusion in the window
      std::vector<const ProcedureFact*> transfusions;
      for (const ProcedureFact& p : in.model.procedures) {
        if (p.proposed || p.kind != kTransfusionKind || !p.performed) continue;
        transfusions.push_back(&p);
        const long age = fhir::days_between(p.performed->start, in.now);
        if (age >= 0 && age <= window &&
            (recent == nullptr || recent->performed->start < p.performed->start))
          recent = &p;
      }
      const Measurement* measured = nullptr;  // the latest TPMT activity result
      for (const Measurement& m : in.model.measurements)
        if (m.concept_id == kActivityConcept) {
          measured = &m;
          break;
        }
      const ProcedureFact* spoils = nullptr;  // a transfusion shortly before that result
      for (const ProcedureFact* p : transfusions) {
        if (measured == nullptr) break;
        const long gap = fhir::days_between(p->performed->start, measured->effective.start);
        if (gap >= 0 && gap <= window) spoils = p;
      }
      activity_known = measured != nullptr && spoils == nullptr;
      issues.push_back("TPMT " + shown(tpmt.phenotype()) +
                       (activity_known ? " (TPMT activity on record)" : ""));
      std::string text =
          "**TPMT " + shown(tpmt.phenotype()) + ":** the genotype does not give a CPIC phenotype; ";
      if (measured != nullptr) a.evidence.push_back(evidence_row(*measured));
      if (spoils != nullptr) a.evidence.push_back(evidence_row(*spoils));
      if (recent != nullptr && recent != spoils) a.evidence.push_back(evidence_row(*recent));
      if (activity_known) {
        text += "the red-cell TPMT enzyme activity on record (" + describe(*measured) +
                ") stands in for it: dose by it against the laboratory's reference ranges.";
      } else {
        text += "measure red-cell TPMT enzyme activity instead.";
        if (spoils != nullptr)
          text += " The activity result (" + describe(*measured) + ") was drawn " +
                  std::to_string(
                      fhir::days_between(spoils->performed->start, measured->effective.start)) +
                  " days after a red-cell transfusion and is not valid: donor cells carry "
                  "their own TPMT.";
        if (recent != nullptr) {
          const std::string until =
              fhir::format_date(plus_days(recent->performed->start, window + 1));
          text += " A red-cell transfusion on " + fhir::format_date(recent->performed->start) +
                  " makes an activity result unreliable for " + std::to_string(window) +
                  " days: measure on or after " + until + ".";
        } else if (const LabDef* lab = in.rules.lab(kActivityConcept)) {
          activity.label = "Order red-cell TPMT activity";
          activity.orders.push_back(order_from(
              OrderDef{lab->order_code.value_or(fhir::Coding{}), lab->display, "laboratory"},
              reasons,
              "Not within " + std::to_string(window) + " days of a red-cell transfusion."));
        }
      }
      a.reasoning.push_back(text);
      if (a.summary.empty())
        a.summary =
            "TPMT " + shown(tpmt.phenotype()) +
            (activity_known ? " genotype: dose " + drug.drug +
                                  " by the red-cell TPMT activity result on record"
                            : ": measure red-cell TPMT activity " +
                                  std::string(proposed.empty() ? "on " : "before ") + drug.drug);
    }
    if (nudt15.tested() && nudt15_key.empty()) {
      issues.push_back("NUDT15 " + shown(nudt15.phenotype()));
      a.reasoning.push_back("**NUDT15 " + shown(nudt15.phenotype()) + ":** no CPIC phenotype; if " +
                            drug.drug +
                            " is used, monitor blood counts closely for myelosuppression.");
      if (a.summary.empty())
        a.summary = "NUDT15 " + shown(nudt15.phenotype()) + ": monitor blood counts closely on " +
                    drug.drug;
    }
    if (issues.empty()) {
      issues.push_back("no CPIC cell for " + genes_text + " in the rule set");
      a.summary = genes_text + ": not in the CPIC table here; ask pharmacogenomics";
    }
    if (!cells.empty() && tpmt.tested() && nudt15.tested())
      a.reasoning.push_back(
          "**If the drug is used:** the CPIC advice ranges from \"" + cells.front()->advice +
          "\" to \"" + cells.back()->advice + "\" depending on " +
          (activity_known && !nudt15_key.empty() ? "the TPMT status the activity result shows."
                                                 : "the result still unknown."));
    if (!genotype.orders.empty()) a.suggestions.push_back(std::move(genotype));
    if (!activity.orders.empty()) a.suggestions.push_back(std::move(activity));
    std::string why;
    for (const std::string& i : issues) why += (why.empty() ? "" : "; ") + i;
    trace.why = why + " -> warning";
  }
  a.ignored = ignored_lines(in.model);
  out.advice.push_back(std::move(a));
  trace.fired = true;
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
