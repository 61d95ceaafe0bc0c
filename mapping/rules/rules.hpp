// Internal to mapping/: the rule functions evaluate() calls, one file each. A rule appends
// its trace line and, when it fires, its Advice.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mapping/evaluate.hpp"

namespace ibd::mapping {

struct RuleInput {
  const IbdModel& model;
  const HookContext& context;
  const RuleSet& rules;
  fhir::TimePoint now;
};

// The newest result of `concept_id` no older than window_days (and not before not_before);
// with need_value, the newest one that has a numeric value.
const Measurement* latest_in_window(const IbdModel& model, const std::string& concept_id,
                                    int window_days, fhir::TimePoint now,
                                    std::optional<fhir::TimePoint> not_before, bool need_value);

// Starts an Advice carrying the rule's identity, source and override reasons.
Advice make_advice(const RuleMeta& meta, const RuleSet& rules, Severity severity);

// Therapies the patient is on at `now` (not proposals, not ended).
std::vector<const Therapy*> current_therapies(const IbdModel& model, fhir::TimePoint now);

// The draft medication orders this hook call is about: on order-select the selected ones
// (all drafts when context.selections is empty), on order-sign every draft; none on
// patient-view.
std::vector<const Therapy*> proposals(const RuleInput& in);

// A proposal that escalates immunosuppression: an advanced therapy, a calcineurin inhibitor,
// or an intravenous systemic corticosteroid (when configured so).
bool is_escalation(const Therapy& t, const RuleSet& rules, bool iv_steroid_counts);

// Trace line helpers: every rule reports once, fired or not.
RuleTrace start_trace(const RuleMeta& meta, const HookContext& context);

namespace rules {

// One uninterrupted course of a drug: the current record(s) plus earlier records of the same
// drug that ended (or were re-issued) within course_gap_days of it.
struct Course {
  const Therapy* first = nullptr;  // the record that starts the course
  std::vector<const Therapy*> records;
};

// The courses of drugs of `classes` the patient is on now, by drug name.
std::map<std::string, Course> current_courses(const RuleInput& in,
                                              const std::vector<std::string>& classes,
                                              int course_gap_days);

enum class LevelReading { kLow, kAdequate, kUnknown };
// A trough level against the drug's target; qualitative "undetectable" or an L flag is low.
LevelReading read_level(const Measurement& level, const DrugDef& drug);

void tdm_reactive(const RuleInput& in, Evaluation& out);
void data_incomplete(const RuleInput& in, Evaluation& out);
void cmv_exclusion(const RuleInput& in, Evaluation& out);
void cmv_positive(const RuleInput& in, Evaluation& out);
void tdm_interpret(const RuleInput& in, Evaluation& out);
void thiopurine_pgx(const RuleInput& in, Evaluation& out);
void veo_ibd_monogenic(const RuleInput& in, Evaluation& out);
void monogenic_defect(const RuleInput& in, Evaluation& out);
void refractory_escalation(const RuleInput& in, Evaluation& out);
void escalation_unproven(const RuleInput& in, Evaluation& out);
void pre_advanced_screening(const RuleInput& in, Evaluation& out);
void hla_dqa1_05(const RuleInput& in, Evaluation& out);
void ipaa_in_crohns(const RuleInput& in, Evaluation& out);
}  // namespace rules

}  // namespace ibd::mapping
