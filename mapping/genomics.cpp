// Genomic Observations -> GeneResult (HL7 Genomics Reporting IG STU1-STU3, and the simpler
// shapes laboratories send: a LOINC genotype code with the diplotype as text).
//
// How results are written (the IG's codes, answers, star alleles, GL Strings, variant names)
// is read in genomics_text.cpp; this file turns an Observation into GeneResults. The genes
// that matter and the no-function star alleles come from the RuleSet.
//
// An implication (therapeutic or diagnostic) may name no gene and point with derivedFrom at
// the genotype or variant it was drawn from. Resources arrive in any order, so such a result
// is kept with an empty gene and its derivedFrom references (GeneResult::awaiting) and a
// Diagnostic; when the referenced result is read, the gene is filled in and the Diagnostic
// withdrawn. A result whose gene never resolves is never used by a rule.
#include "mapping/genomics.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <utility>

#include "fhir/choice.hpp"
#include "mapping/genomics_text.hpp"

namespace ibd::mapping {
namespace {

using fhir::Json;
using namespace genomics;

// ---- The reader ----

class Reader {
 public:
  Reader(const Json& obs, const Provenance& source, const RuleSet& rules, IbdModel& model)
      : obs_(obs), source_(source), rules_(rules), model_(model), genes_(rules) {
    code_ = concept_at(obs, "code");
  }

  Kind classify() const { return classify_observation(obs_, genes_); }

  void read(Kind kind) {
    const std::string* status = obs_.string_at("status");
    status_ = status ? *status : "";
    if (status_ != "final" && status_ != "amended" && status_ != "corrected" &&
        status_ != "preliminary") {
      note("status", status_.empty() ? "no status" : "status " + status_ + ": not a usable result");
      return;
    }
    base_.label = code_.label();
    if (base_.label.empty()) base_.label = "Genomic result";
    if (status_ == "preliminary") base_.label += " (preliminary)";
    base_.effective = effective();
    base_.source = source_;
    for (const Json& c : components()) {
      const fhir::CodeableConcept cc = concept_at(c, "code");
      if (!has_loinc(cc, kGeneStudiedCode)) continue;
      const Value v = read_value(c);
      if (std::string g = genes_.from_concept(v.concept_value); !g.empty()) {
        gene_studied_.push_back(g);
      } else if (auto named = genes_.in_text(v.text); !named.empty()) {
        gene_studied_.push_back(named.front());
      }
    }
    switch (kind) {
      case Kind::kGenotype:
      case Kind::kHaplotype:
        return read_genotype(kind == Kind::kHaplotype);
      case Kind::kPhenotype:
        return read_phenotype();
      case Kind::kHlaPresence:
        return read_hla_presence();
      case Kind::kVariant:
        return read_variant();
      case Kind::kImplication:
        return read_implication();
      case Kind::kPanel:
        return read_panel();
      case Kind::kNone:
        return;
    }
  }

 private:
  const Json::Array& components() const {
    static const Json::Array kEmpty;
    const Json::Array* c = obs_.array_at("component");
    return c ? *c : kEmpty;
  }

  void note(const std::string& path, std::string reason) {
    model_.diagnostics.push_back({source_, "Observation." + path, std::move(reason)});
  }

  // effective[x], else issued. Genotypes do not go stale: one without a date is kept with an
  // unknown date (text "").
  fhir::DateTime effective() {
    const fhir::EffectiveTime e = fhir::read_effective(obs_);
    if (e.date && e.element != "effectivePeriod") return *e.date;
    if (const std::string* s = obs_.string_at("issued"))
      if (auto dt = fhir::parse_date_time(*s)) return *dt;
    if (e.date) return *e.date;
    if (e.present()) note(e.path(), "no valid date: the result is kept without one");
    return {};
  }

  std::string interpretation() const {
    const Json::Array* interps = obs_.array_at("interpretation");
    if (interps == nullptr || interps->empty()) return {};
    const fhir::CodeableConcept cc = fhir::read_codeable_concept(interps->front());
    return cc.codings.empty() ? std::string() : cc.codings.front().code;
  }

