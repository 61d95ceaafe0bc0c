#include <algorithm>
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

std::vector<const Therapy*> proposals(const RuleInput& in) {
  const std::vector<const Therapy*> drafts = in.model.proposed_therapies();
  if (in.context.hook == "order-sign") return drafts;
  if (in.context.hook != "order-select") return {};
  // The selected orders are the ones being decided now; with no selections named, all drafts.
  if (in.model.selections.empty()) return drafts;
  std::vector<const Therapy*> selected;
  for (const Therapy* t : drafts)
    if (t->selected) selected.push_back(t);
  return selected;
}

bool is_escalation(const Therapy& t, const RuleSet& rules, bool iv_steroid_counts) {
  if (rules.is_advanced(t.drug_class) || t.drug_class == "calcineurin-inhibitor") return true;
  return iv_steroid_counts && t.drug_class == "systemic-corticosteroid" && t.intravenous;
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

}  // namespace rules

RuleTrace start_trace(const RuleMeta& meta, const HookContext& context) {
  RuleTrace trace{meta.id, meta.runs_on(context.hook), false, ""};
  if (!trace.ran) trace.why = meta.enabled ? "not run on " + context.hook : "disabled in config";
  return trace;
}

}  // namespace ibd::mapping
