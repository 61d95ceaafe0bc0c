#include "mapping/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "mapping/rules/rules.hpp"
#include "mapping/units.hpp"

namespace ibd::mapping {

const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "info";
}

bool RuleMeta::runs_on(const std::string& hook) const {
  return enabled && std::find(hooks.begin(), hooks.end(), hook) != hooks.end();
}

const DrugDef* RuleSet::drug(const std::string& name) const {
  for (const DrugDef& d : drugs)
    if (d.name == name) return &d;
  return nullptr;
}

const LabDef* RuleSet::lab(const std::string& concept_id) const {
  for (const LabDef& l : labs)
    if (l.concept_id == concept_id) return &l;
  return nullptr;
}

std::string format_number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  std::string s(buf);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

namespace {

// The value a comparator-qualified result stands for when compared with a threshold:
// "<50" is just under 50, ">1800" just over.
double effective_value(const Measurement& m) {
  const double v = *m.value;
  if (m.comparator == "<") return std::nextafter(v, -INFINITY);
  if (m.comparator == ">") return std::nextafter(v, INFINITY);
  return v;
}

}  // namespace

const Measurement* latest_in_window(const IbdModel& model, const std::string& concept_id,
                                    int window_days, fhir::TimePoint now,
                                    std::optional<fhir::TimePoint> not_before) {
  for (const Measurement& m : model.measurements) {  // newest first
    if (m.concept_id != concept_id) continue;
    const long age = fhir::days_between(m.effective.start, now);
    if (age < -1) continue;  // dated in the future: not a result yet
    if (age > window_days) return nullptr;
    if (not_before && m.effective.start < *not_before) return nullptr;
    return &m;
  }
  return nullptr;
}

InflammationAssessment assess_inflammation(const IbdModel& model, const InflammationConfig& config,
                                           fhir::TimePoint now) {
  InflammationAssessment out;
  std::vector<std::string> active, calm, unsure;
  const Measurement* fc =
      latest_in_window(model, "calprotectin", config.marker_window_days, now, std::nullopt);
  if (fc != nullptr && fc->value) {
    out.evidence.push_back(fc);
    const double v = effective_value(*fc);
    if (v >= config.calprotectin_active) {
      active.push_back(describe(*fc) + " (at or above " +
                       format_number(config.calprotectin_active) + ")");
    } else if (v >= config.calprotectin_normal) {
      unsure.push_back(describe(*fc) + " (indeterminate, " +
                       format_number(config.calprotectin_normal) + "–" +
                       format_number(config.calprotectin_active) + ")");
    } else {
      calm.push_back(describe(*fc));
    }
  }
  for (const char* concept_id : {"crp", "hs-crp"}) {
    const Measurement* crp =
        latest_in_window(model, concept_id, config.crp_window_days, now, std::nullopt);
    if (crp == nullptr || !crp->value) continue;
    out.evidence.push_back(crp);
    if (effective_value(*crp) > config.crp_active) {
      active.push_back(describe(*crp) + " (above " + format_number(config.crp_active) + ")");
    } else {
      calm.push_back(describe(*crp));
    }
    break;  // CRP, else hs-CRP: one CRP measure
  }
  auto join = [](const std::vector<std::string>& parts) {
    std::string s;
    for (const auto& p : parts) s += (s.empty() ? "" : "; ") + p;
    return s;
  };
  if (!active.empty()) {
    out.state = InflammationState::kActive;
    out.explanation = join(active);
  } else if (!unsure.empty()) {
    out.state = InflammationState::kIndeterminate;
    out.explanation = join(unsure);
  } else if (!calm.empty()) {
    out.state = InflammationState::kInactive;
    out.explanation = join(calm);
  } else {
    out.explanation = "no calprotectin in " + std::to_string(config.marker_window_days) +
                      " days and no CRP in " + std::to_string(config.crp_window_days) + " days";
  }
  return out;
}

std::string describe(const Measurement& m) {
  const std::string value =
      m.value ? format_number(*m.value) + " " + display_unit(m.unit) : m.value_text;
  return m.label + " " + m.comparator + value + " on " + fhir::format_date(m.effective.start) +
         (m.preliminary() ? " (preliminary)" : "");
}

EvidenceRow evidence_row(const Measurement& m) {
  EvidenceRow row;
  row.date = fhir::format_date(m.effective.start);
  row.test = m.label;
  row.recorded = m.comparator + m.value_text + (m.unit_text.empty() ? "" : " " + m.unit_text) +
                 (m.interpretation.empty() ? "" : " [" + m.interpretation + "]") +
                 (m.preliminary() ? " (preliminary)" : "");
  if (m.value) row.converted = format_number(*m.value) + " " + display_unit(m.unit);
  row.source = m.source.reference();
  return row;
}

EvidenceRow evidence_row(const Therapy& t, fhir::TimePoint now) {
  EvidenceRow row;
  row.date = t.start ? fhir::format_date(t.start->start) : "unknown";
  row.test = t.label.empty() ? t.drug : t.label;
  row.recorded = t.status + (t.start ? ", started " + t.start->text : "");
  if (t.start)
    row.converted =
        std::to_string(fhir::days_between(t.start->start, now) / 7) + " weeks on " + t.drug;
  row.source = t.source.reference();
  return row;
}

std::vector<std::string> ignored_lines(const IbdModel& model) {
  std::vector<std::string> out;
  for (const Diagnostic& d : model.diagnostics)
    out.push_back(d.source.reference() + " (" + d.path + "): " + d.reason);
  return out;
}

Evaluation evaluate(const IbdModel& model, const HookContext& context, const RuleSet& rules,
                    fhir::TimePoint now) {
  Evaluation out;
  const RuleInput input{model, context, rules, now};
  rules::tdm_reactive(input, out);
  rules::data_incomplete(input, out);
  for (Advice& a : out.advice) a.rule_set_version = rules.version;
  return out;
}

}  // namespace ibd::mapping
