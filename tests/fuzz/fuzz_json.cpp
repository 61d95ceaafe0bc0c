// fuzz_json: ibd::fhir::parse_json on arbitrary bytes, with a small max_depth and the default.
// Properties:
//  - an error points inside (or just past) the input: line/column >= 1, offset <= size;
//  - depth limits are monotone: what parses with max_depth 4 parses with the default, equal;
//  - round trip: dump() and dump(pretty) parse again to an equal value, and dumping that
//    value gives the same text (dump is a fixed point);
//  - typed access on every value is consistent with its kind and never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fhir/json.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using ibd::fhir::Json;
using ibd::fhir::ParseOptions;

void check_error(const ibd::fhir::ParseError& e, std::size_t size) {
  FUZZ_CHECK(!e.message.empty());
  FUZZ_CHECK(e.line >= 1);
  FUZZ_CHECK(e.column >= 1);
  FUZZ_CHECK(e.offset <= size);
}

// Walks the value (its depth is bounded by the parser) and exercises the accessors.
void walk(const Json& v, std::size_t depth) {
  switch (v.kind()) {
    case Json::Kind::kNull:
      FUZZ_CHECK(v.is_null());
      break;
    case Json::Kind::kBool:
      FUZZ_CHECK(v.as_bool().has_value());
      break;
    case Json::Kind::kNumber: {
      const std::string* text = v.as_number_text();
      FUZZ_CHECK(text != nullptr && !text->empty());
      (void)v.as_double();
      if (auto i = v.as_int()) {
        // An integral literal that fits: its text (without a fraction or exponent) is the value.
        FUZZ_CHECK(text->find_first_of(".eE") == std::string::npos);
        FUZZ_CHECK(Json::number(*i).as_int() == i);
      }
      break;
    }
    case Json::Kind::kString:
      FUZZ_CHECK(v.as_string() != nullptr);
      FUZZ_CHECK(v.as_number_text() == nullptr);
      break;
    case Json::Kind::kArray:
      FUZZ_CHECK(depth <= ParseOptions{}.max_depth);  // the top level counts as 1
      FUZZ_CHECK(v.as_array() != nullptr);
      FUZZ_CHECK(&v.items() == v.as_array());
      for (const Json& item : v.items()) walk(item, depth + 1);
      break;
    case Json::Kind::kObject:
      FUZZ_CHECK(depth <= ParseOptions{}.max_depth);
      FUZZ_CHECK(v.as_object() != nullptr);
      FUZZ_CHECK(v.items().empty());
      for (const auto& member : *v.as_object()) {
        // Keys are unique, so find() lands on this very member.
        FUZZ_CHECK(v.find(member.key) == &member.value);
        walk(member.value, depth + 1);
      }
      break;
  }
}

void check_round_trip(const Json& value, const ParseOptions& options) {
  const std::string compact = value.dump();
  auto again = ibd::fhir::parse_json(compact, options);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == value);
  FUZZ_CHECK(again->dump() == compact);

  const std::string pretty = value.dump(true);
  auto from_pretty = ibd::fhir::parse_json(pretty, options);
  FUZZ_CHECK(from_pretty.has_value());
  FUZZ_CHECK(*from_pretty == value);
  FUZZ_CHECK(from_pretty->dump(true) == pretty);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = ibd::fuzz::as_text(data, size);
  const ParseOptions shallow{4};
  const ParseOptions deflt{};

  auto small = ibd::fhir::parse_json(text, shallow);
  auto full = ibd::fhir::parse_json(text, deflt);
  if (!small) check_error(small.error(), size);
  if (!full) {
    check_error(full.error(), size);
    FUZZ_CHECK(!small.has_value());  // a deeper limit never refuses what a shallower accepts
    return 0;
  }
  if (small) {
    FUZZ_CHECK(*small == *full);
    check_round_trip(*small, shallow);
  }
  walk(*full, 1);
  check_round_trip(*full, deflt);
  return 0;
}
