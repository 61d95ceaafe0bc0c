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

bool RuleSet::is_advanced(const std::string& drug_class) const {
  return std::find(advanced_classes.begin(), advanced_classes.end(), drug_class) !=
         advanced_classes.end();
}

bool RuleSet::is_immunosuppressive(const std::string& drug_class) const {
  return std::find(immunosuppressive_classes.begin(), immunosuppressive_classes.end(),
                   drug_class) != immunosuppressive_classes.end();
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
  char buf[64];
  if (!std::isfinite(value) || std::fabs(value) >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.6g", value);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.2f", value);
  std::string s(buf);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

std::string escape_markdown(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '(':
      case ')':
      case '!':
      case '<':
      case '>':
      case '#':
      case '|':
      case '~':
      case '{':
      case '}':
        out.push_back('\\');
        out.push_back(c);
        break;
      case '\n':
      case '\r':
      case '\t':
        out.push_back(' ');
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c < 0) out.push_back(c);
    }
  }
  return out;
}

Tri reaches(const Measurement& m, double threshold, bool strict) {
  const double v = *m.value;
  const std::string& c = m.comparator;
  auto yes_if = [](bool b) { return b ? Tri::kYes : Tri::kNo; };
  if (c.empty()) return yes_if(strict ? v > threshold : v >= threshold);
  if (c == "<") return v <= threshold ? Tri::kNo : Tri::kUnknown;  // true value < v
  if (c == "<=") return (strict ? v <= threshold : v < threshold) ? Tri::kNo : Tri::kUnknown;
  if (c == ">") return v >= threshold ? Tri::kYes : Tri::kUnknown;  // true value > v
  if (c == ">=") return (strict ? v > threshold : v >= threshold) ? Tri::kYes : Tri::kUnknown;
  return Tri::kUnknown;  // an unknown comparator (e.g. "ad"): do not guess
}

const Measurement* latest_in_window(const IbdModel& model, const std::string& concept_id,
                                    int window_days, fhir::TimePoint now,
                                    std::optional<fhir::TimePoint> not_before, bool need_value) {
  for (const Measurement& m : model.measurements) {  // newest first
    if (m.concept_id != concept_id) continue;
    const long age = fhir::days_between(m.effective.start, now);
    if (age < -1) continue;  // dated in the future: not a result yet
    if (age > window_days) return nullptr;
    if (not_before && m.effective.start < *not_before) return nullptr;
    if (need_value && !m.value) continue;
    return &m;
  }
  return nullptr;
}

namespace {

// One marker and what it says.
struct MarkerReading {
  const Measurement* m = nullptr;
  InflammationState state = InflammationState::kUnknown;
  std::string text;
};

MarkerReading read_threshold(const Measurement* m, double active, bool strict) {
  MarkerReading r{m, InflammationState::kUnknown, ""};
  if (m == nullptr) return r;
  const Tri t = reaches(*m, active, strict);
  const std::string bound = (strict ? "above " : "at or above ") + format_number(active);
  if (t == Tri::kYes) {
    r.state = InflammationState::kActive;
    r.text = describe(*m) + " (" + bound + ")";
  } else if (t == Tri::kNo) {
    r.state = InflammationState::kInactive;
    r.text = describe(*m);
  } else {
    r.state = InflammationState::kIndeterminate;
    r.text = describe(*m) + " (cannot tell whether it is " + bound + ")";
  }
  return r;
}

}  // namespace

InflammationAssessment assess_inflammation(const IbdModel& model, const InflammationConfig& config,
                                           fhir::TimePoint now) {
  const int window = config.marker_window_days;
  std::vector<MarkerReading> readings;

  // Calprotectin has an indeterminate band between "normal" and "active".
  if (const Measurement* fc =
          latest_in_window(model, "calprotectin", window, now, std::nullopt, true)) {
    MarkerReading r = read_threshold(fc, config.calprotectin_active, false);
    if (r.state != InflammationState::kActive &&
        reaches(*fc, config.calprotectin_normal, false) != Tri::kNo) {
      r.state = InflammationState::kIndeterminate;
      r.text = describe(*fc) + " (indeterminate, " + format_number(config.calprotectin_normal) +
               "–" + format_number(config.calprotectin_active) + ")";
    }
    readings.push_back(r);
  }
  const Measurement* crp =
      latest_in_window(model, "crp", config.crp_window_days, now, std::nullopt, true);
  if (crp == nullptr)
    crp = latest_in_window(model, "hs-crp", config.crp_window_days, now, std::nullopt, true);
  if (crp != nullptr) readings.push_back(read_threshold(crp, config.crp_active, true));
  if (const Measurement* mayo =
          latest_in_window(model, "mayo-endoscopic", window, now, std::nullopt, true))
    readings.push_back(read_threshold(mayo, config.mayo_endoscopic_active, false));
  if (const Measurement* ses = latest_in_window(model, "ses-cd", window, now, std::nullopt, true))
    readings.push_back(read_threshold(ses, config.ses_cd_active, false));

  InflammationAssessment out;
  for (const MarkerReading& r : readings) out.evidence.push_back(r.m);
  auto collect = [&](InflammationState state) {
    std::string s;
    for (const MarkerReading& r : readings)
      if (r.state == state) s += (s.empty() ? "" : "; ") + r.text;
    return s;
  };
  for (InflammationState state : {InflammationState::kActive, InflammationState::kIndeterminate,
                                  InflammationState::kInactive}) {
    out.explanation = collect(state);
    if (!out.explanation.empty()) {
      out.state = state;
      return out;
    }
  }
  out.explanation = "no calprotectin, endoscopic score in " + std::to_string(window) +
                    " days and no CRP in " + std::to_string(config.crp_window_days) + " days";
  return out;
}

