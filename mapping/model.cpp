#include "mapping/model.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "mapping/genomics.hpp"
#include "mapping/units.hpp"

namespace ibd::mapping {
namespace {

using fhir::Json;

bool one_of(const std::string& s, std::initializer_list<std::string_view> values) {
  return std::find(values.begin(), values.end(), s) != values.end();
}

class Builder {
 public:
  Builder(const PatientData& data, const Terminology& terminology, const RuleSet& rules)
      : data_(data), terminology_(terminology), rules_(rules) {
    model_.patient_id = data.patient_id;
    model_.missing = data.missing;
    model_.selections = data.selections;
    // Index resources by type/id so medicationReference can find a bundled Medication.
    for (const SourcedResource& r : data.resources) {
      const std::string* type = fhir::resource_type(r.resource);
      const std::string* id = fhir::resource_id(r.resource);
      if (type && id) by_ref_.emplace(*type + "/" + *id, &r.resource);
    }
  }

  // The same resource can arrive twice (two prefetch keys, or an amended version beside the
  // original): for each Type/id keep the newest version, by meta.versionId, else
  // meta.lastUpdated, else the first seen.
  std::set<const Json*> newest_versions() const {
    std::map<std::string, const Json*> best;
    auto version_of = [](const Json& r) -> std::pair<long, std::string> {
      const Json* meta = r.find("meta");
      long v = -1;
      std::string updated;
      if (meta != nullptr) {
        if (const std::string* vid = meta->string_at("versionId")) {
          char* end = nullptr;
          const long parsed = std::strtol(vid->c_str(), &end, 10);
          if (end != vid->c_str() && *end == '\0') v = parsed;
        }
        if (const std::string* lu = meta->string_at("lastUpdated")) {
          if (auto dt = fhir::parse_date_time(*lu)) updated = fhir::format_instant(dt->start);
        }
      }
      return {v, updated};
    };
    for (const SourcedResource& r : data_.resources) {
      const std::string* type = fhir::resource_type(r.resource);
      const std::string* id = fhir::resource_id(r.resource);
      if (type == nullptr || id == nullptr || id->empty()) continue;
      auto [it, inserted] = best.emplace(*type + "/" + *id, &r.resource);
      if (!inserted && version_of(*it->second) < version_of(r.resource)) it->second = &r.resource;
    }
    std::set<const Json*> out;
    for (const auto& [ref, json] : best) out.insert(json);
    return out;
  }

  IbdModel build() && {
    std::set<std::string> seen;
    const std::set<const Json*> newest = newest_versions();
    for (const SourcedResource& r : data_.resources) {
      const std::string* type = fhir::resource_type(r.resource);
      const std::string* id = fhir::resource_id(r.resource);
      Provenance p{type ? *type : "", id ? *id : "", r.key};
      if (type == nullptr) {
        note(p, "resourceType", "not a FHIR resource (no resourceType)");
        continue;
      }
      if (id == nullptr || id->empty()) {
        p.id = "(no id)";
      } else if (!newest.contains(&r.resource) || !seen.insert(p.reference()).second) {
        continue;  // an older version, or the same resource again under another key
      }
      if (*type == "Patient") {
        read_patient(r.resource, p);
      } else if (*type == "Condition" || *type == "Observation" || *type == "MedicationStatement" ||
                 *type == "MedicationRequest" || *type == "Procedure") {
        if (!belongs_to_patient(r.resource, p)) continue;
        if (*type == "Condition") read_condition(r.resource, p);
        if (*type == "Observation") read_observation(r.resource, p);
        if (*type == "MedicationStatement" || *type == "MedicationRequest")
          read_medication(r.resource, p, false);
        if (*type == "Procedure") read_procedure(r.resource, p, false);
      }
    }
    // Draft orders: proposals of this hook call, kept apart from the record.
    for (const Json& order : data_.draft_orders) {
      const std::string* type = fhir::resource_type(order);
      const std::string* id = fhir::resource_id(order);
      Provenance p{type ? *type : "", id && !id->empty() ? *id : "(no id)", "draftOrders"};
      if (type == nullptr) continue;
      // A draft may leave the subject out (it is this patient's by context), never name another.
      if (order.find("subject") != nullptr && !belongs_to_patient(order, p)) continue;
      if (*type == "MedicationRequest") read_medication(order, p, true);
      if (*type == "ServiceRequest") read_procedure(order, p, true);
    }
    std::stable_sort(
        model_.measurements.begin(), model_.measurements.end(),
        [](const Measurement& a, const Measurement& b) { return b.effective < a.effective; });
    auto rank = [&](const Diagnosis& d) {
      for (std::size_t i = 0; i < rules_.diseases.size(); ++i)
        if (rules_.diseases[i].name == d.disease) return i;
      return rules_.diseases.size();
    };
    std::stable_sort(model_.diagnoses.begin(), model_.diagnoses.end(),
                     [&](const Diagnosis& a, const Diagnosis& b) { return rank(a) < rank(b); });
    std::stable_sort(
        model_.genes.begin(), model_.genes.end(),
        [](const GeneResult& a, const GeneResult& b) { return b.effective < a.effective; });
    return std::move(model_);
  }

