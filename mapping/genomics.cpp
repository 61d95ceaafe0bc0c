// Genomic Observations -> GeneResult (HL7 Genomics Reporting IG STU1-STU3, and the simpler
// shapes laboratories send: a LOINC genotype code with the diplotype as text).
//
// The IG's structural codes (LOINC observation and component codes, answer codes, the IG's
// own "tbd" code system) are constants here: they name shapes, not clinical thresholds. The
// genes that matter and the no-function star alleles come from the RuleSet.
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

namespace ibd::mapping {
namespace {

using fhir::Json;

constexpr std::string_view kLoinc = "http://loinc.org";

// Observation codes (LOINC).
constexpr std::string_view kGenotypeCode = "84413-4";        // genotype display name
constexpr std::string_view kTpmtGenotypeCode = "41048-0";    // TPMT gene targeted mutation
constexpr std::string_view kTpmtNudt15Code = "93193-1";      // TPMT + NUDT15 genotyping
constexpr std::string_view kHaplotypeCode = "84414-2";       // haplotype name
constexpr std::string_view kTpmtPhenotypeCode = "79713-4";   // TPMT phenotype
constexpr std::string_view kDrugMetabolismCode = "53040-2";  // effect on drug metabolism
constexpr std::string_view kVariantCode = "69548-6";         // genetic variant assessment
constexpr std::string_view kSignificanceCode = "53037-8";    // clinical significance
constexpr std::string_view kHlaDqa10501Code = "57090-3";     // HLA-DQA1*05:01 presence
constexpr std::string_view kOverallCode = "51968-6";         // overall interpretation
constexpr std::string_view kRegionStudiedCode = "53041-0";   // DNA region of interest panel

// Component codes (LOINC).
constexpr std::string_view kGeneStudiedCode = "48018-6";
constexpr std::string_view kMedicationAssessedCode = "51963-7";
constexpr std::string_view kAllelicStateCode = "53034-5";
constexpr std::string_view kVariantNameCodes[] = {"48004-6", "48005-3", "81290-9", "81252-9"};

// The IG's interim code system: ".../CodeSystem/tbd-codes" (STU2), "tbd-codes-cs" (STU3),
// "TbdCodes" (drafts).
bool is_tbd_system(std::string_view system) {
  return system.find("genomics-reporting/CodeSystem/") != std::string_view::npos &&
         (system.find("tbd") != std::string_view::npos ||
          system.find("Tbd") != std::string_view::npos);
}

// HGNC ids of the genes the rules use most, for codings that carry no display.
constexpr std::pair<std::string_view, std::string_view> kHgnc[] = {
    {"HGNC:12014", "TPMT"}, {"HGNC:23063", "NUDT15"}, {"HGNC:4942", "HLA-DQA1"},
    {"HGNC:5962", "IL10"},  {"HGNC:5964", "IL10RA"},  {"HGNC:5965", "IL10RB"}};

constexpr std::string_view kTpmt = "TPMT";
constexpr std::string_view kNudt15 = "NUDT15";
constexpr std::string_view kHlaDqa1 = "HLA-DQA1";

bool is_pgx_gene(std::string_view gene) { return gene == kTpmt || gene == kNudt15; }
bool is_hla(std::string_view gene) { return gene.starts_with("HLA-"); }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  const auto not_space = [](char c) { return !std::isspace(static_cast<unsigned char>(c)); };
  auto b = std::find_if(s.begin(), s.end(), not_space);
  auto e = std::find_if(s.rbegin(), s.rend(), not_space).base();
  return b < e ? std::string(b, e) : std::string();
}

// " word word " for phrase search on whole words.
std::string padded_words(std::string_view text) {
  std::string out = " ";
  for (const std::string& w : normalise_words(text)) out += w + " ";
  return out;
}

bool has_phrase(const std::string& padded, std::initializer_list<std::string_view> phrases) {
  for (std::string_view p : phrases)
    if (padded.find(" " + std::string(p) + " ") != std::string::npos) return true;
  return false;
}

bool has_loinc(const fhir::CodeableConcept& cc, std::string_view code) {
  for (const fhir::Coding& c : cc.codings)
    if (c.system == kLoinc && c.code == code) return true;
  return false;
}

bool has_any_loinc(const fhir::CodeableConcept& cc, std::initializer_list<std::string_view> codes) {
  for (std::string_view code : codes)
    if (has_loinc(cc, code)) return true;
  return false;
}

// All the words of a concept: text and every display.
std::string all_text(const fhir::CodeableConcept& cc) {
  std::string out = cc.text;
  for (const fhir::Coding& c : cc.codings) out += " " + c.display;
  return out;
}

fhir::CodeableConcept concept_at(const Json& j, std::string_view key) {
  const Json* v = j.find(key);
  return v ? fhir::read_codeable_concept(*v) : fhir::CodeableConcept{};
}

// ---- Genes ----

class GeneNames {
 public:
  explicit GeneNames(const RuleSet& rules) {
    for (std::string_view g : {kTpmt, kNudt15, kHlaDqa1}) known_.emplace_back(g);
    for (const std::string& g : rules.monogenic_defect.genes) known_.push_back(upper(g));
  }

