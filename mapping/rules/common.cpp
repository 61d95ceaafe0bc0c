#include <algorithm>
#include <charconv>
#include <map>

#include "mapping/rules/rules.hpp"

namespace ibd::mapping {

Advice make_advice(const RuleMeta& meta, const RuleSet& rules, Severity severity) {
  Advice a;
  a.rule_id = meta.id;
  a.rule_version = meta.version;
  a.rule_set_version = rules.version;
  a.severity = severity;
  a.source = meta.source;
  a.override_reasons = meta.override_reasons;
  a.override_reason_system = rules.override_reason_system;
  return a;
}

std::vector<const Therapy*> current_therapies(const IbdModel& model, fhir::TimePoint now) {
  std::vector<const Therapy*> out;
  for (const Therapy& t : model.therapies)
    if (t.current_at(now)) out.push_back(&t);
  return out;
}

namespace {

bool decided(const RuleInput& in, bool proposed, bool selected) {
  if (!proposed) return false;
  if (in.context.hook == "order-sign") return true;
  if (in.context.hook != "order-select") return false;
  return in.model.selections.empty() || selected;
}

}  // namespace

bool decided_now(const RuleInput& in, const Therapy& t) {
  return decided(in, t.proposed, t.selected);
}
bool decided_now(const RuleInput& in, const ProcedureFact& p) {
  return decided(in, p.proposed, p.selected);
}

std::vector<const Therapy*> proposals(const RuleInput& in) {
  std::vector<const Therapy*> out;
  for (const Therapy& t : in.model.therapies)
    if (decided_now(in, t)) out.push_back(&t);
  return out;
}

std::vector<const ProcedureFact*> procedure_proposals(const RuleInput& in) {
  std::vector<const ProcedureFact*> out;
  for (const ProcedureFact& p : in.model.procedures)
    if (decided_now(in, p)) out.push_back(&p);
  return out;
}

bool is_escalation(const Therapy& t, const RuleSet& rules) {
  const CmvExclusionConfig& cfg = rules.cmv_exclusion;
  if (cfg.iv_steroid_is_escalation && t.drug_class == "systemic-corticosteroid" && t.intravenous)
    return true;
  if (!cfg.escalation_classes.empty())
    return std::find(cfg.escalation_classes.begin(), cfg.escalation_classes.end(), t.drug_class) !=
           cfg.escalation_classes.end();
  return rules.is_advanced(t.drug_class) || t.drug_class == "calcineurin-inhibitor";
}

std::vector<const Therapy*> new_escalations(const RuleInput& in) {
  std::vector<const Therapy*> out;
  const std::vector<const Therapy*> current = current_therapies(in.model, in.now);
  for (const Therapy* t : proposals(in)) {
    if (!is_escalation(*t, in.rules)) continue;
    const bool continuation = std::any_of(current.begin(), current.end(), [&](const Therapy* c) {
      // The same drug again is a continuation; only an IV steroid on top of oral steroid escalates.
      return c->drug == t->drug &&
             (t->drug_class != "systemic-corticosteroid" || c->intravenous || !t->intravenous);
    });
    if (!continuation) out.push_back(t);
  }
  return out;
}

std::vector<const Therapy*> immunosuppressants(const RuleInput& in) {
  std::vector<const Therapy*> out;
  for (const Therapy* t : current_therapies(in.model, in.now))
    if (in.rules.is_immunosuppressive(t->drug_class)) out.push_back(t);
  return out;
}

CmvTissueStatus cmv_tissue_status(const RuleInput& in) {
  CmvTissueStatus out;
  out.latest = latest_in_window(in.model, "cmv-tissue", in.rules.cmv_exclusion.tissue_window_days,
                                in.now, std::nullopt, false);
  if (out.latest == nullptr) return out;
  switch (positivity(*out.latest)) {
    case Positivity::kNegative:
      out.status = CmvTissue::kNegative;
      break;
    case Positivity::kPositive:
      out.status = CmvTissue::kPositive;
      break;
    default:
      out.status = CmvTissue::kUnclear;
      break;
  }
  return out;
}

Positivity read_positivity(const Measurement& m, const RuleSet& rules) {
  const Positivity p = positivity(m);
  if (p != Positivity::kUnknown) return p;
  const LabDef* lab = rules.lab(m.concept_id);
  if (lab == nullptr || !lab->positive_at) return Positivity::kUnknown;
  double v = 0;
  if (m.value) {
    v = *m.value;
  } else {
    const char* first = m.value_text.data();
    const auto [ptr, ec] = std::from_chars(first, first + m.value_text.size(), v);
    if (ec != std::errc() || ptr != first + m.value_text.size()) return Positivity::kUnknown;
  }
  if (m.comparator == "<" || m.comparator == "<=")
    return v <= *lab->positive_at ? Positivity::kNegative : Positivity::kUnknown;
  return v >= *lab->positive_at ? Positivity::kPositive : Positivity::kNegative;
}

std::string join_names(const std::vector<std::string>& names) {
  std::vector<std::string> unique;
  for (const std::string& n : names)
    if (std::find(unique.begin(), unique.end(), n) == unique.end()) unique.push_back(n);
  std::string out;
  for (std::size_t i = 0; i < unique.size(); ++i) {
    if (i > 0) out += i + 1 == unique.size() ? " and " : ", ";
    out += unique[i];
  }
  return out;
}

std::string drug_names(const std::vector<const Therapy*>& therapies) {
  std::vector<std::string> names;
  for (const Therapy* t : therapies) names.push_back(t->drug);
  return join_names(names);
}

Suggestion hold_until_cmv_treated(const std::vector<const Therapy*>& drafts) {
  Suggestion s;
  s.label = "Hold " + drug_names(drafts) + " until CMV colitis is treated";
  for (const Therapy* t : drafts)
    s.removals.push_back({t->source.reference(),
                          "Remove the draft " + t->drug + " order until CMV colitis is treated"});
  return s;
}

ProposedOrder order_from(const OrderDef& def, std::vector<std::string> reasons, std::string note) {
  ProposedOrder o;
  if (!def.code.code.empty()) o.code.codings.push_back(def.code);
  o.code.text = def.text;
  o.category = def.category;
  o.reasons = std::move(reasons);
  o.note = std::move(note);
  return o;
}

namespace rules {

std::map<std::string, Course> current_courses(const RuleInput& in,
                                              const std::vector<std::string>& classes,
                                              int course_gap_days) {
  std::map<std::string, std::vector<const Therapy*>> by_drug;
  for (const Therapy& t : in.model.therapies) {
    if (t.proposed || std::find(classes.begin(), classes.end(), t.drug_class) == classes.end())
      continue;
    by_drug[t.drug].push_back(&t);
  }
  std::map<std::string, Course> out;
  for (auto& [drug, records] : by_drug) {
    Course course;
    for (const Therapy* t : records) {
      if (!t->current_at(in.now)) continue;
      course.records.push_back(t);
      if (course.first == nullptr ||
          (t->start && (!course.first->start || t->start->start < course.first->start->start)))
        course.first = t;
    }
    if (course.first == nullptr) continue;  // not on it now
    // Walk back through earlier records (newest first) while they join up with the course.
    std::sort(records.begin(), records.end(), [](const Therapy* a, const Therapy* b) {
      return a->start && (!b->start || a->start->start > b->start->start);
    });
    for (const Therapy* t : records) {
      if (!course.first->start || !t->start || t->start->start >= course.first->start->start)
        continue;
      if (std::find(course.records.begin(), course.records.end(), t) != course.records.end())
        continue;
      if (t->status != "completed" && t->status != "stopped" && t->status != "active") continue;
      const bool joins = !t->end || fhir::days_between(t->end->start, course.first->start->start) <=
                                        course_gap_days;
      if (!joins) break;
      course.records.push_back(t);
      course.first = t;
    }
    out.emplace(drug, std::move(course));
  }
  return out;
}

LevelReading read_level(const Measurement& level, const DrugDef& drug) {
  if (level.value && drug.level_target) {
    switch (reaches(level, *drug.level_target, false)) {
      case Tri::kYes:
        return LevelReading::kAdequate;
      case Tri::kNo:
        return LevelReading::kLow;
      case Tri::kUnknown:
        return LevelReading::kUnknown;
    }
  }
  // A qualitative result: "undetectable", or flagged low by the lab.
  if (level.interpretation == "L" || level.interpretation == "LL") return LevelReading::kLow;
  std::string words;
  for (const std::string& w : normalise_words(level.value_text)) words += " " + w;
  words += " ";
  for (const char* phrase :
       {" undetectable ", " undetected ", " not detected ", " below detection "})
    if (words.find(phrase) != std::string::npos) return LevelReading::kLow;
  return LevelReading::kUnknown;
}

std::map<std::string, Course> monitored_courses(const RuleInput& in) {
  return current_courses(in, in.rules.tdm_reactive.drug_classes,
                         in.rules.tdm_reactive.course_gap_days);
}

CourseTdm course_tdm(const RuleInput& in, const Course& course, const DrugDef& drug,
                     int window_days) {
  CourseTdm out;
  if (course.first == nullptr || !course.first->start) return out;
  const fhir::TimePoint since = course.first->start->start;
  if (!drug.level_concept.empty())
    out.level = latest_in_window(in.model, drug.level_concept, window_days, in.now, since, false);
  if (!drug.antibody_concept.empty())
    out.antibody =
        latest_in_window(in.model, drug.antibody_concept, window_days, in.now, since, false);
  if (out.level != nullptr) out.reading = read_level(*out.level, drug);
  return out;
}

}  // namespace rules

RuleTrace start_trace(const RuleMeta& meta, const HookContext& context) {
  RuleTrace trace{meta.id, meta.runs_on(context.hook), false, ""};
  if (!trace.ran) trace.why = meta.enabled ? "not run on " + context.hook : "disabled in config";
  return trace;
}

}  // namespace ibd::mapping