 private:
  void note(const Provenance& p, std::string path, std::string reason) {
    model_.diagnostics.push_back(
        {p, p.resource_type + (path.empty() ? "" : "." + path), std::move(reason)});
  }

  bool belongs_to_patient(const Json& resource, const Provenance& p) {
    const Json* subject = resource.find("subject");
    std::optional<fhir::Reference> ref = subject ? fhir::read_reference(*subject) : std::nullopt;
    if (!ref) {
      note(p, "subject", "no patient reference: cannot tell whose record it is");
      return false;
    }
    if (ref->type != "Patient" || ref->id != data_.patient_id) {
      note(p, "subject", "belongs to another patient");
      model_.diagnostics.back().other_patient = true;
      return false;
    }
    return true;
  }

  void read_patient(const Json& r, const Provenance& p) {
    if (p.id != data_.patient_id) {
      note(p, "id", "a Patient other than the one in context");
      model_.diagnostics.back().other_patient = true;
      return;
    }
    if (const std::string* bd = r.string_at("birthDate")) {
      model_.birth_date = fhir::parse_date_time(*bd);
      if (!model_.birth_date) note(p, "birthDate", "not a valid FHIR date");
    }
    if (const std::string* g = r.string_at("gender")) model_.sex = *g;
  }

  static std::optional<fhir::DateTime> date_of(const Json& r, std::string_view prefix) {
    const std::string base(prefix);
    for (const char* suffix : {"DateTime", "Instant"}) {
      if (const std::string* s = r.string_at(base + suffix)) return fhir::parse_date_time(*s);
    }
    if (const Json* period = r.find(base + "Period")) {
      if (const std::string* s = period->string_at("start")) return fhir::parse_date_time(*s);
    }
    return std::nullopt;
  }

  // Onset from onsetAge (UCUM a, mo, wk, d; or the words) and the birth date. Whole years and
  // months are added on the calendar; weeks and days as days. The precision is a day.
  static std::optional<fhir::DateTime> onset_from_age(const Json& age,
                                                      const fhir::DateTime& birth) {
    using namespace std::chrono;
    auto q = fhir::read_quantity(age);
    if (!q || !q->value || *q->value < 0 || *q->value >= 150 * 366) return std::nullopt;
    const std::string unit = !q->code.empty() ? q->code : q->unit;
    const double v = *q->value;
    const year_month_day born{birth.day()};
    sys_days at;
    if (unit == "a" || unit == "year" || unit == "years" || unit == "yr") {
      year_month_day ymd = born + years{static_cast<int>(v)};
      if (!ymd.ok()) ymd = ymd.year() / ymd.month() / last;  // born on 29 February
      at = sys_days{ymd};
    } else if (unit == "mo" || unit == "month" || unit == "months") {
      year_month_day ymd = born + months{static_cast<int>(v)};
      if (!ymd.ok()) ymd = ymd.year() / ymd.month() / last;
      at = sys_days{ymd};
    } else if (unit == "wk" || unit == "week" || unit == "weeks") {
      at = birth.day() + days{static_cast<int>(v * 7)};
    } else if (unit == "d" || unit == "day" || unit == "days") {
      at = birth.day() + days{static_cast<int>(v)};
    } else {
      return std::nullopt;
    }
    fhir::DateTime onset = birth;
    onset.start = at;
    onset.precision = fhir::DatePrecision::kDay;
    onset.text = "age " + q->value_text + " " + unit;
    return onset;
  }

