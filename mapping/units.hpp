// Unit conversion for lab results: the one place a number changes unit.
//
// Understands UCUM ratio units of mass over mass or mass over volume with the prefixes labs
// use (kg g mg ug ng pg / L dL mL uL), written the UCUM way ("ug/g", "mg/dL") or the way
// reports print them ("µg/g", "mcg/g", "mg/dl", "μg/mL"); curly-brace annotations such as
// "ug/g{feces}" are ignored. Anything else converts only to itself, so an unknown unit is
// reported, never turned into a silently wrong number.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ibd::mapping {

// Canonical spelling of a unit ("µg/g" -> "ug/g", "mg/dl" -> "mg/dL"); the trimmed input
// when it is not a unit this converter understands.
std::string normalise_unit(std::string_view unit);

// `value` in `from` expressed in `to`; nullopt when the units are not convertible.
std::optional<double> convert_unit(double value, std::string_view from, std::string_view to);

// Unit text for people: "ug/g" -> "µg/g"; a score ("{score}") has none.
std::string display_unit(std::string_view ucum);

// The unit of dimensionless scores (Mayo endoscopic subscore, SES-CD).
inline constexpr std::string_view kScoreUnit = "{score}";

// True for "" (kept as recorded), kScoreUnit, and units convert_unit() understands.
bool is_known_unit(std::string_view unit);

}  // namespace ibd::mapping