std::string describe(const Measurement& m) {
  // Converted: the number in the canonical unit. Kept as recorded: the text with its own unit.
  const std::string value = m.value ? format_number(*m.value) + " " + display_unit(m.unit)
                                    : m.value_text + (m.unit_text.empty() ? "" : " " + m.unit_text);
  std::string text = m.label + " " + m.comparator + value;
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return escape_markdown(text) + " on " + fhir::format_date(m.effective.start) +
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
  row.test = t.label.empty() ? t.drug : t.label;
  row.source = t.source.reference();
  if (t.proposed) {
    row.date = t.start ? fhir::format_date(t.start->start) : "now";
    row.recorded = "proposed (" + (t.status.empty() ? std::string("draft") : t.status) + " order)" +
                   (t.intravenous ? ", intravenous" : "");
    return row;
  }
  row.date = t.start ? fhir::format_date(t.start->start) : "unknown";
  row.recorded = t.status + (t.start ? ", started " + t.start->text : "") +
                 (t.end ? ", ended " + t.end->text : "");
  if (t.start && t.current_at(now))
    row.converted =
        std::to_string(fhir::days_between(t.start->start, now) / 7) + " weeks on " + t.drug;
  return row;
}

EvidenceRow evidence_row(const Diagnosis& d) {
  EvidenceRow row;
  row.date = d.onset ? fhir::format_date(d.onset->start) : "unknown";
  row.test = d.label.empty() ? d.display : d.label;
  row.recorded =
      "diagnosis: " + d.display + (d.onset ? ", onset " + d.onset->text : ", no onset date");
  row.source = d.source.reference();
  return row;
}

std::string phenotype_words(const std::string& phenotype) {
  std::string s = phenotype;
  for (char& c : s)
    if (c == '-') c = ' ';
  return s;
}

EvidenceRow evidence_row(const GeneResult& g) {
  EvidenceRow row;
  row.date = g.effective.text.empty() ? "unknown" : fhir::format_date(g.effective.start);
  row.test = g.label.empty() ? g.gene : g.label;
  row.recorded = g.gene;
  if (!g.genotype.empty()) row.recorded += " " + g.genotype;
  if (!g.variant.empty()) row.recorded += " " + g.variant;
  if (g.phenotype_from_lab && !g.phenotype.empty())
    row.recorded += ", " + phenotype_words(g.phenotype) + " metabolizer";
  if (g.pathogenic) {
    row.converted = "pathogenic / likely pathogenic";
  } else if (!g.phenotype_from_lab && !g.phenotype.empty()) {
    row.converted = phenotype_words(g.phenotype) + " metabolizer (derived from the star alleles)";
  }
  row.source = g.source.reference();
  return row;
}

EvidenceRow evidence_row(const ProcedureFact& p) {
  EvidenceRow row;
  row.test = p.label;
  row.source = p.source.reference();
  if (p.proposed) {
    row.date = "now";
    row.recorded = "proposed (" + (p.status.empty() ? std::string("draft") : p.status) + " order)";
  } else {
    row.date = p.performed ? fhir::format_date(p.performed->start) : "unknown";
    row.recorded = p.status + (p.performed ? ", performed " + p.performed->text : "");
  }
  return row;
}

std::vector<std::string> ignored_lines(const IbdModel& model) {
  std::vector<std::string> out;
  std::size_t foreign = 0;
  for (const Diagnostic& d : model.diagnostics) {
    if (d.other_patient) {
      ++foreign;  // never name another patient's records on this patient's card
      continue;
    }
    out.push_back(escape_markdown(d.source.reference() + " (" + d.path + "): " + d.reason));
  }
  if (foreign > 0)
    out.push_back(std::to_string(foreign) + (foreign == 1 ? " resource" : " resources") +
                  " belonging to another patient (refused)");
  return out;
}

Evaluation evaluate(const IbdModel& model, const HookContext& context, const RuleSet& rules,
                    fhir::TimePoint now) {
  Evaluation out;
  const RuleInput input{model, context, rules, now};
  // Order matters only for reading: the most safety-critical rules speak first.
  rules::cmv_positive(input, out);
  rules::cmv_exclusion(input, out);
  rules::ipaa_in_crohns(input, out);
  rules::thiopurine_pgx(input, out);
  rules::pre_advanced_screening(input, out);
  rules::monogenic_defect(input, out);
  rules::veo_ibd_monogenic(input, out);
  rules::escalation_unproven(input, out);
  rules::tdm_reactive(input, out);
  rules::tdm_interpret(input, out);
  rules::refractory_escalation(input, out);
  rules::hla_dqa1_05(input, out);
  rules::data_incomplete(input, out);
  for (Advice& a : out.advice) a.rule_set_version = rules.version;
  return out;
}

}  // namespace ibd::mapping