  void read_condition(const Json& r, const Provenance& p) {
    const fhir::CodeableConcept code =
        read_codeable_concept(r.find("code") ? *r.find("code") : Json());
    const DiseaseDef* disease = nullptr;
    bool ibd = true;
    for (const DiseaseDef& d : rules_.diseases) {
      if (terminology_.match(d.valueset, code) != MatchKind::kNone) {
        disease = &d;
        break;
      }
    }
    for (const DiseaseDef& d : rules_.other_conditions) {
      if (disease != nullptr) break;
      if (terminology_.match(d.valueset, code) != MatchKind::kNone) {
        disease = &d;
        ibd = false;
      }
    }
    if (disease == nullptr) return;  // not a diagnosis the rules use
    if (const Json* vs = r.find("verificationStatus")) {
      for (const fhir::Coding& c : read_codeable_concept(*vs).codings) {
        if (one_of(c.code,
                   {"entered-in-error", "refuted", "unconfirmed", "provisional", "differential"})) {
          note(p, "verificationStatus",
               "verification status " + c.code + ": not a confirmed diagnosis");
          return;
        }
      }
    }
    Diagnosis d{disease->name, disease->display, code.label(), date_of(r, "onset"), p};
    if (!d.onset) {
      if (const Json* age = r.find("onsetAge"); age && model_.birth_date) {
        if (auto onset = onset_from_age(*age, *model_.birth_date)) {
          d.onset = onset;
        } else {
          note(p, "onsetAge", "an age at onset in a unit other than years, months, weeks or days");
        }
      }
    }
    (ibd ? model_.diagnoses : model_.conditions).push_back(std::move(d));
  }

  void read_observation(const Json& r, const Provenance& p) {
    const fhir::CodeableConcept code =
        read_codeable_concept(r.find("code") ? *r.find("code") : Json());
    if (read_genomic_observation(r, p, rules_, terminology_, model_)) return;
    const LabDef* lab = nullptr;
    for (const LabDef& l : rules_.labs) {
      if (terminology_.match(l.valueset, code) != MatchKind::kNone) {
        lab = &l;
        break;
      }
    }
    if (lab == nullptr) return;  // a test the rules do not use
    Measurement m;
    m.concept_id = lab->concept_id;
    m.label = code.label().empty() ? lab->display : code.label();
    m.source = p;
    m.status = r.string_at("status") ? *r.string_at("status") : "";
    if (!one_of(m.status, {"final", "amended", "corrected", "preliminary"})) {
      note(p, "status",
           m.status.empty() ? "no status" : "status " + m.status + ": not a usable result");
      return;
    }
    auto effective = date_of(r, "effective");
    if (!effective) {
      note(p, "effective[x]", "no valid date: cannot tell how recent it is");
      return;
    }
    m.effective = *effective;
    if (const Json::Array* interps = r.array_at("interpretation"); interps && !interps->empty()) {
      auto cc = read_codeable_concept(interps->front());
      if (!cc.codings.empty()) m.interpretation = cc.codings.front().code;
    }
    const bool score = lab->unit == kScoreUnit;
    if (const Json* vi = r.find("valueInteger"); vi != nullptr && vi->as_int()) {
      m.value_text = *vi->as_number_text();
      if (score) {
        m.value = static_cast<double>(*vi->as_int());
        m.unit = lab->unit;
      }
    } else if (const Json* sq = r.find("valueQuantity"); sq != nullptr && score) {
      // A score has no unit to convert: "{score}", "1" or none are all the same.
      auto q = fhir::read_quantity(*sq);
      if (!q || !q->value) {
        note(p, "valueQuantity.value", "no numeric value");
        return;
      }
      m.value_text = q->value_text;
      m.comparator = q->comparator;
      m.value = q->value;
      m.unit = lab->unit;
    } else if (const Json* vq = r.find("valueQuantity")) {
      auto q = fhir::read_quantity(*vq);
      if (!q || !q->value) {
        note(p, "valueQuantity.value", "no numeric value");
        return;
      }
      m.value_text = q->value_text;
      m.comparator = q->comparator;
      m.unit_text = !q->unit.empty() ? q->unit : q->code;
      const std::string from = (q->system == fhir::kUcum && !q->code.empty()) ? q->code : q->unit;
      if (!lab->unit.empty()) {
        auto converted = convert_unit(*q->value, from, lab->unit);
        if (!converted) {
          note(p, "valueQuantity.unit",
               "unit '" + from + "' cannot be converted to " + display_unit(lab->unit));
          return;
        }
        m.value = converted;
        m.unit = lab->unit;
      }
    } else if (const std::string* vs = r.string_at("valueString")) {
      m.qualitative = *vs;
      m.value_text = *vs;
    } else if (const Json* vcc = r.find("valueCodeableConcept")) {
      m.qualitative = read_codeable_concept(*vcc).label();
      m.value_text = m.qualitative;
    } else {
      const Json* dar = r.find("dataAbsentReason");
      note(p, "value[x]", dar ? "no value: " + read_codeable_concept(*dar).label() : "no value");
      return;
    }
    if (m.value_text.empty()) {
      note(p, "value[x]", "empty value");
      return;
    }
    // A text result for a numeric test ("Undetectable", "<LOQ") is kept as qualitative: rules
    // that need a number skip it, rules that can read it (a drug level) do.
    model_.measurements.push_back(std::move(m));
  }