  // A known symbol for one token ("TPMT", "DQA1", "HLA-DQA1"), or "". Symbols are matched as
  // written, in capitals: "was" in a sentence is not the WAS gene.
  std::string symbol(std::string_view token) const {
    std::string u(token);
    if (u != upper(token)) return {};
    if (u == "DQA1") u = std::string(kHlaDqa1);
    for (const std::string& g : known_)
      if (g == u) return g;
    return {};
  }

  // Known genes named in free text, with the offsets where each mention starts and ends.
  struct Mention {
    std::string gene;
    std::size_t begin, end;
  };
  std::vector<Mention> mentions(std::string_view text) const {
    std::vector<Mention> out;
    std::size_t i = 0;
    while (i < text.size()) {
      const auto is_token_char = [&](std::size_t k) {
        const unsigned char c = static_cast<unsigned char>(text[k]);
        return std::isalnum(c) || c == '-';
      };
      if (!is_token_char(i)) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < text.size() && is_token_char(j)) ++j;
      std::string_view token = text.substr(i, j - i);
      std::string g = symbol(token);
      if (g.empty()) {
        // "IL10RA-deficiency": try the part before the first hyphen that is not HLA's.
        const auto dash = token.find('-', token.starts_with("HLA-") ? 4 : 0);
        if (dash != std::string_view::npos) g = symbol(token.substr(0, dash));
      }
      if (!g.empty()) out.push_back({g, i, j});
      i = j;
    }
    return out;
  }

  std::vector<std::string> in_text(std::string_view text) const {
    std::vector<std::string> out;
    for (const Mention& m : mentions(text))
      if (std::find(out.begin(), out.end(), m.gene) == out.end()) out.push_back(m.gene);
    return out;
  }

  // The gene of a gene-studied value: an HGNC id the table knows, else a display or text
  // that is a symbol (any gene, so "CYP2C19" is kept as itself).
  std::string from_concept(const fhir::CodeableConcept& cc) const {
    for (const fhir::Coding& c : cc.codings) {
      const std::string code = upper(c.code);
      for (const auto& [id, gene] : kHgnc)
        if (code == id) return std::string(gene);
    }
    for (const fhir::Coding& c : cc.codings)
      if (auto g = in_text(c.display); !g.empty()) return g.front();
    if (auto g = in_text(cc.text); !g.empty()) return g.front();
    if (const std::string t = trim(cc.text); !t.empty() && t.find(' ') == std::string::npos)
      return upper(t);
    for (const fhir::Coding& c : cc.codings) {
      const std::string t = trim(c.display);
      if (!t.empty() && t.find(' ') == std::string::npos) return upper(t);
    }
    return {};
  }

 private:
  std::vector<std::string> known_;
};

// ---- Values ----

// The value of an Observation or a component as text, with its concept when coded.
struct Value {
  bool present = false;
  std::string text;
  fhir::CodeableConcept concept_value;
};

