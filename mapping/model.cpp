#include "mapping/model.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "fhir/choice.hpp"
#include "fhir/medication.hpp"
#include "fhir/resource.hpp"
#include "fhir/resource_index.hpp"
#include "mapping/genomics.hpp"
#include "mapping/units.hpp"

namespace ibd::mapping {
namespace {

using fhir::Json;

bool one_of(const std::string& s, std::initializer_list<std::string_view> values) {
  return std::find(values.begin(), values.end(), s) != values.end();
}

// A resource of the input: where it came from, and its Bundle entry's fullUrl when it arrived
// inside a Bundle (needed to resolve "urn:uuid:" references between entries).
struct Item {
  std::string key;  // prefetch key
  const Json* resource = nullptr;
  std::string full_url;
};

// Appends `resource`, or the resources of the entries when it is a Bundle (one level).
void unpack(const std::string& key, const Json& resource, std::vector<Item>& out) {
  if (auto bundle = fhir::read_bundle(resource)) {
    for (const fhir::BundleEntry& e : bundle->entries)
      if (e.resource != nullptr) out.push_back({key, e.resource, e.full_url});
    return;
  }
  out.push_back({key, &resource, {}});
}

class Builder {
 public:
  Builder(const PatientData& data, const Terminology& terminology, const RuleSet& rules)
      : data_(data), terminology_(terminology), rules_(rules) {
    model_.patient_id = data.patient_id;
    model_.missing = data.missing;
    model_.selections = data.selections;
    for (const SourcedResource& r : data.resources) unpack(r.key, r.resource, items_);
    for (const Json& order : data.draft_orders) unpack("draftOrders", order, drafts_);
    newest_ = newest_versions();
    // Index what references can point to (a bundled Medication, a Patient by urn:uuid): the
    // newest version of each resource first, so that a reference finds it.
    for (const Item& i : items_)
      if (newest_.contains(i.resource)) index_.add(*i.resource, i.full_url);
    for (const std::vector<Item>* items : {&items_, &drafts_})
      for (const Item& i : *items) index_.add(*i.resource, i.full_url);
  }