  fhir::CodeableConcept medication_concept(const Json& r, const Provenance& p) {
    if (const Json* mcc = r.find("medicationCodeableConcept")) return read_codeable_concept(*mcc);
    const Json* mref = r.find("medicationReference");
    auto ref = mref ? fhir::read_reference(*mref) : std::nullopt;
    if (!ref) {
      note(p, "medication[x]", "no medication");
      return {};
    }
    const Json* medication = nullptr;
    if (ref->contained) {
      if (const auto* contained = r.array_at("contained")) {
        for (const Json& c : *contained)
          if (c.string_at("id") && *c.string_at("id") == ref->id) medication = &c;
      }
    } else if (auto it = by_ref_.find(ref->type + "/" + ref->id); it != by_ref_.end()) {
      medication = it->second;
    }
    fhir::CodeableConcept out;
    if (medication != nullptr && medication->find("code"))
      out = read_codeable_concept(*medication->find("code"));
    if (out.codings.empty() && out.text.empty()) {
      if (const std::string* display = mref->string_at("display")) out.text = *display;
    }
    if (out.codings.empty() && out.text.empty())
      note(p, "medicationReference", "the referenced Medication is not in the data");
    return out;
  }

  bool is_selected(const Provenance& p) const {
    return std::find(data_.selections.begin(), data_.selections.end(), p.reference()) !=
           data_.selections.end();
  }

  // Procedure (done) or a draft ServiceRequest (proposed) of a kind the rules know.
  void read_procedure(const Json& r, const Provenance& p, bool proposed) {
    const fhir::CodeableConcept code =
        read_codeable_concept(r.find("code") ? *r.find("code") : Json());
    const ProcedureDef* def = nullptr;
    for (const ProcedureDef& d : rules_.procedures) {
      if (terminology_.match(d.valueset, code) != MatchKind::kNone) {
        def = &d;
        break;
      }
    }
    if (def == nullptr) return;
    ProcedureFact f;
    f.kind = def->kind;
    f.label = code.label().empty() ? def->display : code.label();
    f.status = r.string_at("status") ? *r.string_at("status") : "";
    f.proposed = proposed;
    f.selected = proposed && is_selected(p);
    f.source = p;
    if (!proposed) {
      if (!one_of(f.status, {"completed", "in-progress"})) {
        note(p, "status",
             f.status.empty() ? "no status"
                              : "status " + f.status + ": not a procedure that was done");
        return;
      }
      f.performed = date_of(r, "performed");
    } else if (one_of(f.status, {"entered-in-error", "revoked", "completed"})) {
      return;  // not a live proposal
    }
    model_.procedures.push_back(std::move(f));
  }

  static bool is_intravenous(const Json& r) {
    // MedicationRequest.dosageInstruction, MedicationStatement.dosage.
    const Json* dosages =
        r.find("dosageInstruction") ? r.find("dosageInstruction") : r.find("dosage");
    if (dosages == nullptr) return false;
    for (const Json& d : dosages->items()) {
      const Json* route = d.find("route");
      if (route == nullptr) continue;
      const fhir::CodeableConcept cc = read_codeable_concept(*route);
      for (const fhir::Coding& c : cc.codings)
        if (c.system == "http://snomed.info/sct" && c.code == "47625008") return true;
      for (const std::string& w : normalise_words(cc.label()))
        if (w == "intravenous" || w == "iv") return true;
    }
    return false;
  }