Value read_value(const Json& j) {
  Value v;
  if (const Json* cc = j.find("valueCodeableConcept")) {
    v.present = true;
    v.concept_value = fhir::read_codeable_concept(*cc);
    // A GL String is carried as the code of a glstring.org coding: "hla#3.25.0#HLA-A*01:01+...".
    for (const fhir::Coding& c : v.concept_value.codings) {
      if (c.system.find("glstring") != std::string::npos && !c.code.empty()) {
        const auto hash = c.code.rfind('#');
        v.text = hash == std::string::npos ? c.code : c.code.substr(hash + 1);
        return v;
      }
    }
    v.text = v.concept_value.label();
    for (const fhir::Coding& c : v.concept_value.codings)
      if (v.text.empty() || v.text == c.system + "|" + c.code) v.text = c.code;
    return v;
  }
  if (const std::string* s = j.string_at("valueString")) {
    v.present = true;
    v.text = *s;
  }
  return v;
}

// Metabolizer status from a coded or text answer: "normal", "intermediate",
// "possible-intermediate", "poor", "rapid", "ultrarapid", "indeterminate", or "".
std::string phenotype_from_text(std::string_view text) {
  const std::string w = padded_words(text);
  if (has_phrase(w, {"ultrarapid", "ultra rapid"})) return "ultrarapid";
  if (has_phrase(w, {"possible intermediate"})) return "possible-intermediate";
  if (has_phrase(w, {"intermediate"})) return "intermediate";
  if (has_phrase(w, {"poor", "deficient", "homozygous deficient"})) return "poor";
  if (has_phrase(w, {"rapid"})) return "rapid";
  if (has_phrase(w, {"normal", "extensive"})) return "normal";
  if (has_phrase(w, {"indeterminate", "undetermined", "inconclusive", "unknown"}))
    return "indeterminate";
  return {};
}

std::string phenotype_of(const Value& v) {
  for (const fhir::Coding& c : v.concept_value.codings) {
    if (c.system != kLoinc) continue;
    if (c.code == "LA25391-6" || c.code == "LA10316-0") return "normal";  // normal; extensive
    if (c.code == "LA10317-8") return "intermediate";
    if (c.code == "LA9657-3") return "poor";
    if (c.code == "LA25390-8") return "rapid";
    if (c.code == "LA10315-2") return "ultrarapid";
  }
  return phenotype_from_text(all_text(v.concept_value) + " " + v.text);
}

enum class Answer { kUnknown, kYes, kNo };

// Pathogenic or likely pathogenic (yes), another classification (no), or not said.
Answer pathogenicity_of(const Value& v) {
  for (const fhir::Coding& c : v.concept_value.codings) {
    if (c.system != kLoinc) continue;
    if (c.code == "LA6668-3" || c.code == "LA26332-9") return Answer::kYes;
    if (c.code == "LA26333-7" || c.code == "LA26334-5" || c.code == "LA6675-8") return Answer::kNo;
  }
  const std::string w = padded_words(all_text(v.concept_value) + " " + v.text);
  // Negative reports first: "No pathogenic variant detected" names the word "pathogenic".
  if (has_phrase(
          w, {"benign", "uncertain", "vus", "conflicting", "not pathogenic", "non pathogenic",
              "nonpathogenic", "no pathogenic", "no likely pathogenic", "no variant", "no variants",
              "no mutation", "no mutations", "negative", "not detected", "none detected"}))
    return Answer::kNo;
  if (has_phrase(w, {"pathogenic"})) return Answer::kYes;
  return Answer::kUnknown;
}

// Present / positive / detected (yes) or absent / negative / not detected (no).
Answer presence_of(const Value& v, const std::string& interpretation) {
  for (const fhir::Coding& c : v.concept_value.codings) {
    if (c.system != kLoinc) continue;
    if (c.code == "LA9633-4" || c.code == "LA6576-8") return Answer::kYes;
    if (c.code == "LA9634-2" || c.code == "LA6577-6") return Answer::kNo;
  }
  const std::string w = padded_words(all_text(v.concept_value) + " " + v.text);
  if (has_phrase(w, {"not detected", "negative", "absent", "not present", "non carrier",
                     "noncarrier", "not a carrier", "false", "no variant", "no variants",
                     "no pathogenic", "no mutation", "no mutations", "none detected"}))
    return Answer::kNo;
  if (has_phrase(w, {"positive", "detected", "present", "carrier", "true"})) return Answer::kYes;
  if (interpretation == "POS" || interpretation == "DET" || interpretation == "A")
    return Answer::kYes;
  if (interpretation == "NEG" || interpretation == "ND" || interpretation == "N")
    return Answer::kNo;
  return Answer::kUnknown;
}

