#include "mapping/terminology.hpp"

#include <algorithm>

namespace ibd::mapping {
namespace {

bool is_icd10(std::string_view system) {
  return system.find("icd-10") != std::string_view::npos ||
         system.find("icd10") != std::string_view::npos;
}

bool contains_words(const std::vector<std::string>& haystack,
                    const std::vector<std::string>& needle) {
  if (needle.empty() || needle.size() > haystack.size()) return false;
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

void add_term(ValueSetDef& def, std::string_view text) {
  auto words = normalise_words(text);
  if (!words.empty() && std::find(def.terms.begin(), def.terms.end(), words) == def.terms.end())
    def.terms.push_back(std::move(words));
}

std::expected<void, std::string> read_include(const fhir::Json& include, ValueSetDef& def) {
  const std::string* system = include.string_at("system");
  if (system == nullptr) return std::unexpected("compose.include without a system");
  if (const auto* concepts = include.array_at("concept")) {
    for (const fhir::Json& c : *concepts) {
      const std::string* code = c.string_at("code");
      if (code == nullptr) return std::unexpected("a concept_id without a code");
      const std::string* display = c.string_at("display");
      if (*system != kTextMatchSystem) {
        def.codes.push_back({*system, *code, display ? *display : ""});
        if (display) add_term(def, *display);
      }
      if (const auto* designations = c.array_at("designation")) {
        for (const fhir::Json& d : *designations)
          if (const std::string* v = d.string_at("value")) add_term(def, *v);
      }
    }
  }
  if (const auto* filters = include.array_at("filter")) {
    for (const fhir::Json& f : *filters) {
      const std::string* op = f.string_at("op");
      const std::string* value = f.string_at("value");
      const std::string* property = f.string_at("property");
      if (!op || !value || !property || *property != "concept" ||
          (*op != "is-a" && *op != "descendent-of"))
        return std::unexpected(
            "only filters 'concept_id is-a' and 'concept_id descendent-of' are supported");
      if (is_icd10(*system)) {
        def.prefixes.emplace_back(*system, *value);
      } else {
        def.codes.push_back({*system, *value, ""});
      }
    }
  }
  return {};
}

}  // namespace

std::vector<std::string> normalise_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\'') continue;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      current.push_back(static_cast<char>(c));
    } else if (c >= 'A' && c <= 'Z') {
      current.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

std::expected<Terminology, std::string> Terminology::from_valuesets(
    const std::vector<fhir::Json>& valuesets) {
  Terminology out;
  for (const fhir::Json& vs : valuesets) {
    const std::string* type = fhir::resource_type(vs);
    const std::string* id = fhir::resource_id(vs);
    if (type == nullptr || *type != "ValueSet") return std::unexpected("not a ValueSet resource");
    if (id == nullptr || id->empty()) return std::unexpected("a ValueSet without an id");
    ValueSetDef def;
    def.id = *id;
    if (const std::string* title = vs.string_at("title")) def.title = *title;
    const fhir::Json* compose = vs.find("compose");
    if (compose == nullptr || compose->array_at("include") == nullptr)
      return std::unexpected("ValueSet " + *id + ": compose.include is missing");
    if (compose->find("exclude") != nullptr)
      return std::unexpected("ValueSet " + *id + ": compose.exclude is not supported");
    for (const fhir::Json& include : *compose->array_at("include")) {
      if (auto ok = read_include(include, def); !ok)
        return std::unexpected("ValueSet " + *id + ": " + ok.error());
    }
    if (out.sets_.contains(def.id)) return std::unexpected("ValueSet " + *id + " is defined twice");
    out.sets_.emplace(def.id, std::move(def));
  }
  return out;
}

const ValueSetDef* Terminology::find(std::string_view id) const {
  auto it = sets_.find(id);
  return it == sets_.end() ? nullptr : &it->second;
}

MatchKind Terminology::match(std::string_view valueset_id,
                             const fhir::CodeableConcept& concept_id) const {
  const ValueSetDef* def = find(valueset_id);
  if (def == nullptr) return MatchKind::kNone;
  for (const fhir::Coding& c : concept_id.codings) {
    if (c.code.empty()) continue;
    for (const fhir::Coding& known : def->codes)
      if (known.code == c.code && known.system == c.system) return MatchKind::kCode;
    for (const auto& [system, prefix] : def->prefixes)
      if (system == c.system && c.code.starts_with(prefix)) return MatchKind::kCode;
  }
  auto text_matches = [&](std::string_view text) {
    if (text.empty()) return false;
    const auto words = normalise_words(text);
    return std::any_of(def->terms.begin(), def->terms.end(),
                       [&](const auto& term) { return contains_words(words, term); });
  };
  if (text_matches(concept_id.text)) return MatchKind::kText;
  for (const fhir::Coding& c : concept_id.codings)
    if (text_matches(c.display)) return MatchKind::kText;
  return MatchKind::kNone;
}

}  // namespace ibd::mapping
