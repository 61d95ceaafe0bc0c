// Internal to mapping/: how genomic results are written. Gene symbols in free text, the value
// of an Observation or component, metabolizer / pathogenicity / presence / zygosity answers,
// star alleles and diplotypes, HLA GL Strings, variant names. Used by genomics.cpp to read
// results, and by the genomic rules for the few readings they share (gene symbols, zygosity).
// Pure functions; thread-safe.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/json.hpp"
#include "fhir/resource.hpp"
#include "mapping/model.hpp"
#include "mapping/rule_set.hpp"

namespace ibd::mapping::genomics {

inline constexpr std::string_view kLoinc = "http://loinc.org";

// The IG's structural codes: they name shapes, not clinical thresholds.
// Observation codes (LOINC).
inline constexpr std::string_view kGenotypeCode = "84413-4";        // genotype display name
inline constexpr std::string_view kTpmtGenotypeCode = "41048-0";    // TPMT targeted mutation
inline constexpr std::string_view kTpmtNudt15Code = "93193-1";      // TPMT + NUDT15 genotyping
inline constexpr std::string_view kHaplotypeCode = "84414-2";       // haplotype name
inline constexpr std::string_view kTpmtPhenotypeCode = "79713-4";   // TPMT phenotype
inline constexpr std::string_view kDrugMetabolismCode = "53040-2";  // effect on drug metabolism
inline constexpr std::string_view kVariantCode = "69548-6";         // genetic variant assessment
inline constexpr std::string_view kSignificanceCode = "53037-8";    // clinical significance
inline constexpr std::string_view kHlaDqa10501Code = "57090-3";     // HLA-DQA1*05:01 presence
inline constexpr std::string_view kOverallCode = "51968-6";         // overall interpretation
inline constexpr std::string_view kRegionStudiedCode = "53041-0";   // DNA region of interest

// Component codes (LOINC).
inline constexpr std::string_view kGeneStudiedCode = "48018-6";
inline constexpr std::string_view kMedicationAssessedCode = "51963-7";
inline constexpr std::string_view kAllelicStateCode = "53034-5";
inline constexpr std::string_view kVariantNameCodes[] = {"48004-6", "48005-3", "81290-9",
                                                         "81252-9"};

inline constexpr std::string_view kTpmt = "TPMT";
inline constexpr std::string_view kNudt15 = "NUDT15";
inline constexpr std::string_view kHlaDqa1 = "HLA-DQA1";

bool is_pgx_gene(std::string_view gene);
bool is_hla(std::string_view gene);
// Gene symbols compared without regard to case ("il10ra" in a config is IL10RA).
bool same_gene(std::string_view a, std::string_view b);
bool gene_listed(const std::vector<std::string>& genes, std::string_view gene);

// ---- Text ----

std::string upper(std::string_view s);
std::string trim(std::string_view s);
// " word word " for phrase search on whole words.
std::string padded_words(std::string_view text);
bool has_phrase(const std::string& padded, std::initializer_list<std::string_view> phrases);

// ---- Concepts ----

bool has_loinc(const fhir::CodeableConcept& cc, std::string_view code);
bool has_any_loinc(const fhir::CodeableConcept& cc, std::initializer_list<std::string_view> codes);
// All the words of a concept: text and every display.
std::string all_text(const fhir::CodeableConcept& cc);
fhir::CodeableConcept concept_at(const fhir::Json& j, std::string_view key);

// ---- Genes ----

// The genes this service knows by symbol: TPMT, NUDT15, HLA-DQA1 and the configured
// monogenic-IBD genes.
class GeneNames {
 public:
  explicit GeneNames(const RuleSet& rules);

  // The text after each gene named, up to the next one: "TPMT *1/*3A; NUDT15 *1/*1" ->
  // (TPMT, " *1/*3A; "), (NUDT15, " *1/*1"). A gene named twice in a row
  // ("TPMT*1/TPMT*3A") is one part.
  std::vector<std::pair<std::string, std::string>> segments(std::string_view text) const;

  // A known symbol for one token ("TPMT", "DQA1", "HLA-DQA1"), or "". Symbols are matched as
  // written, in capitals: "was" in a sentence is not the WAS gene.
  std::string symbol(std::string_view token) const;

