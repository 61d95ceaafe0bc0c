// JSON value and parser for the whole project. RapidJSON is used inside json.cpp only;
// no RapidJSON type appears in this header.
//
// Contract:
//  - parse_json() parses iteratively (no recursion on input depth), refuses documents nested
//    deeper than ParseOptions::max_depth, refuses duplicate keys in one object, validates
//    UTF-8, and keeps every number as the text it was written with ("1.50" stays "1.50").
//  - Errors carry a message safe to show a client (it never quotes the input beyond a key
//    name), and the 1-based line and column of the fault.
//  - Json is a plain value type. Destroying, copying or dumping a Json recurses on its depth,
//    which parse_json() bounds; documents built in code are shallow.
// Thread safety: a Json is safe to read from many threads; writes need external locking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ibd::fhir {

class Json;
struct JsonMember;

class Json {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::vector<JsonMember>;  // keeps document order; keys unique

  Json() = default;  // null
  static Json boolean(bool value);
  // `text` must be a valid JSON number literal; use the numeric overloads otherwise.
  static Json number_text(std::string text);
  static Json number(std::int64_t value);
  static Json number(double value);  // shortest text that round-trips; NaN/inf become null
  static Json string(std::string value);
  static Json array(Array items = {});
  static Json object();

  Kind kind() const;
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_number() const { return kind() == Kind::kNumber; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  // Typed access. Each returns nullopt / nullptr when the value is of another kind.
  std::optional<bool> as_bool() const;
  const std::string* as_string() const;
  const std::string* as_number_text() const;
  std::optional<double> as_double() const;
  std::optional<std::int64_t> as_int() const;  // only for integral number text
  const Array* as_array() const;
  Array* as_array();
  const Object* as_object() const;
  Object* as_object();  // values may be changed in place; do not add duplicate keys

  // Object access: nullptr when this is not an object or the key is absent.
  const Json* find(std::string_view key) const;
  Json* find(std::string_view key);
  // Shorthands for find(key)->as_string() etc.; nullptr / nullopt when absent or mistyped.
  const std::string* string_at(std::string_view key) const;
  const Array* array_at(std::string_view key) const;
  // For range-for: the array's items, or an empty array when this is not an array (or the key
  // is absent / not an array). Never copies.
  const Array& items() const;
  const Array& items_at(std::string_view key) const;

  // Builders. set() turns a null into an object, replaces an existing key or appends;
  // push() turns a null into an array. Both return *this for chaining.
  Json& set(std::string key, Json value);
  Json& push(Json value);
  // Removes a key from an object; returns whether it was there.
  bool erase(std::string_view key);

  // Compact (or two-space indented) JSON text. Strings are escaped; numbers are written
  // as their original text.
  std::string dump(bool pretty = false) const;

  friend bool operator==(const Json& a, const Json& b);

 private:
  struct Number {
    std::string text;
    friend bool operator==(const Number&, const Number&) = default;
  };
  std::variant<std::monostate, bool, Number, std::string, Array, Object> value_;
};

struct JsonMember {
  std::string key;
  Json value;
  friend bool operator==(const JsonMember&, const JsonMember&) = default;
};

struct ParseOptions {
  std::size_t max_depth = 64;  // nesting of arrays and objects; the top level counts as 1
};

struct ParseError {
  std::string message;            // what is wrong, safe to show the sender
  std::size_t line = 0;           // 1-based
  std::size_t column = 0;         // 1-based, in bytes
  std::size_t offset = 0;         // 0-based byte offset
  std::string to_string() const;  // "line L, column C: message"
};

std::expected<Json, ParseError> parse_json(std::string_view text, const ParseOptions& options = {});

}  // namespace ibd::fhir