  // The single gene the result is about: gene-studied, else implied by the code, else named
  // in the code's text. "" when none or several.
  std::string single_gene(std::string_view implied = {}) const {
    if (gene_studied_.size() == 1) return gene_studied_.front();
    if (gene_studied_.size() > 1) return {};
    if (!implied.empty()) return std::string(implied);
    const std::vector<std::string> named = genes_.in_text(all_text(code_));
    return named.size() == 1 ? named.front() : std::string();
  }

  bool no_value(const Value& v) {
    if (v.present && !trim(v.text).empty()) return false;
    const fhir::ObservationValue other = fhir::read_observation_value(obs_);
    if (!v.present && !other.element.empty() && other.declared != fhir::ValueType::kString &&
        other.declared != fhir::ValueType::kCodeableConcept) {
      note(other.element, "a value of type " + std::string(fhir::value_type_name(other.declared)) +
                              " is not a genomic result this service can read");
    } else if (const Json* dar = obs_.find("dataAbsentReason")) {
      note("value[x]", "no value: " + fhir::read_codeable_concept(*dar).label());
    } else if (obs_.find("hasMember") == nullptr) {
      note("value[x]", "no value");
    }
    return true;
  }

  // A lab-reported metabolizer status in a component (STU2 53040-2, STU3 implication
  // components), or in the interpretation.
  std::string component_phenotype() const {
    for (const Json& c : components()) {
      const fhir::CodeableConcept cc = concept_at(c, "code");
      if (has_any_loinc(cc, {kGeneStudiedCode, kMedicationAssessedCode})) continue;
      if (has_any_loinc(cc, {kGenotypeCode, kTpmtGenotypeCode, kHaplotypeCode})) continue;
      if (std::string p = phenotype_of(read_value(c)); !p.empty()) return p;
    }
    return {};
  }

  void read_genotype(bool haplotype) {
    Value v = read_value(obs_);
    if (!v.present) {
      // A panel that carries the genotype in a component.
      for (const Json& c : components()) {
        if (!has_any_loinc(concept_at(c, "code"),
                           {kGenotypeCode, kTpmtGenotypeCode, kHaplotypeCode}))
          continue;
        v = read_value(c);
        if (v.present) break;
      }
    }
    if (no_value(v)) return;
    const std::string text = trim(v.text);
    const std::string implied = has_loinc(code_, kTpmtGenotypeCode) ? std::string(kTpmt) : "";
    // Several genes named in the value ("TPMT *1/*3A; NUDT15 *1/*1"): one result each. An HLA
    // GL String names its locus in every allele and stays whole.
    std::vector<std::pair<std::string, std::string>> parts;
    const auto mentions = genes_.mentions(text);
    const bool any_hla =
        std::any_of(mentions.begin(), mentions.end(), [](const auto& m) { return is_hla(m.gene); });
    if (!mentions.empty() && !any_hla) {
      parts = genes_.segments(text);
    } else {
      std::string gene = any_hla ? mentions.front().gene : single_gene(implied);
      if (gene.empty()) {
        note("component", gene_studied_.size() > 1
                              ? "several genes studied and the genotype does not say which it is"
                              : "genotype without a gene studied: cannot tell which gene");
        return;
      }
      parts.emplace_back(gene, text);
    }
    const std::string lab_phenotype = parts.size() == 1 ? component_phenotype() : "";
    for (auto& [gene, segment] : parts) {
      GeneResult r = base_;
      r.gene = gene;
      if (is_hla(gene)) {
        r.genotype = normalise_gl(text, gene);
      } else if (is_pgx_gene(gene)) {
        read_pgx_genotype(r, segment, lab_phenotype, haplotype);
        if (r.genotype.empty()) continue;
      } else {
        r.genotype = trim(segment);
        r.variant = trim(segment);
        r.zygosity = zygosity_from_text(segment);
      }
      push(std::move(r));
    }
  }

