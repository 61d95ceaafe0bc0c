// veo-ibd-monogenic: IBD that began before rules.veo_ibd.onset_years (infantile before
// infantile_years) and no monogenic work-up on record -> immunology screen, gene panel or
// exome, referral. clinical-rules.md §3; Uhlig et al. 2014.
//
// The work-up on record: a panel, exome or genome result for a gene of
// rules.monogenic_defect.genes (a result naming a panel, exome or genome, or one test
// reporting several of the genes), a result or procedure under the concept of one of the
// rule's orders (a lab configured as "immunology-screen" counts as the immunology work-up),
// or a monogenic defect already found (what monogenic-defect reports as established). A
// single-gene result or a variant of uncertain significance alone does not count: the card
// still fires and names it as a partial work-up.
//
// Onset and birth are compared as calendar dates as written (a dateTime's own date, not its
// UTC day). Unknown or too imprecise onset or birth date -> no card, and the trace says why.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "mapping/genomics_text.hpp"
#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

using std::chrono::sys_days;

// The first and last calendar day a date covers, as written: "2021-03-09T23:30:00-05:00" is
// 2021-03-09 (not its UTC day, 2021-03-10); "2021" is 2021-01-01 to 2021-12-31.
sys_days first_day(const fhir::DateTime& dt) {
  if (dt.precision == fhir::DatePrecision::kSecond && dt.text.size() >= 10)
    if (auto date = fhir::parse_date_time(std::string_view(dt.text).substr(0, 10)))
      return date->day();
  return dt.day();
}
sys_days last_day(const fhir::DateTime& dt) {
  if (dt.precision == fhir::DatePrecision::kSecond) return first_day(dt);
  return std::chrono::floor<std::chrono::days>(dt.latest());
}

// The day `years` after `day`: whole years on the calendar, a fraction as whole months
// (29 February moves to the month's last day).
sys_days add_years(sys_days day, double years) {
  using namespace std::chrono;
  const int whole = static_cast<int>(std::floor(years));
  const int months = static_cast<int>(std::lround((years - whole) * 12));
  year_month_day at = year_month_day{day} + std::chrono::years{whole};
  at = at + std::chrono::months{months};
  if (!at.ok()) at = at.year() / at.month() / last;
  return sys_days{at};
}

// Whether an onset (with its precision) was before the age of `years` for a birth date
// (with its precision): kYes / kNo only when every reading of the two dates agrees.
Tri onset_before(const fhir::DateTime& onset, const fhir::DateTime& birth, double years) {
  if (last_day(onset) < add_years(first_day(birth), years)) return Tri::kYes;
  if (first_day(onset) >= add_years(last_day(birth), years)) return Tri::kNo;
  return Tri::kUnknown;
}

// "3 years 2 months", "8 months".
std::string age_text(const fhir::DateTime& birth, const fhir::DateTime& at) {
  using namespace std::chrono;
  const year_month_day b{first_day(birth)}, a{first_day(at)};
  int months = (static_cast<int>(a.year()) - static_cast<int>(b.year())) * 12 +
               (static_cast<int>(static_cast<unsigned>(a.month())) -
                static_cast<int>(static_cast<unsigned>(b.month())));
  if (a.day() < b.day()) --months;
  if (months < 0) months = 0;
  const int y = months / 12, m = months % 12;
  auto unit = [](int n, const char* one) {
    return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
  };
  if (y == 0) return unit(m, "month");
  return unit(y, "year") + (m == 0 ? "" : " " + unit(m, "month"));
}

// What the record holds towards the monogenic work-up.
struct Workup {
  std::string done;                        // why a work-up counts as done; "" when none
  std::vector<const GeneResult*> partial;  // single-gene results and VUS
};

bool names_panel(const GeneResult& g) {
  const std::string w = genomics::padded_words(g.label);
  return genomics::has_phrase(w, {"panel", "exome", "genome", "multigene", "multi gene"});
}

Workup read_workup(const RuleInput& in) {
  const VeoIbdConfig& cfg = in.rules.veo_ibd;
  const MonogenicDefectConfig& mono = in.rules.monogenic_defect;
  Workup out;
  // A result or procedure under the concept of one of the work-up orders.
  for (const OrderDef& o : cfg.orders) {
    if (o.code.code.empty()) continue;
    for (const Measurement& m : in.model.measurements)
      if (m.concept_id == o.code.code)
        return {o.text + " on record (" + m.source.reference() + ")", {}};
    for (const ProcedureFact& p : in.model.procedures)
      if (!p.proposed && p.kind == o.code.code)
        return {o.text + " on record (" + p.source.reference() + ")", {}};
  }
  // Results of the monogenic genes, by the Observation that reported them.
  std::map<std::string, std::vector<const GeneResult*>> by_source;
  std::map<std::string, std::vector<const GeneResult*>> pathogenic;  // by gene
  for (const GeneResult& g : in.model.genes) {
    if (g.gene.empty() || !genomics::gene_listed(mono.genes, g.gene)) continue;
    by_source[g.source.reference()].push_back(&g);
    if (g.pathogenic) pathogenic[genomics::upper(g.gene)].push_back(&g);
  }
  for (const auto& [ref, results] : by_source) {
    std::vector<std::string> genes;
    for (const GeneResult* g : results)
      if (std::find(genes.begin(), genes.end(), g->gene) == genes.end()) genes.push_back(g->gene);
    if (genes.size() > 1 || names_panel(*results.front()))
      return {"a monogenic work-up is on record (gene panel, " + ref + ")", {}};
  }
  // A defect found: a pathogenic variant in another gene, or both copies of a recessive one.
  for (const auto& [gene, hits] : pathogenic) {
    if (!genomics::gene_listed(mono.critical_genes, gene) ||
        !genomics::both_copies_affected(hits).empty())
      return {"a monogenic defect is on record (" + gene + ", " + hits.front()->source.reference() +
                  ")",
              {}};
  }
  for (const auto& [ref, results] : by_source)
    out.partial.insert(out.partial.end(), results.begin(), results.end());
  return out;
}