// ---- Star alleles ----

// "*1", "*3A", "*1.001" as written in a diplotype, in order.
std::vector<std::string> star_alleles(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '*') continue;
    std::size_t j = i + 1;
    while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) ||
                               (text[j] == '.' && j + 1 < text.size() &&
                                std::isdigit(static_cast<unsigned char>(text[j + 1])))))
      ++j;
    if (j > i + 1 && std::isdigit(static_cast<unsigned char>(text[i + 1])))
      out.push_back("*" + upper(text.substr(i + 1, j - i - 1)));
    i = j - 1;
  }
  return out;
}

// "*1.001" -> "*1": a sub-allele has its allele's function.
std::string base_allele(const std::string& allele) { return allele.substr(0, allele.find('.')); }

// Two alleles from a genotype text; "heterozygous for *3A" pairs with the reference *1, a
// "wild type" / "no variant detected" result is *1/*1.
std::optional<std::pair<std::string, std::string>> diplotype(std::string_view text) {
  const std::vector<std::string> alleles = star_alleles(text);
  const std::string w = padded_words(text);
  if (alleles.size() == 2) return std::pair{alleles[0], alleles[1]};
  if (alleles.size() == 1) {
    if (has_phrase(w, {"homozygous", "homozygote"})) return std::pair{alleles[0], alleles[0]};
    if (has_phrase(w, {"heterozygous", "heterozygote"}))
      return std::pair{std::string("*1"), alleles[0]};
    return std::nullopt;
  }
  if (alleles.empty() &&
      has_phrase(w, {"wild type", "wildtype", "no variants detected", "no variant detected",
                     "no mutation detected", "no mutations detected"}))
    return std::pair{std::string("*1"), std::string("*1")};
  return std::nullopt;
}

// Phenotype from a TPMT or NUDT15 diplotype (CPIC): two no-function alleles -> poor; one ->
// intermediate (possible intermediate when the other allele's function is unknown); none ->
// normal when both are the reference *1, else indeterminate.
std::string derive_phenotype(std::string_view gene, const std::pair<std::string, std::string>& d,
                             const ThiopurinePgxConfig& cfg) {
  const std::vector<std::string>& no_function =
      gene == kTpmt ? cfg.tpmt_no_function : cfg.nudt15_no_function;
  int none = 0, reference = 0;
  for (const std::string* a : {&d.first, &d.second}) {
    const std::string base = base_allele(*a);
    if (std::any_of(no_function.begin(), no_function.end(),
                    [&](const std::string& n) { return upper(n) == base; })) {
      ++none;
    } else if (base == "*1" || (base.size() > 2 && base.starts_with("*1") &&
                                std::isalpha(static_cast<unsigned char>(base[2])))) {
      ++reference;  // *1 and its lettered sub-alleles (*1A, *1S)
    }
  }
  const int unknown = 2 - none - reference;
  if (none == 2) return "poor";
  if (none == 1) return unknown > 0 ? "possible-intermediate" : "intermediate";
  if (unknown > 0) return "indeterminate";
  return "normal";
}

