// Value sets and concept matching.
//
// Value sets come as FHIR R4 ValueSet resources (config/valuesets/*.json). From
// compose.include this reads: `concept` (system + code, display and designations), and
// `filter` with op "is-a" / "descendent-of" on property "concept", which is matched as a code
// prefix for ICD-10 style systems ("K50" covers "K50.012") and as the code itself elsewhere
// (no SNOMED hierarchy is available offline). compose.exclude is not supported and refused.
//
// A concept matches a value set by (system, code) first; failing that, by text: the
// CodeableConcept's text and codings' displays are normalised (lower case, apostrophes
// dropped, other punctuation a word break) and match when they contain, as whole words, one
// of the value set's displays or designations. So "Infliximab-dyyb 100 MG Injection" matches
// "infliximab", and "Crohn's disease of ileum" matches "crohns disease".
// Concepts of the pseudo-system kTextMatchSystem carry only names (for tests that have no
// verified code); they never match by code.
// Immutable after construction; thread-safe.
#pragma once

#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.hpp"
#include "fhir/resource.hpp"

namespace ibd::mapping {

inline constexpr std::string_view kTextMatchSystem = "urn:ibd-cds:text-match";

enum class MatchKind { kNone, kCode, kText };

struct ValueSetDef {
  std::string id;
  std::string title;
  std::vector<fhir::Coding> codes;
  std::vector<std::pair<std::string, std::string>> prefixes;  // (system, code prefix)
  std::vector<std::vector<std::string>> terms;                // normalised word sequences
};

class Terminology {
 public:
  // Each resource must be a ValueSet with an id; the error names the faulty one.
  static std::expected<Terminology, std::string> from_valuesets(
      const std::vector<fhir::Json>& valuesets);

  const ValueSetDef* find(std::string_view id) const;
  MatchKind match(std::string_view valueset_id, const fhir::CodeableConcept& concept_id) const;
  std::size_t size() const { return sets_.size(); }

 private:
  std::map<std::string, ValueSetDef, std::less<>> sets_;
};

// Lower-case words of a free text, apostrophes dropped: "Crohn's Disease" -> {"crohns","disease"}.
std::vector<std::string> normalise_words(std::string_view text);

}  // namespace ibd::mapping
