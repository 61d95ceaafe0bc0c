// pre-advanced-screening: before a new advanced therapy (biologic, JAK inhibitor, S1P
// modulator) is started, latent TB (IGRA) and hepatitis B (HBsAg + anti-HBc) must be known.
// A re-order of an advanced drug the patient already takes needs no new screening. Positive
// IGRA, HBsAg and anti-HBc are lifelong findings: a positive result counts whatever its age
// (a newer negative one is shown, not trusted to cancel it); the window (window_days) applies
// to negative, indeterminate and unreadable results only. One card with every finding, at the
// severity of the worst:
//   positive IGRA                      -> critical: treat latent TB first
//   HBsAg positive                     -> critical: hepatology, antiviral prophylaxis
//                                         (anti-HBc is then not asked for)
//   anti-HBc positive, HBsAg negative  -> warning: resolved or occult HBV, check HBV DNA
//   indeterminate result               -> warning: repeat (order suggested) or test differently
//   unreadable result                  -> warning: review it (no order)
//   no result in the window            -> warning: order the missing tests only
// Orders come from the rule's configured orders, matched to a test by the lab's order code;
// a test with no configured order falls back to that code. anti-HBs is shown, not required.
// clinical-rules.md §3; ECCO infections guideline (Kucharzik 2021).
#include <algorithm>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping::rules {
namespace {

constexpr const char* kIgra = "igra";
constexpr const char* kHbsag = "hbsag";
constexpr const char* kAntiHbc = "anti-hbc";
constexpr const char* kAntiHbs = "anti-hbs";

struct Finding {
  Severity severity;
  std::string phrase;     // short, for the summary
  std::string paragraph;  // the reasoning
};

std::string join(const std::vector<std::string>& parts, const std::string& sep,
                 const std::string& last_sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i + 1 == parts.size() ? last_sep : sep;
    out += parts[i];
  }
  return out;
}

// The name of a test for cards: the configured display's short form in brackets, if any.
std::string short_name(const LabDef* lab, const std::string& fallback) {
  if (lab == nullptr) return fallback;
  const auto open = lab->display.rfind('(');
  const auto close = lab->display.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open + 1)
    return lab->display.substr(open + 1, close - open - 1);
  return lab->display.empty() ? fallback : lab->display;
}

std::optional<ProposedOrder> order_for(const RuleSet& rules, const PreAdvancedScreeningConfig& cfg,
                                       const std::string& concept_id,
                                       const std::vector<std::string>& reasons,
                                       const std::string& note) {
  const LabDef* lab = rules.lab(concept_id);
  if (lab == nullptr) return std::nullopt;
  ProposedOrder o;
  o.category = "laboratory";
  o.reasons = reasons;
  o.note = note;
  for (const OrderDef& def : cfg.orders) {
    if (lab->order_code && def.code.system == lab->order_code->system &&
        def.code.code == lab->order_code->code) {
      o.code.codings.push_back(def.code);
      o.code.text = def.text;
      if (!def.category.empty()) o.category = def.category;
      return o;
    }
  }
  if (!lab->order_code) return std::nullopt;
  o.code.codings.push_back(*lab->order_code);
  o.code.text = lab->display;
  return o;
}

// A screening test as it stands: the newest positive result of any age (lifelong), else the
// newest result within the window; and, next to an older positive, a newer result that is not
// positive (shown, not trusted to cancel it).
struct Screen {
  const Measurement* result = nullptr;
  const Measurement* newer_non_positive = nullptr;
  Positivity reading = Positivity::kUnknown;
};