  // Known genes named in free text, with the offsets where each mention starts and ends.
  struct Mention {
    std::string gene;
    std::size_t begin, end;
  };
  std::vector<Mention> mentions(std::string_view text) const;
  // The known genes named in free text, each once, in order.
  std::vector<std::string> in_text(std::string_view text) const;

  // The gene of a gene-studied value: an HGNC id the table knows, else a display or text
  // that is a symbol (any gene, so "CYP2C19" is kept as itself).
  std::string from_concept(const fhir::CodeableConcept& cc) const;

 private:
  std::vector<std::string> known_;
};

// ---- What a result is ----

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

// The kind of a genomic Observation: by its LOINC or IG code, its IG profile, else a local
// code naming a known gene together with what was measured. kNone: not a genomic result
// (it is read as a lab).
Kind classify_observation(const fhir::Json& observation, const GeneNames& genes);

// ---- Values ----

// The value of an Observation or a component as text, with its concept when coded.
struct Value {
  bool present = false;
  std::string text;
  fhir::CodeableConcept concept_value;
};
Value read_value(const fhir::Json& j);

// Metabolizer status from a coded or text answer: "normal", "intermediate",
// "possible-intermediate", "poor", "rapid", "ultrarapid", "indeterminate", or "".
std::string phenotype_from_text(std::string_view text);
std::string phenotype_of(const Value& v);

enum class Answer { kUnknown, kYes, kNo };

// Pathogenic or likely pathogenic (yes), another classification (no), or not said.
Answer pathogenicity_of(const Value& v);
// Present / positive / detected (yes) or absent / negative / not detected (no); the
// interpretation code (POS, NEG, ...) when the value does not say.
Answer presence_of(const Value& v, const std::string& interpretation);

// Zygosity: "homozygous", "heterozygous", "hemizygous", "compound-heterozygous" or "", from
// an allelic-state answer (LOINC 53034-5: LA6705-3, LA6706-1, LA6707-9, LA26217-2) or words.
std::string zygosity_from_text(std::string_view text);
std::string zygosity_of(const Value& v);
// "homozygous" -> "homozygous", "compound-heterozygous" -> "compound heterozygous".
std::string zygosity_words(const std::string& zygosity);

// The HGVS changes named in a variant text, from the coordinate type on: "c.301C>T" for
// "NM_000572.3:c.301C>T, Homozygous". Two names of one change give one key.
std::vector<std::string> variant_keys(std::string_view text);

// ---- Star alleles ----

// "*1", "*3A", "*1.001" as written in a diplotype, in order.
std::vector<std::string> star_alleles(std::string_view text);
// Two alleles from a genotype text; "heterozygous for *3A" pairs with the reference *1, a
// "wild type" / "no variant detected" result is *1/*1.
std::optional<std::pair<std::string, std::string>> diplotype(std::string_view text);
// Phenotype from a TPMT or NUDT15 diplotype (CPIC): two no-function alleles -> poor; one ->
// intermediate (possible intermediate when the other allele's function is unknown); none ->
// normal when both are the reference *1, else indeterminate.
std::string derive_phenotype(std::string_view gene, const std::pair<std::string, std::string>& d,
                             const ThiopurinePgxConfig& cfg);

// ---- HLA ----

// "DQA1*05:01/DQA1*01:02" or "*05:01/*01:02" -> "HLA-DQA1*05:01/HLA-DQA1*01:02": every allele
// with its locus and HLA- prefix; a comma between alleles reads as "+".
std::string normalise_gl(std::string_view text, const std::string& gene);
// The allele a test's name asks about: "HLA-DQA1*05 carrier status" -> "HLA-DQA1*05"; "" when
// the name has none.
std::string allele_in_name(std::string_view name, const std::string& gene);

// ---- For the rules ----

// How pathogenic results of one gene show both copies affected: "homozygous", "hemizygous",
// "compound heterozygous", or "two pathogenic variants (c.1A>G, c.2T>C)"; "" when they do not
// (one heterozygous variant, or the zygosity not reported).
std::string both_copies_affected(const std::vector<const GeneResult*>& pathogenic);

}  // namespace ibd::mapping::genomics