  IbdModel build() && {
    for (const Item& item : items_) {
      const Json& r = *item.resource;
      const std::string* type = fhir::resource_type(r);
      const std::string* id = fhir::resource_id(r);
      Provenance p{type ? *type : "", id ? *id : "", item.key};
      if (type == nullptr) {
        note(p, "resourceType", "not a FHIR resource (no resourceType)");
        continue;
      }
      if (id == nullptr || id->empty()) {
        p.id = "(no id)";
      } else if (!newest_.contains(&r)) {
        continue;  // an older version, or the same resource again under another key
      }
      if (*type == "Patient") {
        read_patient(r, p);
      } else if (*type == "Condition" || *type == "Observation" || *type == "MedicationStatement" ||
                 *type == "MedicationRequest" || *type == "Procedure") {
        if (!belongs_to_patient(item, p)) continue;
        if (*type == "Condition") read_condition(r, p);
        if (*type == "Observation") read_observation(r, p);
        if (*type == "MedicationStatement" || *type == "MedicationRequest")
          read_medication(item, p, false);
        if (*type == "Procedure") read_procedure(r, p, false);
      }
    }
    // Draft orders: proposals of this hook call, kept apart from the record.
    for (const Item& item : drafts_) {
      const Json& order = *item.resource;
      const std::string* type = fhir::resource_type(order);
      const std::string* id = fhir::resource_id(order);
      Provenance p{type ? *type : "", id && !id->empty() ? *id : "(no id)", item.key};
      if (type == nullptr) continue;
      // A draft may leave the subject out (it is this patient's by context), never name another.
      if (!fhir::subject_of(order).element.empty() && !belongs_to_patient(item, p)) continue;
      if (*type == "MedicationRequest") read_medication(item, p, true);
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
  // The same resource can arrive twice (two prefetch keys, or an amended version beside the
  // original): for each Type/id keep the newest version (fhir::newer_version), else the first.
  std::set<const Json*> newest_versions() const {
    std::map<std::string, const Json*> best;
    for (const Item& i : items_) {
      const std::string* type = fhir::resource_type(*i.resource);
      const std::string* id = fhir::resource_id(*i.resource);
      if (type == nullptr || id == nullptr || id->empty()) continue;
      auto [it, inserted] = best.emplace(*type + "/" + *id, i.resource);
      if (!inserted && fhir::newer_version(*i.resource, *it->second)) it->second = i.resource;
    }
    std::set<const Json*> out;
    for (const auto& [ref, json] : best) out.insert(json);
    return out;
  }

  void note(const Provenance& p, std::string path, std::string reason) {
    model_.diagnostics.push_back(
        {p, p.resource_type + (path.empty() ? "" : "." + path), std::move(reason)});
  }
  void note_other_patient(const Provenance& p, std::string path, std::string reason) {
    note(p, std::move(path), std::move(reason));
    model_.diagnostics.back().other_patient = true;
  }

  // The concept in `element` ("code"); nullopt, with a diagnostic, when it is there but is
  // not a CodeableConcept (so what the resource is about cannot be told).
  std::optional<fhir::CodeableConcept> concept_of(const Json& r, const Provenance& p,
                                                  const std::string& element) {
    const Json* c = r.find(element);
    if (c == nullptr || c->is_null()) return fhir::CodeableConcept{};
    if (!c->is_object()) {
      note(p, element, "not a CodeableConcept: cannot tell what the record is about");
      return std::nullopt;
    }
    return fhir::read_codeable_concept(*c);
  }

  // Whether the resource is this patient's: its subject (or patient) names the Patient in
  // context, directly or through a Bundle entry ("urn:uuid:…").
  bool belongs_to_patient(const Item& item, const Provenance& p) {
    const fhir::SubjectTarget s = fhir::subject_target(*item.resource, index_, item.full_url);
    const std::string path = s.element.empty() ? "subject" : s.element;
    if (s.unknown()) {
      note(p, path,
           s.unresolved ? "the patient reference is not in the data: cannot tell whose record it is"
                        : "no patient reference: cannot tell whose record it is");
      return false;
    }
    if (s.type != "Patient" || s.id != data_.patient_id) {
      note_other_patient(p, path, "belongs to another patient");
      return false;
    }
    return true;
  }

  void read_patient(const Json& r, const Provenance& p) {
    if (p.id != data_.patient_id) {
      note_other_patient(p, "id", "a Patient other than the one in context");
      return;
    }
    if (const Json* bd = r.find("birthDate"); bd != nullptr && !bd->is_null()) {
      model_.birth_date = bd->as_string() ? fhir::parse_date_time(*bd->as_string()) : std::nullopt;
      if (!model_.birth_date) note(p, "birthDate", "not a valid FHIR date");
    }
    if (const std::string* g = r.string_at("gender")) model_.sex = *g;
  }

  void read_condition(const Json& r, const Provenance& p) {
    const auto code = concept_of(r, p, "code");
    if (!code) return;
    const DiseaseDef* disease = nullptr;
    bool ibd = true;
    for (const DiseaseDef& d : rules_.diseases) {
      if (terminology_.match(d.valueset, *code) != MatchKind::kNone) {
        disease = &d;
        break;
      }
    }
    for (const DiseaseDef& d : rules_.other_conditions) {
      if (disease != nullptr) break;
      if (terminology_.match(d.valueset, *code) != MatchKind::kNone) {
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
    const fhir::EffectiveTime onset = fhir::read_effective(r, "onset");
    if (onset.present() && !onset.date)
      note(p, onset.path(), "no valid date: the onset is unknown");
    Diagnosis d;
    d.disease = disease->name;
    d.display = disease->display;
    d.label = code->label();
    d.onset = onset.date;
    d.source = p;
    if (!d.onset) {
      if (const Json* age = r.find("onsetAge"); age && model_.birth_date) {
        const auto q = fhir::read_quantity(*age);
        if (auto at = q ? fhir::date_at_age(*model_.birth_date, *q) : std::nullopt) {
          d.onset = at;
        } else {
          note(p, "onsetAge", "an age at onset in a unit other than years, months, weeks or days");
        }
      }
    }
    (ibd ? model_.diagnoses : model_.conditions).push_back(std::move(d));
  }

  void read_observation(const Json& r, const Provenance& p) {
    const auto code = concept_of(r, p, "code");
    if (!code) return;
    if (read_genomic_observation(r, p, rules_, terminology_, model_)) return;
    const LabDef* lab = nullptr;
    for (const LabDef& l : rules_.labs) {
      if (terminology_.match(l.valueset, *code) != MatchKind::kNone) {
        lab = &l;
        break;
      }
    }
    if (lab == nullptr) return;  // a test the rules do not use
    Measurement m;
    m.concept_id = lab->concept_id;
    m.label = code->label().empty() ? lab->display : code->label();
    m.source = p;
    m.status = r.string_at("status") ? *r.string_at("status") : "";
    if (!one_of(m.status, {"final", "amended", "corrected", "preliminary"})) {
      note(p, "status",
           m.status.empty() ? "no status" : "status " + m.status + ": not a usable result");
      return;
    }
    const fhir::EffectiveTime effective = fhir::read_effective(r);
    if (!effective.date) {
      note(p, effective.path(), "no valid date: cannot tell how recent it is");
      return;
    }
    m.effective = *effective.date;
    if (const Json::Array* interps = r.array_at("interpretation"); interps && !interps->empty()) {
      auto cc = read_codeable_concept(interps->front());
      if (!cc.codings.empty()) m.interpretation = cc.codings.front().code;
    }
    if (!read_lab_value(r, *lab, p, m)) return;
    if (m.value_text.empty()) {
      note(p, "value[x]", "empty value");
      return;
    }
    // A text result for a numeric test ("Undetectable", "<LOQ") is kept as qualitative: rules
    // that need a number skip it, rules that can read it (a drug level) do.
    model_.measurements.push_back(std::move(m));
  }

  // The value of a lab result into `m`; false, with a diagnostic naming the element, when
  // there is none the measurement can use.
  bool read_lab_value(const Json& r, const LabDef& lab, const Provenance& p, Measurement& m) {
    const fhir::ObservationValue v = fhir::read_observation_value(r);
    const std::string element = v.element;
    if (v.ambiguous()) {
      std::string all = element;
      for (const std::string& e : v.extra) all += " and " + e;
      note(p, "value[x]", "two values (" + all + "): cannot tell which is the result");
      return false;
    }
    if (v.mistyped) {
      if (v.declared == fhir::ValueType::kQuantity) {
        note(p, "valueQuantity.value", "no numeric value");
      } else {
        note(p, element, "not a valid " + std::string(fhir::value_type_name(v.declared)));
      }
      return false;
    }
    switch (v.type()) {
      case fhir::ValueType::kNone: {
        const Json* dar = r.find("dataAbsentReason");
        note(p, "value[x]", dar ? "no value: " + read_codeable_concept(*dar).label() : "no value");
        return false;
      }
      case fhir::ValueType::kInteger:
        m.value_text = std::to_string(*v.get<std::int64_t>());
        if (lab.unit == kScoreUnit) {
          m.value = static_cast<double>(*v.get<std::int64_t>());
          m.unit = lab.unit;
        }
        return true;
      case fhir::ValueType::kQuantity:
        return use_quantity(*v.get<fhir::Quantity>(), lab, p, element, m);
      case fhir::ValueType::kString:
        m.qualitative = *v.get<std::string>();
        m.value_text = m.qualitative;
        return true;
      case fhir::ValueType::kCodeableConcept:
        m.qualitative = v.get<fhir::CodeableConcept>()->label();
        m.value_text = m.qualitative;
        return true;
      case fhir::ValueType::kRange:
        return use_range(*v.get<fhir::Range>(), *r.find(element), lab, p, m);
      default:
        note(p, element,
             "a value of type " + std::string(fhir::value_type_name(v.type())) +
                 " cannot be used as a " + (lab.display.empty() ? lab.concept_id : lab.display) +
                 " result");
        return false;
    }
  }

  // A numeric result, converted to the lab's unit. `element` names the Quantity.
  bool use_quantity(const fhir::Quantity& q, const LabDef& lab, const Provenance& p,
                    const std::string& element, Measurement& m) {
    if (!q.value) {
      note(p, element + ".value", "no numeric value");
      return false;
    }
    m.value_text = q.value_text;
    m.comparator = q.comparator;
    if (lab.unit == kScoreUnit) {
      // A score has no unit to convert: "{score}", "1" or none are all the same.
      m.value = q.value;
      m.unit = lab.unit;
      return true;
    }
    m.unit_text = !q.unit.empty() ? q.unit : q.code;
    const std::string from = (q.system == fhir::kUcum && !q.code.empty()) ? q.code : q.unit;
    if (!lab.unit.empty()) {
      auto converted = convert_unit(*q.value, from, lab.unit);
      if (!converted) {
        note(p, element + ".unit",
             "unit '" + from + "' cannot be converted to " + display_unit(lab.unit));
        return false;
      }
      m.value = converted;
      m.unit = lab.unit;
    }
    return true;
  }

  // A Range is a result only when it is one-sided: no lower bound (or zero: the results read
  // here are never negative) reads as "<=high", no upper bound as ">=low". A two-sided range,
  // or a bound that is there but unreadable, is a diagnostic.
  bool use_range(const fhir::Range& range, const Json& raw, const LabDef& lab, const Provenance& p,
                 Measurement& m) {
    auto given = [&](const char* bound) {
      const Json* b = raw.find(bound);
      return b != nullptr && !b->is_null();
    };
    if (given("low") != range.low.has_value() || given("high") != range.high.has_value()) {
      note(p, "valueRange", "a range bound without a numeric value");
      return false;
    }
    const bool from_zero = range.low && range.low->value && *range.low->value == 0;
    if (range.high && (!range.low || from_zero) && range.high->comparator.empty()) {
      fhir::Quantity bound = *range.high;
      bound.comparator = "<=";
      return use_quantity(bound, lab, p, "valueRange.high", m);
    }
    if (range.low && !range.high && range.low->comparator.empty()) {
      fhir::Quantity bound = *range.low;
      bound.comparator = ">=";
      return use_quantity(bound, lab, p, "valueRange.low", m);
    }
    note(p, "valueRange",
         range.low && range.high ? "a range (" + range.low->value_text + " to " +
                                       range.high->value_text + "), not a single result"
                                 : std::string("a range without a usable bound"));
    return false;
  }

  fhir::CodeableConcept medication_concept(const Item& item, const Provenance& p) {
    fhir::MedicationCode m = fhir::read_medication_code(*item.resource, index_, item.full_url);
    if (m.problem != fhir::MedicationCode::Problem::kNone) note(p, m.path(), m.problem_text());
    return std::move(m.code);
  }

  bool is_selected(const Provenance& p) const {
    return std::find(data_.selections.begin(), data_.selections.end(), p.reference()) !=
           data_.selections.end();
  }

  // Procedure (done) or a draft ServiceRequest (proposed) of a kind the rules know.
  void read_procedure(const Json& r, const Provenance& p, bool proposed) {
    const auto code = concept_of(r, p, "code");
    if (!code) return;
    const ProcedureDef* def = nullptr;
    for (const ProcedureDef& d : rules_.procedures) {
      if (terminology_.match(d.valueset, *code) != MatchKind::kNone) {
        def = &d;
        break;
      }
    }
    if (def == nullptr) return;
    ProcedureFact f;
    f.kind = def->kind;
    f.label = code->label().empty() ? def->display : code->label();
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
      const fhir::EffectiveTime performed = fhir::read_effective(r, "performed");
      if (performed.present() && !performed.date)
        note(p, performed.path(), "no valid date: when it was done is unknown");
      f.performed = performed.date;
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

  // When an order's therapy began: the supply's validity start (when this stretch of therapy
  // began), else authoredOn (only when it was written: re-issued orders are common).
  void order_dates(const Json& r, const Provenance& p, Therapy& t) {
    const Json* dispense = r.find("dispenseRequest");
    const Json* validity = dispense ? dispense->find("validityPeriod") : nullptr;
    const auto period = validity ? fhir::read_period(*validity) : std::nullopt;
    auto given = [&](const char* key) {
      const Json* v = validity ? validity->find(key) : nullptr;
      return v != nullptr && !v->is_null();
    };
    if (period && period->start) {
      t.start = period->start;
    } else {
      if (given("start"))
        note(p, "dispenseRequest.validityPeriod.start", "not a valid FHIR date: authoredOn used");
      if (const std::string* authored = r.string_at("authoredOn"))
        t.start = fhir::parse_date_time(*authored);
      if (!t.start) note(p, "authoredOn", "no start date: time on the drug is unknown");
    }
    if (period) t.end = period->end;
    if (given("end") && !t.end)
      note(p, "dispenseRequest.validityPeriod.end",
           "not a valid FHIR date: the end of the order is unknown");
  }

  void read_medication(const Item& item, const Provenance& p, bool proposed) {
    const Json& r = *item.resource;
    const fhir::CodeableConcept concept_id = medication_concept(item, p);
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
      const fhir::EffectiveTime effective = fhir::read_effective(r);
      t.start = effective.date;
      t.end = effective.end;
      if (!t.start) note(p, effective.path(), "no start date: time on the drug is unknown");
      if (t.start && effective.invalid)
        note(p, effective.path(), "not a valid FHIR date: the end of the therapy is unknown");
    } else {
      const std::string* intent = r.string_at("intent");
      if (intent && one_of(*intent, {"proposal", "plan"})) {
        note(p, "intent", "intent " + *intent + ": not an order the patient is on");
        return;
      }
      order_dates(r, p, t);
    }
    model_.therapies.push_back(std::move(t));
  }

  const PatientData& data_;
  const Terminology& terminology_;
  const RuleSet& rules_;
  IbdModel model_;
  std::vector<Item> items_;   // the record, Bundles unpacked
  std::vector<Item> drafts_;  // draft orders of the hook context
  std::set<const Json*> newest_;
  fhir::ResourceIndex index_;
};

}  // namespace

bool Therapy::current() const { return !proposed && status == "active"; }

bool Therapy::systemic() const {
  switch (route) {
    case Route::kRectal:
    case Route::kTopical:
    case Route::kOphthalmic:
    case Route::kInhaled:
    case Route::kIntraArticular:
      return false;
    default:
      return true;
  }
}

const char* to_string(Route route) {
  switch (route) {
    case Route::kOral:
      return "oral";
    case Route::kIntravenous:
      return "IV";
    case Route::kSubcutaneous:
      return "SC";
    case Route::kIntramuscular:
      return "IM";
    case Route::kRectal:
      return "rectal";
    case Route::kTopical:
      return "topical";
    case Route::kOphthalmic:
      return "ophthalmic";
    case Route::kInhaled:
      return "inhaled";
    case Route::kIntraArticular:
      return "intra-articular";
    case Route::kUnknown:
      break;
  }
  return "unknown";
}

const char* to_string(StopReason reason) {
  switch (reason) {
    case StopReason::kNone:
      return "none";
    case StopReason::kNonResponse:
      return "non-response";
    case StopReason::kLossOfResponse:
      return "loss of response";
    case StopReason::kIntolerance:
      return "intolerance";
    case StopReason::kRemission:
      return "remission";
    case StopReason::kPregnancy:
      return "pregnancy";
    case StopReason::kCost:
      return "cost";
    case StopReason::kPatientChoice:
      return "patient choice";
    case StopReason::kUnknown:
      break;
  }
  return "reason not recorded";
}

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
