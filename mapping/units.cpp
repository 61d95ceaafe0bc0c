#include "mapping/units.hpp"

#include <array>
#include <cmath>
#include <utility>

namespace ibd::mapping {
namespace {

enum class Dim { kMass, kVolume };

struct Atom {
  std::string_view spelling;  // canonical UCUM
  Dim dim;
  double factor;  // in grams or litres
};

constexpr std::array<Atom, 10> kAtoms{{
    {"kg", Dim::kMass, 1e3},
    {"g", Dim::kMass, 1.0},
    {"mg", Dim::kMass, 1e-3},
    {"ug", Dim::kMass, 1e-6},
    {"ng", Dim::kMass, 1e-9},
    {"pg", Dim::kMass, 1e-12},
    {"L", Dim::kVolume, 1.0},
    {"dL", Dim::kVolume, 0.1},
    {"mL", Dim::kVolume, 1e-3},
    {"uL", Dim::kVolume, 1e-6},
}};

struct Ratio {
  const Atom* num;
  const Atom* den;
};

std::string trim_and_fold(std::string_view in) {
  std::string s;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    // U+00B5 MICRO SIGN (C2 B5) and U+03BC GREEK SMALL LETTER MU (CE BC) -> 'u'
    if ((c == 0xC2 || c == 0xCE) && i + 1 < in.size()) {
      const unsigned char d = static_cast<unsigned char>(in[i + 1]);
      if ((c == 0xC2 && d == 0xB5) || (c == 0xCE && d == 0xBC)) {
        s.push_back('u');
        ++i;
        continue;
      }
    }
    if (c == '{') {  // UCUM annotation: skip to the closing brace
      while (i < in.size() && in[i] != '}') ++i;
      continue;
    }
    if (c == ' ' || c == '\t') continue;
    s.push_back(static_cast<char>(c));
  }
  return s;
}

const Atom* find_atom(std::string_view s) {
  std::string folded(s);
  if (folded.starts_with("mc")) folded = "u" + folded.substr(2);  // mcg -> ug
  for (const Atom& a : kAtoms) {
    if (a.spelling.size() != folded.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < folded.size() && same; ++i) {
      const char x = folded[i], y = a.spelling[i];
      same = x == y || (x >= 'A' && x <= 'Z' && x - 'A' + 'a' == y) ||
             (x >= 'a' && x <= 'z' && x - 'a' + 'A' == y);
    }
    if (same) return &a;
  }
  return nullptr;
}

std::optional<Ratio> parse_ratio(std::string_view unit) {
  const std::string s = trim_and_fold(unit);
  const auto slash = s.find('/');
  if (slash == std::string::npos || s.find('/', slash + 1) != std::string::npos)
    return std::nullopt;
  const Atom* num = find_atom(std::string_view(s).substr(0, slash));
  const Atom* den = find_atom(std::string_view(s).substr(slash + 1));
  if (num == nullptr || den == nullptr || num->dim != Dim::kMass) return std::nullopt;
  return Ratio{num, den};
}

}  // namespace

std::string normalise_unit(std::string_view unit) {
  if (auto r = parse_ratio(unit)) {
    return std::string(r->num->spelling) + "/" + std::string(r->den->spelling);
  }
  return trim_and_fold(unit);
}

std::optional<double> convert_unit(double value, std::string_view from, std::string_view to) {
  const auto a = parse_ratio(from);
  const auto b = parse_ratio(to);
  if (!a || !b) {
    if (!a && !b && normalise_unit(from) == normalise_unit(to) && !normalise_unit(from).empty())
      return value;
    return std::nullopt;
  }
  if (a->den->dim != b->den->dim) return std::nullopt;
  const double factor = (a->num->factor / a->den->factor) / (b->num->factor / b->den->factor);
  const double out = value * factor;
  // Round away binary noise (0.1 dL factors) to 12 significant digits.
  if (out == 0.0) return out;
  const double scale = std::pow(10.0, 12 - std::ceil(std::log10(std::fabs(out))));
  return std::round(out * scale) / scale;
}

bool is_known_unit(std::string_view unit) {
  return unit.empty() || unit == kScoreUnit || parse_ratio(unit).has_value();
}

std::string display_unit(std::string_view ucum) {
  if (ucum.starts_with("{")) return "";
  std::string s(ucum);
  if (s.starts_with("ug")) s = "\xC2\xB5g" + s.substr(2);
  return s;
}

}  // namespace ibd::mapping
