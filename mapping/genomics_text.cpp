// How genomic results are written: see genomics_text.hpp. The LOINC answer codes here name
// shapes of the HL7 Genomics Reporting IG, not clinical thresholds.
#include "mapping/genomics_text.hpp"

#include <algorithm>
#include <cctype>

#include "mapping/terminology.hpp"

namespace ibd::mapping::genomics {
namespace {

// HGNC ids of the genes the rules use most, for codings that carry no display.
constexpr std::pair<std::string_view, std::string_view> kHgnc[] = {
    {"HGNC:12014", "TPMT"}, {"HGNC:23063", "NUDT15"}, {"HGNC:4942", "HLA-DQA1"},
    {"HGNC:5962", "IL10"},  {"HGNC:5964", "IL10RA"},  {"HGNC:5965", "IL10RB"}};

// The IG's interim code system: ".../CodeSystem/tbd-codes" (STU2), "tbd-codes-cs" (STU3),
// "TbdCodes" (drafts).
bool is_tbd_system(std::string_view system) {
  return system.find("genomics-reporting/CodeSystem/") != std::string_view::npos &&
         (system.find("tbd") != std::string_view::npos ||
          system.find("Tbd") != std::string_view::npos);
}

bool loinc_answer(const Value& v, std::initializer_list<std::string_view> codes) {
  for (const fhir::Coding& c : v.concept_value.codings)
    if (c.system == kLoinc && std::find(codes.begin(), codes.end(), c.code) != codes.end())
      return true;
  return false;
}

}  // namespace

bool is_pgx_gene(std::string_view gene) { return gene == kTpmt || gene == kNudt15; }
bool is_hla(std::string_view gene) { return gene.starts_with("HLA-"); }

bool same_gene(std::string_view a, std::string_view b) { return upper(a) == upper(b); }

bool gene_listed(const std::vector<std::string>& genes, std::string_view gene) {
  return std::any_of(genes.begin(), genes.end(),
                     [&](const std::string& g) { return same_gene(g, gene); });
}

// ---- Text ----

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

// ---- Concepts ----

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

std::string all_text(const fhir::CodeableConcept& cc) {
  std::string out = cc.text;
  for (const fhir::Coding& c : cc.codings) out += " " + c.display;
  return out;
}

fhir::CodeableConcept concept_at(const fhir::Json& j, std::string_view key) {
  const fhir::Json* v = j.find(key);
  return v ? fhir::read_codeable_concept(*v) : fhir::CodeableConcept{};
}

// ---- Genes ----

GeneNames::GeneNames(const RuleSet& rules) {
  for (std::string_view g : {kTpmt, kNudt15, kHlaDqa1}) known_.emplace_back(g);
  for (const std::string& g : rules.monogenic_defect.genes) known_.push_back(upper(g));
}

std::string GeneNames::symbol(std::string_view token) const {
  std::string u(token);
  if (u != upper(token)) return {};
  if (u == "DQA1") u = std::string(kHlaDqa1);
  for (const std::string& g : known_)
    if (g == u) return g;
  return {};
}

std::vector<GeneNames::Mention> GeneNames::mentions(std::string_view text) const {
  std::vector<Mention> out;
  std::size_t i = 0;
  const auto is_token_char = [&](std::size_t k) {
    const unsigned char c = static_cast<unsigned char>(text[k]);
    return std::isalnum(c) || c == '-';
  };
  while (i < text.size()) {
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

std::vector<std::pair<std::string, std::string>> GeneNames::segments(std::string_view text) const {
  const std::vector<Mention> named = mentions(text);
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < named.size(); ++i) {
    const std::size_t end = i + 1 < named.size() ? named[i + 1].begin : text.size();
    std::string part(text.substr(named[i].end, end - named[i].end));
    if (!out.empty() && out.back().first == named[i].gene) {
      out.back().second += part;
    } else {
      out.emplace_back(named[i].gene, std::move(part));
    }
  }
  return out;
}

std::vector<std::string> GeneNames::in_text(std::string_view text) const {
  std::vector<std::string> out;
  for (const Mention& m : mentions(text))
    if (std::find(out.begin(), out.end(), m.gene) == out.end()) out.push_back(m.gene);
  return out;
}

std::string GeneNames::from_concept(const fhir::CodeableConcept& cc) const {
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

// ---- What a result is ----

Kind classify_observation(const fhir::Json& obs, const GeneNames& genes) {
  const fhir::CodeableConcept code = concept_at(obs, "code");
  for (const fhir::Coding& c : code.codings) {
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
  if (const fhir::Json* meta = obs.find("meta")) {
    for (const fhir::Json& p : meta->items_at("profile")) {
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
  const std::string name = all_text(code);
  const std::vector<std::string> named = genes.in_text(name);
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

// ---- Values ----

Value read_value(const fhir::Json& j) {
  Value v;
  if (const fhir::Json* cc = j.find("valueCodeableConcept")) {
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
  if (loinc_answer(v, {"LA25391-6", "LA10316-0"})) return "normal";  // normal; extensive
  if (loinc_answer(v, {"LA10317-8"})) return "intermediate";
  if (loinc_answer(v, {"LA9657-3"})) return "poor";
  if (loinc_answer(v, {"LA25390-8"})) return "rapid";
  if (loinc_answer(v, {"LA10315-2"})) return "ultrarapid";
  return phenotype_from_text(all_text(v.concept_value) + " " + v.text);
}

Answer pathogenicity_of(const Value& v) {
  if (loinc_answer(v, {"LA6668-3", "LA26332-9"})) return Answer::kYes;
  if (loinc_answer(v, {"LA26333-7", "LA26334-5", "LA6675-8"})) return Answer::kNo;
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

Answer presence_of(const Value& v, const std::string& interpretation) {
  if (loinc_answer(v, {"LA9633-4", "LA6576-8"})) return Answer::kYes;
  if (loinc_answer(v, {"LA9634-2", "LA6577-6"})) return Answer::kNo;
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

std::string zygosity_from_text(std::string_view text) {
  const std::string w = padded_words(text);
  if (has_phrase(w, {"compound heterozygous", "compound heterozygote", "compound het"}))
    return "compound-heterozygous";
  if (has_phrase(w, {"homozygous", "homozygote"})) return "homozygous";
  if (has_phrase(w, {"hemizygous", "hemizygote"})) return "hemizygous";
  if (has_phrase(w, {"heterozygous", "heterozygote"})) return "heterozygous";
  return {};
}

std::string zygosity_of(const Value& v) {
  if (loinc_answer(v, {"LA6705-3"})) return "homozygous";
  if (loinc_answer(v, {"LA6706-1"})) return "heterozygous";
  if (loinc_answer(v, {"LA6707-9"})) return "hemizygous";
  if (loinc_answer(v, {"LA26217-2"})) return "compound-heterozygous";
  return zygosity_from_text(all_text(v.concept_value) + " " + v.text);
}

std::string zygosity_words(const std::string& zygosity) {
  return zygosity == "compound-heterozygous" ? "compound heterozygous" : zygosity;
}

std::vector<std::string> variant_keys(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 2 < text.size(); ++i) {
    if (text[i] != 'c' || text[i + 1] != '.') continue;
    if (i > 0 && std::isalnum(static_cast<unsigned char>(text[i - 1]))) continue;
    const unsigned char first = static_cast<unsigned char>(text[i + 2]);
    if (!std::isdigit(first) && first != '-' && first != '*' && first != '(') continue;
    std::size_t j = i + 2;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) &&
           text[j] != ',' && text[j] != ';')
      ++j;
    std::string key(text.substr(i, j - i));
    while (!key.empty() && (key.back() == '.' || key.back() == ')')) key.pop_back();
    if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(key);
    i = j;
  }
  return out;
}

// ---- Star alleles ----

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

namespace {

// "*1.001" -> "*1": a sub-allele has its allele's function.
std::string base_allele(const std::string& allele) { return allele.substr(0, allele.find('.')); }

}  // namespace

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

// ---- HLA ----

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

std::string allele_in_name(std::string_view name, const std::string& gene) {
  const auto star = name.find('*');
  if (star == std::string_view::npos) return {};
  std::size_t begin = star, end = star + 1;
  const auto allele_char = [&](std::size_t k) {
    const unsigned char c = static_cast<unsigned char>(name[k]);
    return std::isalnum(c) || c == ':' || c == '-' || c == '*';
  };
  while (begin > 0 && allele_char(begin - 1)) --begin;
  while (end < name.size() && allele_char(end)) ++end;
  return normalise_gl(name.substr(begin, end - begin), gene);
}

// ---- For the rules ----

std::string both_copies_affected(const std::vector<const GeneResult*>& pathogenic) {
  for (const char* z : {"homozygous", "hemizygous", "compound-heterozygous"})
    for (const GeneResult* g : pathogenic)
      if (g->zygosity == z) return zygosity_words(z);
  std::vector<std::string> keys;
  for (const GeneResult* g : pathogenic)
    for (const std::string& k : variant_keys(g->variant))
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  if (keys.size() < 2) return {};
  std::string listed;
  for (const std::string& k : keys) listed += (listed.empty() ? "" : ", ") + k;
  return "two pathogenic variants (" + listed + ")";
}

}  // namespace ibd::mapping::genomics