// "IL10 c.436G>A, Heterozygous (not classified pathogenic; Observation/x)".
std::string partial_line(const GeneResult& g) {
  const std::string what = !g.pathogenic ? "not classified pathogenic"
                           : g.zygosity == "heterozygous"
                               ? "pathogenic, heterozygous: a carrier, or a second variant "
                                 "not found"
                               : "pathogenic, zygosity not reported";
  return escape_markdown(g.variant.empty() ? g.gene : g.gene + " " + g.variant) + " (" + what +
         "; " + g.source.reference() + ")";
}

}  // namespace

void veo_ibd_monogenic(const RuleInput& in, Evaluation& out) {
  const VeoIbdConfig& cfg = in.rules.veo_ibd;
  const MonogenicDefectConfig& genes = in.rules.monogenic_defect;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  auto done = [&](std::string why) {
    trace.why = std::move(why);
    out.trace.push_back(trace);
  };
  if (!trace.ran) return done(trace.why);
  if (in.model.diagnoses.empty()) return done("no confirmed IBD diagnosis on record");

  // The earliest recorded onset of any IBD diagnosis.
  const Diagnosis* first = nullptr;
  for (const Diagnosis& d : in.model.diagnoses)
    if (d.onset && (first == nullptr || first_day(*d.onset) < first_day(*first->onset))) first = &d;
  if (first == nullptr) return done("onset of IBD not recorded: age at onset unknown");
  if (!in.model.birth_date) return done("birth date not recorded: age at onset unknown");
  const fhir::DateTime& birth = *in.model.birth_date;
  const fhir::DateTime& onset = *first->onset;
  if (last_day(onset) < first_day(birth)) return done("onset recorded before the birth date");

  const std::string age = age_text(birth, onset);
  const std::string limit = format_number(cfg.onset_years);
  switch (onset_before(onset, birth, cfg.onset_years)) {
    case Tri::kNo:
      return done("onset at " + age + ", not before " + limit + " years");
    case Tri::kUnknown:
      return done("onset '" + onset.text + "' or birth date '" + birth.text +
                  "' too imprecise to tell whether onset was before " + limit + " years");
    case Tri::kYes:
      break;
  }
  const Workup workup = read_workup(in);
  if (!workup.done.empty()) return done("onset at " + age + ", but " + workup.done);
  const bool partial = !workup.partial.empty();
  const bool infantile = onset_before(onset, birth, cfg.infantile_years) == Tri::kYes;
  const std::string kind = infantile ? "Infantile-onset" : "Very-early-onset";

  Advice a = make_advice(cfg.meta, in.rules, Severity::kWarning);
  a.summary = kind + " IBD (onset at " + age + "), " +
              (partial ? "monogenic work-up incomplete" : "no monogenic work-up") +
              ": immunology screen, gene panel, refer";
  a.reasoning.push_back(
      "**Age at onset " + age + ":** " + escape_markdown(first->label) + " from " +
      escape_markdown(onset.text) + ", born " + escape_markdown(birth.text) + ". Onset before " +
      limit + " years is very-early-onset IBD" +
      (infantile ? "; before " + format_number(cfg.infantile_years) + " years, infantile-onset"
                 : "") +
      ".");
  a.reasoning.push_back(
      "**Why it matters:** the earlier the onset, the more often IBD is monogenic (defects such "
      "as " +
      join_names(genes.genes) +
      "). Several resist conventional and biologic therapy, and some are cured only by "
      "haematopoietic stem-cell transplantation, so the defect changes the treatment.");
  if (partial) {
    std::string lines;
    for (const GeneResult* g : workup.partial)
      lines += (lines.empty() ? "" : "; ") + partial_line(*g);
    a.reasoning.push_back("**Partial work-up only:** " + lines +
                          ". A single-gene test or a variant of uncertain significance does not "
                          "rule out a monogenic defect; there is no gene panel, exome or "
                          "immunology screen on record.");
  } else {
    a.reasoning.push_back("**No work-up on record:** no result for any of these genes.");
  }
  std::string next_text;
  for (const OrderDef& o : cfg.orders) next_text += (next_text.empty() ? "" : "; ") + o.text;
  a.reasoning.push_back("**Next:** " + next_text +
                        "; and referral to a paediatric IBD centre with clinical immunology.");
  a.evidence.push_back({fhir::format_date(first_day(birth)), "Date of birth", birth.text, "",
                        "Patient/" + in.model.patient_id});
  a.evidence.push_back({fhir::format_date(first_day(onset)),
                        first->label.empty() ? first->display : first->label, "onset " + onset.text,
                        "age at onset " + age, first->source.reference()});
  for (const GeneResult* g : workup.partial) a.evidence.push_back(evidence_row(*g));
  Suggestion s;
  s.label = "Order the monogenic IBD work-up";
  for (const OrderDef& def : cfg.orders)
    s.orders.push_back(
        order_from(def, {first->source.reference()}, kind + " IBD (onset at " + age + ")."));
  if (!s.orders.empty()) a.suggestions.push_back(std::move(s));
  a.ignored = ignored_lines(in.model);
  out.advice.push_back(std::move(a));
  trace.fired = true;
  done(kind + " IBD: onset at " + age +
       (partial ? ", monogenic work-up incomplete (single-gene results only)"
                : ", no monogenic work-up on record"));
}

}  // namespace ibd::mapping::rules