  void read_pgx_genotype(GeneResult& r, const std::string& segment, const std::string& lab,
                         bool haplotype) {
    std::string reported = phenotype_from_text(segment);
    if (reported.empty()) reported = lab;
    const std::vector<std::string> alleles = star_alleles(segment);
    if (haplotype && alleles.size() == 1) {
      // One haplotype per Observation: pair it with the other haplotype of the same test.
      for (GeneResult& other : model_.genes) {
        if (other.gene != r.gene || other.genotype.find('/') != std::string::npos ||
            !other.genotype.starts_with("*") || other.effective.text != r.effective.text ||
            other.source.reference() == r.source.reference())
          continue;
        const std::pair<std::string, std::string> d{other.genotype, alleles[0]};
        other.genotype = d.first + "/" + d.second;
        if (!other.phenotype_from_lab)
          other.phenotype = derive_phenotype(r.gene, d, rules_.thiopurine_pgx);
        r.genotype = other.genotype;
        r.phenotype = reported.empty() ? other.phenotype : reported;
        r.phenotype_from_lab = !reported.empty();
        return;
      }
      r.genotype = alleles[0];  // the other haplotype has not been read (yet)
      r.phenotype = reported;
      r.phenotype_from_lab = !reported.empty();
      return;
    }
    const auto d = diplotype(segment);
    if (!d) {
      r.genotype = trim(segment);
      if (r.genotype.empty() && reported.empty()) {
        note("value[x]", "no " + r.gene + " diplotype in the result");
        return;
      }
    } else {
      r.genotype = d->first + "/" + d->second;
    }
    if (!reported.empty()) {
      r.phenotype = reported;
      r.phenotype_from_lab = true;
    } else {
      r.phenotype = d ? derive_phenotype(r.gene, *d, rules_.thiopurine_pgx) : "indeterminate";
    }
  }

  void read_phenotype() {
    const Value v = read_value(obs_);
    std::string phenotype = v.present ? phenotype_of(v) : "";
    if (phenotype.empty()) phenotype = component_phenotype();
    // Several genes in one value: "TPMT intermediate metabolizer; NUDT15 normal metabolizer".
    if (genes_.mentions(v.text).size() > 1) {
      for (const auto& [gene, segment] : genes_.segments(v.text)) {
        const std::string p = phenotype_from_text(segment);
        if (p.empty()) continue;
        GeneResult r = base_;
        r.gene = gene;
        r.phenotype = p;
        r.phenotype_from_lab = true;
        push(std::move(r));
      }
      return;
    }
    std::string gene = single_gene(has_loinc(code_, kTpmtPhenotypeCode) ? kTpmt : "");
    if (gene.empty() && gene_studied_.empty()) {
      // Named in the value, a component or the result it was derived from.
      std::string texts = v.text;
      for (const Json& c : components()) {
        if (has_loinc(concept_at(c, "code"), kMedicationAssessedCode)) continue;
        texts += " " + read_value(c).text + " " + all_text(read_value(c).concept_value);
      }
      for (const Json& d : obs_.items_at("derivedFrom")) {
        if (const std::string* display = d.string_at("display")) texts += " " + *display;
      }
      const std::vector<std::string> named = genes_.in_text(texts);
      if (named.size() == 1) gene = named.front();
    }
    if (phenotype.empty()) {
      // Only a thiopurine gene's unreadable answer matters; other genes' implications
      // (e.g. a carbamazepine risk) are not this service's business.
      if (gene.empty() || is_pgx_gene(gene))
        note("value[x]", "metabolizer status not recognised" +
                             (v.text.empty() ? std::string() : ": '" + v.text + "'"));
      return;
    }
    GeneResult r = base_;
    r.gene = gene;
    r.phenotype = phenotype;
    r.phenotype_from_lab = true;
    if (r.gene.empty()) return pend(std::move(r), "metabolizer status");
    push(std::move(r));
  }

  void read_hla_presence() {
    // The allele tested: fixed by the LOINC code, else named in the code's text
    // ("HLA-DQA1*05 carrier status").
    std::string allele = "HLA-DQA1*05:01";
    if (!has_loinc(code_, kHlaDqa10501Code)) {
      allele = allele_in_name(all_text(code_), std::string(kHlaDqa1));
      if (allele.empty()) allele = std::string(kHlaDqa1);
    }
    const Value v = read_value(obs_);
    const Answer a = presence_of(v, interpretation());
    if (a == Answer::kUnknown) {
      if (!no_value(v))
        note("value[x]", "cannot tell whether " + allele + " was found: '" + v.text + "'");
      return;
    }
    GeneResult r = base_;
    r.gene = std::string(kHlaDqa1);
    if (a == Answer::kYes) {
      r.genotype = allele;
    } else {
      r.variant = allele + " not detected";
    }
    push(std::move(r));
  }

