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

// Is a draft order one this hook call decides on? order-select: the selected drafts (every
// draft when context.selections is empty); order-sign: every draft; patient-view: none.
bool decided_now(const RuleInput& in, const Therapy& t);
bool decided_now(const RuleInput& in, const ProcedureFact& p);

// The draft medication orders this hook call decides on.
std::vector<const Therapy*> proposals(const RuleInput& in);
// The draft procedures (ServiceRequests) this hook call decides on.
std::vector<const ProcedureFact*> procedure_proposals(const RuleInput& in);

// A proposal that escalates immunosuppression: a class of escalation_classes (an advanced
// therapy, a calcineurin inhibitor), or an intravenous systemic corticosteroid when so
// configured. The one definition every rule uses.
bool is_escalation(const Therapy& t, const RuleSet& rules);

// Proposals that are a *new* escalation: re-ordering a drug the patient is already on is not
// one (an IV steroid on top of oral steroid is).
std::vector<const Therapy*> new_escalations(const RuleInput& in);

// Current therapies of an immunosuppressive class.
std::vector<const Therapy*> immunosuppressants(const RuleInput& in);

// CMV in colonic tissue within cmv-exclusion's window: the newest tissue result says.
enum class CmvTissue { kNotTested, kNegative, kPositive, kUnclear };
struct CmvTissueStatus {
  CmvTissue status = CmvTissue::kNotTested;
  const Measurement* latest = nullptr;
};
CmvTissueStatus cmv_tissue_status(const RuleInput& in);

// An antibody (or other qualitative) result: the lab's interpretation or value first, else
// the number against the assay's configured positive_at; kUnknown when neither says.
Positivity read_positivity(const Measurement& m, const RuleSet& rules);

// "a", "a and b", "a, b and c"; repeated names once.
std::string join_names(const std::vector<std::string>& names);

// The drug names of therapies, joined: "infliximab and azathioprine".
std::string drug_names(const std::vector<const Therapy*>& therapies);

// A suggestion to remove draft orders (delete actions) until CMV colitis is treated.
Suggestion hold_until_cmv_treated(const std::vector<const Therapy*>& drafts);

// A configured order as a ProposedOrder citing `reasons`.
ProposedOrder order_from(const OrderDef& def, std::vector<std::string> reasons,
                         std::string note = "");

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

// Drug monitoring of one course: the newest level and antibody result within window_days
// since the course started, and what the level says.
struct CourseTdm {
  const Measurement* level = nullptr;
  const Measurement* antibody = nullptr;
  LevelReading reading = LevelReading::kUnknown;  // kUnknown also when there is no level
};
CourseTdm course_tdm(const RuleInput& in, const Course& course, const DrugDef& drug,
                     int window_days);
// The courses of drugs monitored by trough level (tdm-reactive's classes and course gap).
std::map<std::string, Course> monitored_courses(const RuleInput& in);

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
