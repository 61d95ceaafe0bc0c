// tdm-reactive: active inflammation on a monitored biologic past induction, and no trough
// level (or a low level with no antibody result) in the window: measure before changing
// therapy. clinical-rules.md §3; AGA TDM guideline (Feuerstein 2017).
#include <algorithm>
#include <map>

#include "mapping/rules/rules.hpp"
#include "mapping/units.hpp"

namespace ibd::mapping::rules {
namespace {

struct Course {
  const Therapy* first = nullptr;  // the record with the earliest start
  std::vector<const Therapy*> records;
};

fhir::CodeableConcept lab_order_code(const LabDef& lab, std::string text) {
  fhir::CodeableConcept code;
  if (lab.order_code) code.codings.push_back(*lab.order_code);
  code.text = std::move(text);
  return code;
}

}  // namespace

void tdm_reactive(const RuleInput& in, Evaluation& out) {
  const TdmReactiveConfig& cfg = in.rules.tdm_reactive;
  RuleTrace trace{cfg.meta.id, cfg.meta.runs_on(in.context.hook), false, ""};
  if (!trace.ran) {
    trace.why = cfg.meta.enabled ? "not run on " + in.context.hook : "disabled in config";
    out.trace.push_back(trace);
    return;
  }
  const Diagnosis* diagnosis = in.model.primary_diagnosis();
  if (diagnosis == nullptr) {
    trace.why = "no IBD diagnosis on record";
    out.trace.push_back(trace);
    return;
  }
  // Current monitored therapies, one course per drug, started at the earliest record.
  std::map<std::string, Course> courses;
  for (const Therapy& t : in.model.therapies) {
    if (!t.current() || std::find(cfg.drug_classes.begin(), cfg.drug_classes.end(), t.drug_class) ==
                            cfg.drug_classes.end())
      continue;
    Course& c = courses[t.drug];
    c.records.push_back(&t);
    if (t.start &&
        (c.first == nullptr || !c.first->start || t.start->start < c.first->start->start))
      c.first = &t;
    if (c.first == nullptr) c.first = &t;
  }
  if (courses.empty()) {
    trace.why = "not on a drug monitored by trough level";
    out.trace.push_back(trace);
    return;
  }
  const InflammationAssessment inflammation =
      assess_inflammation(in.model, in.rules.inflammation, in.now);
  if (inflammation.state != InflammationState::kActive) {
    trace.why = "no objective active inflammation: " + inflammation.explanation;
    out.trace.push_back(trace);
    return;
  }
  std::vector<std::string> reasons_not;
  for (const auto& [drug_name, course] : courses) {
    const Therapy& therapy = *course.first;
    const DrugDef* drug = in.rules.drug(drug_name);
    if (drug == nullptr) continue;
    if (!therapy.start) {
      reasons_not.push_back(drug_name +
                            ": start date unknown, cannot tell whether induction is over");
      continue;
    }
    const long weeks = fhir::days_between(therapy.start->start, in.now) / 7;
    if (weeks < cfg.induction_weeks) {
      reasons_not.push_back(drug_name + ": " + std::to_string(weeks) +
                            " weeks on the drug, still in induction (< " +
                            std::to_string(cfg.induction_weeks) + ")");
      continue;
    }
    const Measurement* level =
        drug->level_concept.empty()
            ? nullptr
            : latest_in_window(in.model, drug->level_concept, cfg.level_window_days, in.now,
                               therapy.start->start);
    const Measurement* antibody =
        drug->antibody_concept.empty()
            ? nullptr
            : latest_in_window(in.model, drug->antibody_concept, cfg.level_window_days, in.now,
                               therapy.start->start);
    const bool level_low =
        level != nullptr && level->value && drug->level_target &&
        (*level->value < *drug->level_target ||
         (level->comparator.starts_with("<") && *level->value <= *drug->level_target));
    if (level != nullptr && !level_low) {
      reasons_not.push_back(drug_name + ": a trough level is on record (" +
                            fhir::format_date(level->effective.start) + ")" +
                            (level->value ? "" : " without a numeric value"));
      continue;
    }
    if (level != nullptr && antibody != nullptr) {
      reasons_not.push_back(drug_name + ": level and antibodies are on record");
      continue;
    }

    const LabDef* level_lab = in.rules.lab(drug->level_concept);
    const LabDef* antibody_lab = in.rules.lab(drug->antibody_concept);
    Advice a = make_advice(cfg.meta, in.rules, Severity::kWarning);
    const std::string window = std::to_string(cfg.level_window_days);
    if (level == nullptr) {
      a.summary = "Active " + diagnosis->display + " on " + drug_name + " (" +
                  std::to_string(weeks) +
                  " wk): check trough level and anti-drug antibodies before changing therapy";
    } else {
      a.summary = "Low " + drug_name + " level (" + level->comparator +
                  format_number(*level->value) + " " + display_unit(level->unit) +
                  ") with active disease: measure anti-drug antibodies";
    }
    a.reasoning.push_back("**Active inflammation, objectively:** " + inflammation.explanation +
                          ".");
    a.reasoning.push_back("**On " + drug_name + " past induction:** since " + therapy.start->text +
                          ", " + std::to_string(weeks) + " weeks (induction counted as " +
                          std::to_string(cfg.induction_weeks) + " weeks).");
    if (level == nullptr) {
      a.reasoning.push_back(
          "**No drug level:** no " + drug_name + " trough level in the last " + window +
          " days, so it is not known whether the drug failed or was under-dosed.");
    } else {
      a.reasoning.push_back("**Low level, antibodies unknown:** the latest trough, " +
                            describe(*level) + ", is below the target of " +
                            format_number(*drug->level_target) + " " + display_unit(level->unit) +
                            ", and there is no anti-drug antibody result in the last " + window +
                            " days.");
    }
    a.reasoning.push_back(
        "**What the result will decide:** low level without antibodies → optimise the dose "
        "(shorten the "
        "interval or raise the dose); low level with high antibodies → switch within the class and "
        "add an "
        "immunomodulator; adequate level" +
        (drug->level_target ? " (≥ " + format_number(*drug->level_target) + " " +
                                  display_unit(level_lab ? level_lab->unit : "") + ")"
                            : std::string()) +
        " → mechanistic failure: switch out of class. Escalating without a level risks giving more "
        "of a drug "
        "that is not working.");
    for (const Measurement* m : inflammation.evidence) a.evidence.push_back(evidence_row(*m));
    if (level != nullptr) a.evidence.push_back(evidence_row(*level));
    for (const Therapy* t : course.records) a.evidence.push_back(evidence_row(*t, in.now));
    a.ignored = ignored_lines(in.model);

    std::vector<std::string> reason_refs;
    for (const Measurement* m : inflammation.evidence) reason_refs.push_back(m->source.reference());
    Suggestion s;
    s.label = level == nullptr ? "Order " + drug_name + " trough level and anti-drug antibodies"
                               : "Order antibodies to " + drug_name;
    if (level == nullptr && level_lab != nullptr) {
      ProposedOrder o;
      o.code = lab_order_code(*level_lab, drug_name + " trough level");
      o.category = "laboratory";
      o.reasons = reason_refs;
      o.note = "Trough: draw just before the next scheduled dose.";
      s.orders.push_back(std::move(o));
    }
    if (antibody_lab != nullptr) {
      ProposedOrder o;
      o.code = lab_order_code(*antibody_lab, "Antibodies to " + drug_name);
      o.category = "laboratory";
      o.reasons = reason_refs;
      if (level != nullptr) o.reasons.push_back(level->source.reference());
      o.note = "Draw with the trough sample.";
      s.orders.push_back(std::move(o));
    }
    if (!s.orders.empty()) a.suggestions.push_back(std::move(s));
    out.advice.push_back(std::move(a));
    trace.fired = true;
  }
  if (!trace.fired) {
    for (const auto& r : reasons_not) trace.why += (trace.why.empty() ? "" : "; ") + r;
  } else {
    trace.why =
        "active inflammation on a monitored drug past induction without a usable level/antibody "
        "pair";
  }
  out.trace.push_back(trace);
}

}  // namespace ibd::mapping::rules