  // The zygosity: an allelic-state component, else words in the value ("c.139A>G homozygous").
  std::string zygosity(const Value& v) const {
    for (const Json& c : components())
      if (has_loinc(concept_at(c, "code"), kAllelicStateCode))
        if (std::string z = zygosity_of(read_value(c)); !z.empty()) return z;
    return zygosity_from_text(v.text);
  }

  // Variant name and zygosity from the components; the value when it names the variant.
  std::string variant_name(const Value& v) const {
    std::string name, state;
    for (const Json& c : components()) {
      const fhir::CodeableConcept cc = concept_at(c, "code");
      const Value cv = read_value(c);
      if (cv.text.empty()) continue;
      for (std::string_view code : kVariantNameCodes)
        if (has_loinc(cc, code) && name.find(cv.text) == std::string::npos)
          name += (name.empty() ? "" : " ") + cv.text;
      if (has_loinc(cc, kAllelicStateCode)) state = cv.text;
    }
    // A value that is not a coded answer ("c.301C>T, pathogenic") names the variant.
    const bool coded_answer = std::any_of(
        v.concept_value.codings.begin(), v.concept_value.codings.end(),
        [](const fhir::Coding& c) { return c.system == kLoinc && c.code.starts_with("LA"); });
    if (name.empty() && !coded_answer && presence_of(v, "") == Answer::kUnknown)
      name = trim(v.text);
    if (!state.empty()) name += (name.empty() ? "" : ", ") + state;
    return name;
  }

  Answer significance(const Value& own) const {
    for (const Json& c : components())
      if (has_loinc(concept_at(c, "code"), kSignificanceCode))
        return pathogenicity_of(read_value(c));
    return pathogenicity_of(own);
  }

  void read_variant() {
    const Value v = read_value(obs_);
    std::string gene = single_gene();
    if (gene.empty()) gene = gene_from_texts(v);
    if (gene.empty()) {
      note("component", "variant without a gene studied: cannot tell which gene");
      return;
    }
    GeneResult r = base_;
    r.gene = gene;
    r.variant = variant_name(v);
    r.zygosity = zygosity(v);
    r.pathogenic = presence_of(v, "") != Answer::kNo && significance(v) == Answer::kYes;
    push(std::move(r));
  }

  void read_implication() {
    const Value v = read_value(obs_);
    GeneResult r = base_;
    r.pathogenic = significance(v) == Answer::kYes;
    r.gene = single_gene();
    if (r.gene.empty()) r.gene = gene_from_texts(v);
    if (r.variant.empty()) r.variant = variant_name(v);
    r.zygosity = zygosity(v);
    if (r.gene.empty()) return pend(std::move(r), "clinical significance");
    push(std::move(r));
  }

  // A panel's overall result. Negative (or nothing pathogenic found): a work-up on record, one
  // result per configured monogenic gene studied or named. Positive, naming one configured gene
  // (or studying only one): a pathogenic result for that gene, and the other configured genes
  // studied as studied. Anything else: a Diagnostic, and the panel is not counted as a work-up.
  void read_panel() {
    const Value v = read_value(obs_);
    const std::string text = trim(v.text);
    if (text.empty()) {
      // A grouping panel's members are read on their own.
      if (obs_.find("hasMember") == nullptr)
        note("value[x]", "panel without an overall result: not counted as a monogenic work-up");
      return;
    }
    std::vector<std::string> studied, named;
    for (const std::string& g : gene_studied_)
      if (is_monogenic(g) && std::find(studied.begin(), studied.end(), g) == studied.end())
        studied.push_back(g);
    for (const std::string& g : genes_.in_text(v.text + " " + all_text(v.concept_value)))
      if (is_monogenic(g)) named.push_back(g);
    const Answer presence = presence_of(v, interpretation());
    const Answer pathogenic = pathogenicity_of(v);
    const std::string variant = "panel: " + text;
    auto studied_result = [&](const std::string& gene) {
      GeneResult r = base_;
      r.gene = gene;
      r.variant = variant;
      push(std::move(r));
    };
    if (presence == Answer::kNo || pathogenic == Answer::kNo) {
      for (const std::string& g : named)
        if (std::find(studied.begin(), studied.end(), g) == studied.end()) studied.push_back(g);
      for (const std::string& g : studied) studied_result(g);
      return;
    }
    if (presence == Answer::kUnknown && pathogenic == Answer::kUnknown) {
      note("value[x]", "cannot tell whether the panel found a pathogenic variant: '" + text +
                           "'; not counted as a monogenic work-up");
      return;
    }
    const std::string gene = named.size() == 1                      ? named.front()
                             : named.empty() && studied.size() == 1 ? studied.front()
                                                                    : std::string();
    if (gene.empty()) {
      std::string listed;
      for (const std::string& g : named) listed += (listed.empty() ? "" : ", ") + g;
      note("value[x]", (named.empty() ? "positive panel result that names no single gene"
                                      : "positive panel result naming several genes (" + listed +
                                            "): cannot tell which variant is pathogenic") +
                           std::string("; not counted as a monogenic work-up"));
      return;
    }
    GeneResult r = base_;
    r.gene = gene;
    r.variant = variant;
    r.zygosity = zygosity_from_text(v.text);
    r.pathogenic = true;
    push(std::move(r));
    for (const std::string& g : studied)
      if (g != gene) studied_result(g);
  }