// "DQA1*05:01/DQA1*01:02" or "*05:01/*01:02" -> "HLA-DQA1*05:01/HLA-DQA1*01:02": every allele
// with its locus and HLA- prefix; a comma between alleles reads as "+".
std::string normalise_gl(std::string_view text, const std::string& gene) {
  std::string out;
  std::size_t i = 0;
  const std::string_view delimiters = "+/|^~, ";
  while (i < text.size()) {
    if (delimiters.find(text[i]) != std::string_view::npos) {
      if (text[i] != ' ') out.push_back(text[i] == ',' ? '+' : text[i]);
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && delimiters.find(text[j]) == std::string_view::npos) ++j;
    std::string allele = trim(text.substr(i, j - i));
    if (allele.starts_with("*")) {
      allele = gene + allele;
    } else if (allele.find('*') != std::string::npos && !upper(allele).starts_with("HLA-")) {
      allele = "HLA-" + allele;
    }
    out += allele;
    i = j;
  }
  return out;
}

// ---- The reader ----

enum class Kind {
  kNone,
  kGenotype,
  kHaplotype,
  kPhenotype,
  kHlaPresence,
  kVariant,
  kImplication,
  kPanel
};

class Reader {
 public:
  Reader(const Json& obs, const Provenance& source, const RuleSet& rules, IbdModel& model)
      : obs_(obs), source_(source), rules_(rules), model_(model), genes_(rules) {
    code_ = concept_at(obs, "code");
  }

  Kind classify() const {
    for (const fhir::Coding& c : code_.codings) {
      if (c.system == kLoinc) {
        if (c.code == kGenotypeCode || c.code == kTpmtGenotypeCode || c.code == kTpmtNudt15Code)
          return Kind::kGenotype;
        if (c.code == kHaplotypeCode) return Kind::kHaplotype;
        if (c.code == kTpmtPhenotypeCode || c.code == kDrugMetabolismCode) return Kind::kPhenotype;
        if (c.code == kHlaDqa10501Code) return Kind::kHlaPresence;
        if (c.code == kVariantCode) return Kind::kVariant;
        if (c.code == kSignificanceCode) return Kind::kImplication;
        if (c.code == kOverallCode || c.code == kRegionStudiedCode) return Kind::kPanel;
      } else if (is_tbd_system(c.system)) {
        if (c.code == "therapeutic-implication") return Kind::kPhenotype;
        if (c.code == "diagnostic-implication") return Kind::kImplication;
      }
    }
    if (const Json* meta = obs_.find("meta")) {
      for (const Json& p : meta->items_at("profile")) {
        const std::string* url = p.as_string();
        if (url == nullptr || url->find("genomics-reporting") == std::string::npos) continue;
        if (url->ends_with("/genotype")) return Kind::kGenotype;
        if (url->ends_with("/haplotype")) return Kind::kHaplotype;
        if (url->ends_with("/therapeutic-implication")) return Kind::kPhenotype;
        if (url->ends_with("/variant")) return Kind::kVariant;
        if (url->ends_with("/diagnostic-implication")) return Kind::kImplication;
        if (url->ends_with("/region-studied")) return Kind::kPanel;
      }
    }
    // A local code: a gene named together with what was measured. ("TPMT enzyme activity"
    // names the gene but no genotype or phenotype word: it stays a lab.)
    const std::string name = all_text(code_);
    const std::vector<std::string> named = genes_.in_text(name);
    if (named.empty()) return Kind::kNone;
    const std::string w = padded_words(name);
    const bool hla = std::all_of(named.begin(), named.end(), [](auto& g) { return is_hla(g); });
    // A code naming an allele ("HLA-DQA1*05 carrier status") asks whether it is present.
    if (hla && name.find('*') != std::string::npos) return Kind::kHlaPresence;
    if (has_phrase(w, {"phenotype", "metabolizer", "metaboliser", "metabolizer status"}))
      return Kind::kPhenotype;
    if (has_phrase(w, {"haplotype"})) return Kind::kHaplotype;
    if (has_phrase(w, {"genotype", "genotyping", "diplotype", "typing", "allele", "alleles"}))
      return Kind::kGenotype;
    if (has_phrase(w, {"variant", "variants", "mutation", "mutations", "sequencing"}))
      return Kind::kVariant;
    return Kind::kNone;
  }

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

