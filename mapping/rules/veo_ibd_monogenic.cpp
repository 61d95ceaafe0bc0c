// veo-ibd-monogenic: IBD that began before rules.veo_ibd.onset_years (infantile before
// infantile_years) and no monogenic work-up on record (no result for any gene of
// rules.monogenic_defect.genes) -> immunology screen, gene panel or exome, referral.
// Unknown or too imprecise onset or birth date -> no card, and the trace says why.
// clinical-rules.md §3; Uhlig et al. 2014.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

using std::chrono::sys_days;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
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
  if (onset.latest() < add_years(birth.day(), years)) return Tri::kYes;
  if (onset.start >= add_years(std::chrono::floor<std::chrono::days>(birth.latest()), years))
    return Tri::kNo;
  return Tri::kUnknown;
}

// "3 years 2 months", "8 months".
std::string age_text(const fhir::DateTime& birth, const fhir::DateTime& at) {
  using namespace std::chrono;
  const year_month_day b{birth.day()}, a{at.day()};
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
    if (d.onset && (first == nullptr || d.onset->start < first->onset->start)) first = &d;
  if (first == nullptr) return done("onset of IBD not recorded: age at onset unknown");
  if (!in.model.birth_date) return done("birth date not recorded: age at onset unknown");
  const fhir::DateTime& birth = *in.model.birth_date;
  const fhir::DateTime& onset = *first->onset;
  if (onset.latest() < birth.start) return done("onset recorded before the birth date");

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
  for (const GeneResult& g : in.model.genes) {
    if (std::any_of(genes.genes.begin(), genes.genes.end(),
                    [&](const std::string& x) { return upper(x) == upper(g.gene); }))
      return done("onset at " + age + ", but a monogenic work-up is on record (" + g.gene + ", " +
                  g.source.reference() + ")");
  }
  const bool infantile = onset_before(onset, birth, cfg.infantile_years) == Tri::kYes;
  const std::string kind = infantile ? "Infantile-onset" : "Very-early-onset";

  Advice a = make_advice(cfg.meta, in.rules, Severity::kWarning);
  a.summary = kind + " IBD (onset at " + age +
              "), no monogenic work-up: immunology screen, gene panel, refer";
  a.reasoning.push_back(
      "**Age at onset " + age + ":** " + escape_markdown(first->label) + " from " +
      escape_markdown(onset.text) + ", born " + escape_markdown(birth.text) + ". Onset before " +
      limit + " years is very-early-onset IBD" +
      (infantile ? "; before " + format_number(cfg.infantile_years) + " years, infantile-onset"
                 : "") +
      ".");
  std::string gene_list;
  for (const std::string& g : genes.genes) gene_list += (gene_list.empty() ? "" : ", ") + g;
  a.reasoning.push_back(
      "**Why it matters:** the earlier the onset, the more often IBD is monogenic (defects such "
      "as " +
      gene_list +
      "). Several resist conventional and biologic therapy, and some are cured only by "
      "haematopoietic stem-cell transplantation, so the defect changes the treatment.");
  a.reasoning.push_back("**No work-up on record:** no result for any of these genes.");
  std::string next;
  for (const OrderDef& o : cfg.orders) next += (next.empty() ? "" : "; ") + o.text;
  a.reasoning.push_back("**Next:** " + next +
                        "; and referral to a paediatric IBD centre with clinical immunology.");
  EvidenceRow born{fhir::format_date(birth.start), "Date of birth", birth.text, "",
                   "Patient/" + in.model.patient_id};
  a.evidence.push_back(born);
  a.evidence.push_back({fhir::format_date(onset.start),
                        first->label.empty() ? first->display : first->label, "onset " + onset.text,
                        "age at onset " + age, first->source.reference()});
  Suggestion s;
  s.label = "Order the monogenic IBD work-up";
  for (const OrderDef& def : cfg.orders) {
    ProposedOrder o;
    o.code.codings.push_back(def.code);
    o.code.text = def.text;
    o.category = def.category;
    o.reasons = {first->source.reference()};
    o.note = kind + " IBD (onset at " + age + ").";
    s.orders.push_back(std::move(o));
  }
  if (!s.orders.empty()) a.suggestions.push_back(std::move(s));
  a.ignored = ignored_lines(in.model);
  out.advice.push_back(std::move(a));
  trace.fired = true;
  done(kind + " IBD: onset at " + age + ", no monogenic work-up on record");
}

}  // namespace ibd::mapping::rules