  void read_medication(const Json& r, const Provenance& p, bool proposed) {
    const fhir::CodeableConcept concept_id = medication_concept(r, p);
    const DrugDef* drug = nullptr;
    for (const DrugDef& d : rules_.drugs) {
      if (terminology_.match(d.valueset, concept_id) != MatchKind::kNone) {
        drug = &d;
        break;
      }
    }
    if (drug == nullptr) return;  // not a drug the rules know
    Therapy t;
    t.drug = drug->name;
    t.drug_class = drug->drug_class;
    t.label = concept_id.label();
    t.source = p;
    t.proposed = proposed;
    t.selected = proposed && is_selected(p);
    t.intravenous = is_intravenous(r);
    t.status = r.string_at("status") ? *r.string_at("status") : "";
    if (proposed) {
      // Any live draft is a proposal, whatever its intent.
      if (one_of(t.status, {"entered-in-error", "cancelled", "revoked", "completed", "stopped"}))
        return;
      const std::string* authored = r.string_at("authoredOn");
      if (authored != nullptr) t.start = fhir::parse_date_time(*authored);
      model_.therapies.push_back(std::move(t));
      return;
    }
    if (one_of(t.status,
               {"entered-in-error", "not-taken", "cancelled", "revoked", "unknown", ""})) {
      note(p, "status",
           t.status.empty() ? "no status" : "status " + t.status + ": not therapy the patient had");
      return;
    }
    if (p.resource_type == "MedicationStatement") {
      t.start = date_of(r, "effective");
      if (const Json* period = r.find("effectivePeriod")) {
        if (const std::string* end = period->string_at("end")) t.end = fhir::parse_date_time(*end);
      }
    } else {
      const std::string* intent = r.string_at("intent");
      if (intent && one_of(*intent, {"proposal", "plan"})) {
        note(p, "intent", "intent " + *intent + ": not an order the patient is on");
        return;
      }
      // The supply's validity start is when this stretch of therapy began; an order's
      // authoredOn is only when it was written (re-issued orders are common).
      const Json* dispense = r.find("dispenseRequest");
      const Json* validity = dispense ? dispense->find("validityPeriod") : nullptr;
      const std::string* from = validity ? validity->string_at("start") : nullptr;
      if (from == nullptr) from = r.string_at("authoredOn");
      if (from != nullptr) t.start = fhir::parse_date_time(*from);
      if (validity != nullptr) {
        if (const std::string* end = validity->string_at("end"))
          t.end = fhir::parse_date_time(*end);
      }
    }
    if (!t.start) note(p, "effective[x]", "no start date: time on the drug is unknown");
    model_.therapies.push_back(std::move(t));
  }

  const PatientData& data_;
  const Terminology& terminology_;
  const RuleSet& rules_;
  IbdModel model_;
  std::map<std::string, const Json*> by_ref_;
};

}  // namespace

bool Therapy::current() const { return !proposed && status == "active"; }

bool Therapy::current_at(fhir::TimePoint now) const {
  return current() && (!end || end->latest() >= now);
}

std::vector<const Therapy*> IbdModel::proposed_therapies() const {
  std::vector<const Therapy*> out;
  for (const Therapy& t : therapies)
    if (t.proposed) out.push_back(&t);
  return out;
}

Positivity positivity(const Measurement& m) {
  const std::string& i = m.interpretation;
  if (i == "POS" || i == "DET" || i == "A" || i == "AA" || i == "H" || i == "HH")
    return Positivity::kPositive;
  if (i == "NEG" || i == "ND" || i == "N") return Positivity::kNegative;
  if (i == "IND" || i == "E") return Positivity::kIndeterminate;
  std::string words;
  for (const std::string& w : normalise_words(m.value_text)) words += " " + w;
  words += " ";
  // Negations first: "not detected" contains "detected".
  for (const char* p : {" not detected ", " non reactive ", " nonreactive ", " negative ",
                        " undetected ", " undetectable ", " absent ", " not seen "})
    if (words.find(p) != std::string::npos) return Positivity::kNegative;
  for (const char* p : {" indeterminate ", " equivocal ", " borderline ", " inconclusive "})
    if (words.find(p) != std::string::npos) return Positivity::kIndeterminate;
  for (const char* p : {" positive ", " detected ", " reactive ", " present "})
    if (words.find(p) != std::string::npos) return Positivity::kPositive;
  return Positivity::kUnknown;
}

const Diagnosis* IbdModel::primary_diagnosis() const {
  return diagnoses.empty() ? nullptr : &diagnoses.front();
}

IbdModel build_model(const PatientData& data, const Terminology& terminology,
                     const RuleSet& rules) {
  return Builder(data, terminology, rules).build();
}

}  // namespace ibd::mapping