Screen screen(const RuleInput& in, const char* concept_id, int window_days) {
  Screen out;
  const Measurement* newest = nullptr;
  for (const Measurement& m : in.model.measurements) {  // newest first
    if (m.concept_id != concept_id || fhir::days_between(m.effective.start, in.now) < -1) continue;
    if (positivity(m) == Positivity::kPositive) {
      out.result = &m;
      out.reading = Positivity::kPositive;
      out.newer_non_positive = newest;
      return out;
    }
    if (newest == nullptr) newest = &m;
  }
  out.result = latest_in_window(in.model, concept_id, window_days, in.now, std::nullopt, false);
  if (out.result != nullptr) out.reading = positivity(*out.result);
  return out;
}

}  // namespace

void pre_advanced_screening(const RuleInput& in, Evaluation& out) {
  const PreAdvancedScreeningConfig& cfg = in.rules.pre_advanced_screening;
  RuleTrace trace = start_trace(cfg.meta, in.context);
  if (!trace.ran) {
    out.trace.push_back(trace);
    return;
  }
  // A new advanced therapy: re-ordering the advanced drug the patient already takes needs no
  // new screening.
  const std::vector<const Therapy*> current = current_therapies(in.model, in.now);
  std::vector<const Therapy*> advanced;
  std::vector<std::string> names, reorders;
  for (const Therapy* t : proposals(in)) {
    if (!in.rules.is_advanced(t->drug_class)) continue;
    if (std::any_of(current.begin(), current.end(),
                    [&](const Therapy* c) { return c->drug == t->drug; })) {
      reorders.push_back(t->drug);
      continue;
    }
    advanced.push_back(t);
    names.push_back(t->drug);
  }
  if (advanced.empty()) {
    trace.why = reorders.empty() ? "no advanced therapy proposed"
                                 : "no new advanced therapy proposed (" + join_names(reorders) +
                                       " re-ordered: already taken)";
    out.trace.push_back(trace);
    return;
  }
  const std::string drugs = join_names(names);
  const std::string window = std::to_string(cfg.window_days);
  const Screen s_igra = screen(in, kIgra, cfg.window_days);
  const Screen s_hbsag = screen(in, kHbsag, cfg.window_days);
  const Screen s_hbc = screen(in, kAntiHbc, cfg.window_days);
  const Measurement* igra = s_igra.result;
  const Measurement* hbsag = s_hbsag.result;
  const Measurement* anti_hbc = s_hbc.result;
  const Measurement* anti_hbs =
      latest_in_window(in.model, kAntiHbs, cfg.window_days, in.now, std::nullopt, false);
  const Positivity p_igra = s_igra.reading;
  const Positivity p_hbsag = s_hbsag.reading;
  const Positivity p_hbc = s_hbc.reading;
  const std::string n_igra = short_name(in.rules.lab(kIgra), "IGRA");
  const std::string n_hbsag = short_name(in.rules.lab(kHbsag), "HBsAg");
  const std::string n_hbc = short_name(in.rules.lab(kAntiHbc), "anti-HBc");
  // Said of a positive result: its age when outside the window, and a newer non-positive one.
  auto positive_note = [&](const Screen& sc, const std::string& name) {
    std::string note;
    if (fhir::days_between(sc.result->effective.start, in.now) > cfg.window_days)
      note += " Older than " + window + " days, but a positive " + name + " does not expire.";
    if (sc.newer_non_positive != nullptr)
      note += " A later result, " + describe(*sc.newer_non_positive) +
              ", does not cancel it: review both before starting " + drugs + ".";
    return note;
  };

  std::vector<Finding> findings;
  std::vector<std::string> missing;    // concept ids to order
  std::vector<std::string> repeat;     // concept ids to order again (indeterminate)
  std::vector<std::string> negatives;  // described negative results
  auto unclear = [&](const Measurement& m, const std::string& name, const char* concept_id,
                     Positivity p, const std::string& advice) {
    if (p == Positivity::kIndeterminate) {
      repeat.push_back(concept_id);
      findings.push_back({Severity::kWarning, name + " indeterminate, repeat it",
                          "**" + name + " indeterminate:** " + describe(m) + ". " + advice});
    } else {
      findings.push_back({Severity::kWarning, name + " unreadable, review it",
                          "**" + name + " result could not be read as positive or negative:** " +
                              describe(m) + ". Review the report before starting " + drugs + "."});
    }
  };

  // Tuberculosis.
  if (igra == nullptr) {
    missing.push_back(kIgra);
  } else if (p_igra == Positivity::kPositive) {
    findings.push_back(
        {Severity::kCritical, "positive " + n_igra + ", treat latent TB first",
         "**Positive " + n_igra + ":** " + describe(*igra) +
             ". Exclude active tuberculosis (symptoms, chest X-ray) and start latent TB "
             "treatment before " +
             drugs + "; time the start of " + drugs +
             " with the TB service. Advanced therapies can reactivate latent TB. If latent TB "
             "was already treated in full, say so when overriding this card." +
             positive_note(s_igra, n_igra)});
  } else if (p_igra == Positivity::kNegative) {
    negatives.push_back(describe(*igra));
  } else {
    unclear(*igra, n_igra, kIgra, p_igra,
            "Repeat it, or assess TB risk another way (history, chest X-ray, tuberculin skin "
            "test). Corticosteroids and lymphopenia can make IGRA results indeterminate.");
  }

  // Hepatitis B.
  if (hbsag == nullptr) {
    missing.push_back(kHbsag);
  } else if (p_hbsag == Positivity::kPositive) {
    findings.push_back(
        {Severity::kCritical, n_hbsag + " positive, hepatology and antiviral prophylaxis first",
         "**" + n_hbsag + " positive:** " + describe(*hbsag) +
             ". Chronic hepatitis B: refer to hepatology, measure HBV DNA and start antiviral "
             "prophylaxis (e.g. entecavir or tenofovir) before " +
             drugs +
             ", continued after it stops. Immunosuppression can reactivate HBV and cause "
             "liver failure." +
             positive_note(s_hbsag, n_hbsag) +
             (anti_hbc != nullptr && p_hbc == Positivity::kPositive
                  ? " " + n_hbc + " is positive too (" + describe(*anti_hbc) + ")."
                  : std::string())});
  } else if (p_hbsag == Positivity::kNegative) {
    negatives.push_back(describe(*hbsag));
  } else {
    unclear(*hbsag, n_hbsag, kHbsag, p_hbsag, "Repeat it before starting " + drugs + ".");
  }
  if (anti_hbc == nullptr) {
    // With HBsAg positive, hepatitis B is known: anti-HBc adds nothing before treatment.
    if (p_hbsag != Positivity::kPositive) missing.push_back(kAntiHbc);
  } else if (p_hbc == Positivity::kPositive) {
    if (p_hbsag == Positivity::kNegative) {
      findings.push_back(
          {Severity::kWarning, n_hbc + " positive with " + n_hbsag + " negative, check HBV DNA",
           "**" + n_hbc + " positive with " + n_hbsag + " negative:** " + describe(*anti_hbc) +
               ". Resolved or occult hepatitis B. Measure HBV DNA: if detectable, manage as "
               "HBV infection with hepatology; if not, either monitor HBV DNA and liver tests "
               "during " +
               drugs +
               " or give antiviral prophylaxis, favoured with higher-risk immunosuppression "
               "(combination therapy, high-dose corticosteroids) [M]." +
               positive_note(s_hbc, n_hbc)});
    } else if (p_hbsag != Positivity::kPositive) {
      findings.push_back({Severity::kWarning, n_hbc + " positive, " + n_hbsag + " needed",
                          "**" + n_hbc + " positive:** " + describe(*anti_hbc) + ". An " + n_hbsag +
                              " result is needed to tell chronic from resolved hepatitis B." +
                              positive_note(s_hbc, n_hbc)});
    }  // with HBsAg positive, the HBsAg finding says it
  } else if (p_hbc == Positivity::kNegative) {
    negatives.push_back(describe(*anti_hbc));
  } else if (p_hbsag != Positivity::kPositive) {  // with HBsAg positive, no repeat needed
    unclear(*anti_hbc, n_hbc, kAntiHbc, p_hbc, "Repeat it before starting " + drugs + ".");
  }
  if (!missing.empty()) {
    std::vector<std::string> missing_names;
    for (const std::string& c : missing)
      missing_names.push_back(c == kIgra ? n_igra : c == kHbsag ? n_hbsag : n_hbc);
    findings.push_back({Severity::kWarning,
                        "no " + join(missing_names, ", ", " or ") + " in " + window + " days",
                        "**No " + join(missing_names, ", ", " or ") + " in the last " + window +
                            " days:** latent tuberculosis (IGRA) and hepatitis B (HBsAg and "
                            "anti-HBc) must be known before starting " +
                            drugs + "; order what is missing."});
  }
  if (findings.empty()) {
    trace.why = "TB and hepatitis B screening within " + window + " days, all negative";
    out.trace.push_back(trace);
    return;
  }
  std::stable_sort(findings.begin(), findings.end(),
                   [](const Finding& x, const Finding& y) { return x.severity > y.severity; });

  Advice a = make_advice(cfg.meta, in.rules, findings.front().severity);
  std::vector<std::string> phrases;
  for (const Finding& f : findings) phrases.push_back(f.phrase);
  a.summary = "Before " + drugs + ": " + join(phrases, "; ", "; ");
  if (a.summary.size() >= 140)
    a.summary = "Before " + drugs + ": " + findings.front().phrase + "; and more";
  if (a.summary.size() >= 140) a.summary = "TB / hepatitis B screening: " + findings.front().phrase;

  std::string proposed;
  for (const Therapy* t : advanced)
    proposed +=
        (proposed.empty() ? "" : "; ") + escape_markdown(t->label.empty() ? t->drug : t->label);
  a.reasoning.push_back("**Advanced therapy proposed:** " + proposed +
                        ". TB and hepatitis B must be known before it starts: a negative result "
                        "counts for " +
                        window + " days, a positive one whatever its age.");
  for (const Finding& f : findings) a.reasoning.push_back(f.paragraph);
  if (!negatives.empty())
    a.reasoning.push_back("**Negative, no action:** " + join(negatives, "; ", "; ") + ".");
  if (anti_hbs != nullptr)
    a.reasoning.push_back("**Hepatitis B surface antibody:** " + describe(*anti_hbs) + ".");

  for (const Therapy* t : advanced) a.evidence.push_back(evidence_row(*t, in.now));
  for (const Measurement* m : {igra, s_igra.newer_non_positive, hbsag, s_hbsag.newer_non_positive,
                               anti_hbc, s_hbc.newer_non_positive, anti_hbs})
    if (m != nullptr) a.evidence.push_back(evidence_row(*m));
  a.ignored = ignored_lines(in.model);

  Suggestion s;
  for (const std::string& c : missing)
    if (auto o = order_for(in.rules, cfg, c, {}, "Screening before " + drugs + "."))
      s.orders.push_back(std::move(*o));
  for (const std::string& c : repeat) {
    const Measurement* m = c == kIgra ? igra : c == kHbsag ? hbsag : anti_hbc;
    if (auto o = order_for(in.rules, cfg, c, {m->source.reference()},
                           "Repeat: the last result was indeterminate."))
      s.orders.push_back(std::move(*o));
  }
  if (!s.orders.empty()) {
    s.label = missing.empty() ? "Repeat the indeterminate screening test"
                              : "Order the missing TB / hepatitis B screening";
    a.suggestions.push_back(std::move(s));
  }
  out.advice.push_back(std::move(a));
  trace.fired = true;
  trace.why = std::to_string(findings.size()) + " screening finding(s) before " + drugs +
              ", worst " + to_string(findings.front().severity);
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