  fhir::DateTime effective() const {
    for (const char* key : {"effectiveDateTime", "effectiveInstant", "issued"}) {
      if (const std::string* s = obs_.string_at(key))
        if (auto dt = fhir::parse_date_time(*s)) return *dt;
    }
    if (const Json* period = obs_.find("effectivePeriod"))
      if (const std::string* s = period->string_at("start"))
        if (auto dt = fhir::parse_date_time(*s)) return *dt;
    return {};  // genotypes do not go stale: kept with an unknown date (text "")
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
    if (const Json* dar = obs_.find("dataAbsentReason")) {
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
      for (std::size_t i = 0; i < mentions.size(); ++i) {
        const std::size_t end = i + 1 < mentions.size() ? mentions[i + 1].begin : text.size();
        parts.emplace_back(mentions[i].gene, text.substr(mentions[i].end, end - mentions[i].end));
      }
      // "TPMT*1/TPMT*3A" names the gene twice: join the parts of one gene.
      std::vector<std::pair<std::string, std::string>> joined;
      for (auto& [g, s] : parts) {
        if (!joined.empty() && joined.back().first == g) {
          joined.back().second += s;
        } else {
          joined.emplace_back(g, s);
        }
      }
      parts = std::move(joined);
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
    const auto mentions = genes_.mentions(v.text);
    if (mentions.size() > 1) {
      for (std::size_t i = 0; i < mentions.size(); ++i) {
        const std::size_t end = i + 1 < mentions.size() ? mentions[i + 1].begin : v.text.size();
        const std::string p =
            phenotype_from_text(v.text.substr(mentions[i].end, end - mentions[i].end));
        if (p.empty()) continue;
        GeneResult r = base_;
        r.gene = mentions[i].gene;
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
      const std::string name = all_text(code_);
      const auto star = name.find('*');
      std::size_t begin = star, end = star + 1;
      const auto allele_char = [&](std::size_t k) {
        const unsigned char c = static_cast<unsigned char>(name[k]);
        return std::isalnum(c) || c == ':' || c == '-' || c == '*';
      };
      while (begin > 0 && allele_char(begin - 1)) --begin;
      while (end < name.size() && allele_char(end)) ++end;
      allele = normalise_gl(name.substr(begin, end - begin), std::string(kHlaDqa1));
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

  // Variant name and zygosity from the components; the value when it names the variant.
  std::string variant_name(const Value& v) const {
    std::string name, zygosity;
    for (const Json& c : components()) {
      const fhir::CodeableConcept cc = concept_at(c, "code");
      const Value cv = read_value(c);
      if (cv.text.empty()) continue;
      for (std::string_view code : kVariantNameCodes)
        if (has_loinc(cc, code) && name.find(cv.text) == std::string::npos)
          name += (name.empty() ? "" : " ") + cv.text;
      if (has_loinc(cc, kAllelicStateCode)) zygosity = cv.text;
    }
    // A value that is not a coded answer ("c.301C>T, pathogenic") names the variant.
    const bool coded_answer = std::any_of(
        v.concept_value.codings.begin(), v.concept_value.codings.end(),
        [](const fhir::Coding& c) { return c.system == kLoinc && c.code.starts_with("LA"); });
    if (name.empty() && !coded_answer && presence_of(v, "") == Answer::kUnknown)
      name = trim(v.text);
    if (!zygosity.empty()) name += (name.empty() ? "" : ", ") + zygosity;
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
    if (r.gene.empty()) return pend(std::move(r), "clinical significance");
    push(std::move(r));
  }

  // A negative panel is a work-up on record: one result per configured monogenic gene studied.
  void read_panel() {
    std::vector<std::string> genes = gene_studied_;
    const Value v = read_value(obs_);
    for (const std::string& g : genes_.in_text(v.text))
      if (std::find(genes.begin(), genes.end(), g) == genes.end()) genes.push_back(g);
    const auto& monogenic = rules_.monogenic_defect.genes;
    for (const std::string& g : genes) {
      if (std::none_of(monogenic.begin(), monogenic.end(),
                       [&](const std::string& m) { return upper(m) == g; }))
        continue;
      GeneResult r = base_;
      r.gene = g;
      r.variant = trim(v.text).empty() ? std::string() : "panel: " + trim(v.text);
      push(std::move(r));
    }
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