  bool is_monogenic(const std::string& gene) const {
    return gene_listed(rules_.monogenic_defect.genes, gene);
  }

  std::string gene_from_texts(const Value& v) const {
    std::string texts = all_text(code_) + " " + v.text;
    for (const Json& d : obs_.items_at("derivedFrom"))
      if (const std::string* display = d.string_at("display")) texts += " " + *display;
    const std::vector<std::string> named = genes_.in_text(texts);
    return named.size() == 1 ? named.front() : std::string();
  }

  // The derivedFrom references that can be resolved: "Observation/a".
  std::vector<std::string> derived_from_refs() const {
    std::vector<std::string> out;
    for (const Json& d : obs_.items_at("derivedFrom")) {
      const auto ref = fhir::read_reference(d);
      if (ref && !ref->contained && !ref->type.empty()) out.push_back(ref->type + "/" + ref->id);
    }
    return out;
  }

  // No gene named: take it from the result it was derived from when that was read already,
  // else wait for it.
  void pend(GeneResult r, const std::string& what) {
    const std::vector<std::string> refs = derived_from_refs();
    for (const GeneResult& g : model_.genes) {
      if (g.gene.empty() || std::find(refs.begin(), refs.end(), g.source.reference()) == refs.end())
        continue;
      r.gene = g.gene;
      if (r.variant.empty()) r.variant = g.variant;
      if (r.zygosity.empty()) r.zygosity = g.zygosity;
      return push(std::move(r));
    }
    if (refs.empty()) {
      note("component", what + " without a gene named: cannot tell which gene");
      return;
    }
    std::string listed;
    for (const std::string& ref : refs) listed += (listed.empty() ? "" : ", ") + ref;
    note("derivedFrom", what + " without a gene named, and the result it was derived from (" +
                            listed + ") is not in the data");
    r.awaiting = refs;
    model_.genes.push_back(std::move(r));
  }

  // Appends a result, and gives its gene to implications read earlier that point at it.
  void push(GeneResult r) {
    const std::string ref = r.source.reference();
    for (GeneResult& p : model_.genes) {
      if (!p.gene.empty() ||
          std::find(p.awaiting.begin(), p.awaiting.end(), ref) == p.awaiting.end())
        continue;
      p.gene = r.gene;
      if (p.variant.empty()) p.variant = r.variant;
      if (p.zygosity.empty()) p.zygosity = r.zygosity;
      p.awaiting.clear();
      const std::string pending = p.source.reference();
      std::erase_if(model_.diagnostics, [&](const Diagnostic& d) {
        return d.source.reference() == pending && d.path == "Observation.derivedFrom";
      });
    }
    model_.genes.push_back(std::move(r));
  }

  const Json& obs_;
  const Provenance& source_;
  const RuleSet& rules_;
  IbdModel& model_;
  GeneNames genes_;
  fhir::CodeableConcept code_;
  std::string status_;
  GeneResult base_;
  std::vector<std::string> gene_studied_;
};

}  // namespace

bool read_genomic_observation(const fhir::Json& observation, const Provenance& source,
                              const RuleSet& rules, const Terminology&, IbdModel& model) {
  Reader reader(observation, source, rules, model);
  const Kind kind = reader.classify();
  if (kind == Kind::kNone) return false;
  reader.read(kind);
  return true;
}

}  // namespace ibd::mapping
