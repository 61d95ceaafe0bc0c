// JSON value and parser. RapidJSON is used here only: its SAX Reader drives a handler that
// builds our own Json tree, and its Writer / PrettyWriter serialise that tree.
//
// Notes on the RapidJSON version in use (Debian 12: 1.1.0):
//  - Writer::RawNumber() writes its text as a quoted string, so numbers are written with
//    RawValue(..., kNumberType) instead.
//  - The reader does not reject a lone low surrogate escape ("\uDC00") and would hand us the
//    invalid UTF-8 it encodes to; the handler checks decoded strings for that.
//  - The reader's streams treat a NUL byte as the end of input, so the input is parsed only
//    up to its first NUL byte and a NUL is reported as an error of its own.
#include "fhir/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ibd::fhir {

namespace {

// ---------------------------------------------------------------------------------------
// Small text helpers

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when it is ill-formed
// (overlong forms, surrogates, code points above U+10FFFF and truncated sequences included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) -> unsigned {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0x100u;
  };
  const auto cont = [&](std::size_t k) { return (byte(k) & 0xC0u) == 0x80u; };
  const auto in = [&](std::size_t k, unsigned lo, unsigned hi) {
    return byte(k) >= lo && byte(k) <= hi;
  };
  const unsigned b0 = byte(i);
  if (b0 < 0x80u) return 1;
  if (b0 >= 0xC2u && b0 <= 0xDFu) return cont(i + 1) ? 2 : 0;
  if (b0 == 0xE0u) return in(i + 1, 0xA0u, 0xBFu) && cont(i + 2) ? 3 : 0;
  if ((b0 >= 0xE1u && b0 <= 0xECu) || b0 == 0xEEu || b0 == 0xEFu)
    return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (b0 == 0xEDu) return in(i + 1, 0x80u, 0x9Fu) && cont(i + 2) ? 3 : 0;
  if (b0 == 0xF0u) return in(i + 1, 0x90u, 0xBFu) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b0 >= 0xF1u && b0 <= 0xF3u) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (b0 == 0xF4u) return in(i + 1, 0x80u, 0x8Fu) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80u) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// `s` with every ill-formed byte replaced by U+FFFD, so dump() always emits valid UTF-8 even
// for strings built in code from unchecked bytes.
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// The JSON number grammar: -? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view t) {
  std::size_t i = 0;
  const auto digit = [&](std::size_t k) { return k < t.size() && t[k] >= '0' && t[k] <= '9'; };
  if (i < t.size() && t[i] == '-') ++i;
  if (!digit(i)) return false;
  if (t[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == t.size();
}

// A key name as it may appear in an error message: JSON-escaped, quoted, and cut after
// kMaxKeyBytes bytes (on a UTF-8 boundary).
constexpr std::size_t kMaxKeyBytes = 64;

std::string quote_key_for_message(std::string_view key) {
  bool truncated = false;
  if (key.size() > kMaxKeyBytes) {
    std::size_t cut = kMaxKeyBytes;
    while (cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0u) == 0x80u) --cut;
    key = key.substr(0, cut);
    truncated = true;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20u || u == 0x7Fu) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xFu];
    } else {
      out += c;
    }
  }
  out += truncated ? "...\"" : "\"";
  return out;
}

const char* reader_error_message(rapidjson::ParseErrorCode code) {
  switch (code) {
    case rapidjson::kParseErrorDocumentEmpty:
      return "the document is empty";
    case rapidjson::kParseErrorDocumentRootNotSingular:
      return "unexpected content after the JSON value";
    case rapidjson::kParseErrorValueInvalid:
      return "invalid value";
    case rapidjson::kParseErrorObjectMissName:
      return "expected a string key in object";
    case rapidjson::kParseErrorObjectMissColon:
      return "expected ':' after object key";
    case rapidjson::kParseErrorObjectMissCommaOrCurlyBracket:
      return "expected ',' or '}' after object member";
    case rapidjson::kParseErrorArrayMissCommaOrSquareBracket:
      return "expected ',' or ']' after array element";
    case rapidjson::kParseErrorStringUnicodeEscapeInvalidHex:
      return "invalid hexadecimal digits in \\u escape";
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid:
      return "invalid UTF-16 surrogate pair in \\u escape";
    case rapidjson::kParseErrorStringEscapeInvalid:
      return "invalid escape sequence or unescaped control character in string";
    case rapidjson::kParseErrorStringMissQuotationMark:
      return "unterminated string";
    case rapidjson::kParseErrorStringInvalidEncoding:
      return "invalid UTF-8 in string";
    case rapidjson::kParseErrorNumberTooBig:
      return "number too large";
    case rapidjson::kParseErrorNumberMissFraction:
      return "missing digits after the decimal point";
    case rapidjson::kParseErrorNumberMissExponent:
      return "missing digits in the exponent";
    case rapidjson::kParseErrorTermination:
      return "parsing stopped";
    case rapidjson::kParseErrorUnspecificSyntaxError:
      return "syntax error";
    case rapidjson::kParseErrorNone:
      break;
  }
  // Any code added by a later RapidJSON: its own English text, which never quotes input.
  return rapidjson::GetParseError_En(code);
}

// ---------------------------------------------------------------------------------------
// The SAX handler

// Json has no mutable accessor for its members, but the values this handler builds are
// its own non-const objects, so writing through the pointer is well defined.
Json::Object& members_of(Json& object) { return *object.as_object(); }

// Open objects with fewer members than this are checked for duplicate keys by a linear
// scan; larger ones get a hash set of their keys.
constexpr std::size_t kLinearKeyScanLimit = 16;

class TreeBuilder {
 public:
  TreeBuilder(std::string_view text, const rapidjson::MemoryStream& stream, std::size_t max_depth)
      : text_(text), stream_(stream), max_depth_(max_depth) {
    stack_.reserve(max_depth < 64 ? max_depth : 64);
  }

  // RapidJSON handler interface (its names, hence the NOLINT). With kParseNumbersAsStringsFlag
  // only RawNumber is called for numbers; the typed number events are refused should they
  // ever arrive.
  // NOLINTBEGIN(readability-identifier-naming)
  bool Null() { return add(Json()); }
  bool Bool(bool b) { return add(Json::boolean(b)); }
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(std::int64_t) { return false; }
  bool Uint64(std::uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    return add(Json::number_text(std::string(str, length)));
  }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    const std::string_view s(str, length);
    if (!check_decoded(s)) return false;
    return add(Json::string(std::string(s)));
  }
  bool StartObject() { return open(Json::object()); }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    const std::string_view key(str, length);
    if (!check_decoded(key)) return false;
    Frame& frame = stack_.back();
    if (!remember_key(frame, key)) {
      fail("duplicate key " + quote_key_for_message(key), string_start(stream_.Tell()));
      return false;
    }
    frame.key.assign(key);
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(Json::array()); }
  bool EndArray(rapidjson::SizeType) { return close(); }
  // NOLINTEND(readability-identifier-naming)

  bool failed() const { return failed_; }
  const std::string& message() const { return message_; }
  std::size_t offset() const { return offset_; }
  Json take_root() { return std::move(root_); }

 private:
  struct Frame {
    Json value;       // an array or object being filled
    std::string key;  // objects: the key of the member whose value comes next
    std::unique_ptr<std::unordered_set<std::string>> keys;  // large objects only
  };

  void fail(std::string message, std::size_t offset) {
    failed_ = true;
    message_ = std::move(message);
    offset_ = offset;
  }

  // Offset of the opening quote of the string whose closing quote ends just before `end`:
  // the nearest earlier quote not escaped by an odd run of backslashes.
  std::size_t string_start(std::size_t end) const {
    if (end == 0 || end > text_.size()) return end;
    const std::size_t close_quote = end - 1;
    for (std::size_t i = close_quote; i-- > 0;) {
      if (text_[i] != '"') continue;
      std::size_t backslashes = 0;
      for (std::size_t j = i; j > 0 && text_[j - 1] == '\\'; --j) ++backslashes;
      if (backslashes % 2 == 0) return i;
    }
    return close_quote;
  }

  // The reader validates raw UTF-8 but turns a lone "\uDCxx" escape into an encoded
  // surrogate (ED B0..BF xx), which is not UTF-8. Only strings with an 0xED byte can hold one.
  bool check_decoded(std::string_view s) {
    if (std::memchr(s.data(), 0xED, s.size()) == nullptr || is_valid_utf8(s)) return true;
    fail("unpaired UTF-16 surrogate in \\u escape", string_start(stream_.Tell()));
    return false;
  }

  bool remember_key(Frame& frame, std::string_view key) {
    const Json::Object& members = *frame.value.as_object();
    if (!frame.keys) {
      if (members.size() < kLinearKeyScanLimit) {
        for (const JsonMember& m : members) {
          if (m.key == key) return false;
        }
        return true;
      }
      frame.keys = std::make_unique<std::unordered_set<std::string>>();
      frame.keys->reserve(members.size() * 2);
      for (const JsonMember& m : members) frame.keys->insert(m.key);
    }
    return frame.keys->emplace(key).second;
  }

  bool open(Json container) {
    if (stack_.size() >= max_depth_) {
      // The reader calls StartObject/StartArray before consuming the bracket.
      fail("nesting deeper than " + std::to_string(max_depth_), stream_.Tell());
      return false;
    }
    stack_.push_back(Frame{std::move(container), {}, nullptr});
    return true;
  }

  bool close() {
    Json value = std::move(stack_.back().value);
    stack_.pop_back();
    return add(std::move(value));
  }

  bool add(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return true;
    }
    Frame& frame = stack_.back();
    if (Json::Array* items = frame.value.as_array()) {
      items->push_back(std::move(value));
    } else {
      members_of(frame.value).push_back(JsonMember{std::move(frame.key), std::move(value)});
      frame.key.clear();
    }
    return true;
  }

  std::string_view text_;
  const rapidjson::MemoryStream& stream_;
  std::size_t max_depth_;
  std::vector<Frame> stack_;
  Json root_;
  bool failed_ = false;
  std::string message_;
  std::size_t offset_ = 0;
};

ParseError make_error(std::string_view text, std::string message, std::size_t offset) {
  if (offset > text.size()) offset = text.size();
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return ParseError{std::move(message), line, offset - line_start + 1, offset};
}

// ---------------------------------------------------------------------------------------
// Writing

template <typename Writer>
void write_string(Writer& writer, const std::string& s, bool key) {
  const auto size = static_cast<rapidjson::SizeType>(s.size());
  if (is_valid_utf8(s)) {
    key ? writer.Key(s.data(), size) : writer.String(s.data(), size);
    return;
  }
  const std::string clean = sanitize_utf8(s);
  const auto clean_size = static_cast<rapidjson::SizeType>(clean.size());
  key ? writer.Key(clean.data(), clean_size) : writer.String(clean.data(), clean_size);
}

template <typename Writer>
void write_value(Writer& writer, const Json& value) {
  switch (value.kind()) {
    case Json::Kind::kNull:
      writer.Null();
      break;
    case Json::Kind::kBool:
      writer.Bool(*value.as_bool());
      break;
    case Json::Kind::kNumber: {
      const std::string& text = *value.as_number_text();
      writer.RawValue(text.data(), text.size(), rapidjson::kNumberType);
      break;
    }
    case Json::Kind::kString:
      write_string(writer, *value.as_string(), false);
      break;
    case Json::Kind::kArray:
      writer.StartArray();
      for (const Json& item : *value.as_array()) write_value(writer, item);
      writer.EndArray();
      break;
    case Json::Kind::kObject:
      writer.StartObject();
      for (const JsonMember& m : *value.as_object()) {
        write_string(writer, m.key, true);
        write_value(writer, m.value);
      }
      writer.EndObject();
      break;
  }
}

bool objects_equal(const Json::Object& a, const Json::Object& b) {
  if (a.size() != b.size()) return false;
  // Fast path: same keys in the same order.
  std::size_t i = 0;
  for (; i < a.size(); ++i) {
    if (a[i].key != b[i].key) break;
    if (!(a[i].value == b[i].value)) return false;
  }
  if (i == a.size()) return true;
  // Members are unordered: look each remaining key of `a` up in `b`.
  if (a.size() - i <= kLinearKeyScanLimit) {
    for (std::size_t k = i; k < a.size(); ++k) {
      bool found = false;
      for (std::size_t m = i; m < b.size(); ++m) {
        if (b[m].key == a[k].key) {
          if (!(b[m].value == a[k].value)) return false;
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  std::unordered_map<std::string_view, const Json*> index;
  index.reserve(b.size() - i);
  for (std::size_t m = i; m < b.size(); ++m) index.emplace(b[m].key, &b[m].value);
  for (std::size_t k = i; k < a.size(); ++k) {
    const auto it = index.find(a[k].key);
    if (it == index.end() || !(*it->second == a[k].value)) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Json

Json Json::boolean(bool value) {
  Json j;
  j.value_ = value;
  return j;
}

// A text that is not a JSON number literal (a broken precondition) yields null rather than
// a value that would make dump() emit invalid JSON.
Json Json::number_text(std::string text) {
  Json j;
  if (is_json_number(text)) j.value_ = Number{std::move(text)};
  return j;
}

Json Json::number(std::int64_t value) {
  std::array<char, 24> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  Json j;
  j.value_ = Number{std::string(buf.data(), res.ptr)};
  return j;
}

Json Json::number(double value) {
  if (!std::isfinite(value)) return Json();
  // Shortest text that round-trips; always a valid JSON literal for a finite double
  // (e.g. "0.1", "-0", "1e+300", "1e-07").
  std::array<char, 32> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  Json j;
  j.value_ = Number{std::string(buf.data(), res.ptr)};
  return j;
}

Json Json::string(std::string value) {
  Json j;
  j.value_ = std::move(value);
  return j;
}

Json Json::array(Array items) {
  Json j;
  j.value_ = std::move(items);
  return j;
}

Json Json::object() {
  Json j;
  j.value_ = Object{};
  return j;
}

Json::Kind Json::kind() const { return static_cast<Kind>(value_.index()); }

std::optional<bool> Json::as_bool() const {
  if (const bool* b = std::get_if<bool>(&value_)) return *b;
  return std::nullopt;
}

const std::string* Json::as_string() const { return std::get_if<std::string>(&value_); }

const std::string* Json::as_number_text() const {
  const Number* n = std::get_if<Number>(&value_);
  return n != nullptr ? &n->text : nullptr;
}

// nullopt also when the value lies outside the range of double (e.g. "1e-400"); the parser
// already refuses literals too large for a double.
std::optional<double> Json::as_double() const {
  const std::string* text = as_number_text();
  if (text == nullptr) return std::nullopt;
  double d = 0;
  const char* first = text->data();
  const char* last = first + text->size();
  const auto res = std::from_chars(first, last, d, std::chars_format::general);
  if (res.ec != std::errc() || res.ptr != last) return std::nullopt;
  return d;
}

std::optional<std::int64_t> Json::as_int() const {
  const std::string* text = as_number_text();
  if (text == nullptr) return std::nullopt;
  if (text->find_first_of(".eE") != std::string::npos) return std::nullopt;
  std::int64_t i = 0;
  const char* first = text->data();
  const char* last = first + text->size();
  const auto res = std::from_chars(first, last, i);
  if (res.ec != std::errc() || res.ptr != last) return std::nullopt;
  return i;
}

const Json::Array* Json::as_array() const { return std::get_if<Array>(&value_); }
Json::Array* Json::as_array() { return std::get_if<Array>(&value_); }

namespace {
const Json::Array& empty_array() {
  static const Json::Array kEmpty;
  return kEmpty;
}
}  // namespace

const Json::Array& Json::items() const {
  const Array* a = as_array();
  return a != nullptr ? *a : empty_array();
}

const Json::Array& Json::items_at(std::string_view key) const {
  const Json* v = find(key);
  return v != nullptr ? v->items() : empty_array();
}
const Json::Object* Json::as_object() const { return std::get_if<Object>(&value_); }
Json::Object* Json::as_object() { return std::get_if<Object>(&value_); }

const Json* Json::find(std::string_view key) const {
  const Object* members = as_object();
  if (members == nullptr) return nullptr;
  for (const JsonMember& m : *members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

Json* Json::find(std::string_view key) { return const_cast<Json*>(std::as_const(*this).find(key)); }

const std::string* Json::string_at(std::string_view key) const {
  const Json* v = find(key);
  return v != nullptr ? v->as_string() : nullptr;
}

const Json::Array* Json::array_at(std::string_view key) const {
  const Json* v = find(key);
  return v != nullptr ? v->as_array() : nullptr;
}

// On a value that is neither null nor an object, set() does nothing (and push() likewise on
// one that is neither null nor an array): a builder never discards existing data.
Json& Json::set(std::string key, Json value) {
  if (is_null()) value_ = Object{};
  Object* members = std::get_if<Object>(&value_);
  if (members == nullptr) return *this;
  for (JsonMember& m : *members) {
    if (m.key == key) {
      m.value = std::move(value);
      return *this;
    }
  }
  members->push_back(JsonMember{std::move(key), std::move(value)});
  return *this;
}

Json& Json::push(Json value) {
  if (is_null()) value_ = Array{};
  if (Array* items = std::get_if<Array>(&value_)) items->push_back(std::move(value));
  return *this;
}

bool Json::erase(std::string_view key) {
  Object* members = std::get_if<Object>(&value_);
  if (members == nullptr) return false;
  for (auto it = members->begin(); it != members->end(); ++it) {
    if (it->key == key) {
      members->erase(it);
      return true;
    }
  }
  return false;
}

std::string Json::dump(bool pretty) const {
  rapidjson::StringBuffer buffer;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    write_value(writer, *this);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    write_value(writer, *this);
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Deep equality. Numbers compare by their text ("1.0" != "1"); object members compare
// regardless of order.
bool operator==(const Json& a, const Json& b) {
  if (a.value_.index() != b.value_.index()) return false;
  if (const Json::Object* ao = std::get_if<Json::Object>(&a.value_)) {
    return objects_equal(*ao, std::get<Json::Object>(b.value_));
  }
  return a.value_ == b.value_;
}

// ---------------------------------------------------------------------------------------
// Parsing

std::string ParseError::to_string() const {
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

std::expected<Json, ParseError> parse_json(std::string_view text, const ParseOptions& options) {
  // RapidJSON's streams end at a NUL byte; parse up to the first one and refuse it after.
  const void* nul = text.empty() ? nullptr : std::memchr(text.data(), '\0', text.size());
  const std::size_t limit =
      nul != nullptr ? static_cast<std::size_t>(static_cast<const char*>(nul) - text.data())
                     : text.size();

  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseValidateEncodingFlag;
  rapidjson::MemoryStream stream(text.data(), limit);
  TreeBuilder builder(text, stream, options.max_depth);
  rapidjson::Reader reader;
  const rapidjson::ParseResult result = reader.Parse<kFlags>(stream, builder);

  if (!result.IsError() || result.Offset() >= limit) {
    if (nul != nullptr && !builder.failed())
      return std::unexpected(make_error(text, "unexpected NUL byte", limit));
  }
  if (result.IsError()) {
    if (result.Code() == rapidjson::kParseErrorTermination && builder.failed()) {
      return std::unexpected(make_error(text, builder.message(), builder.offset()));
    }
    return std::unexpected(make_error(text, reader_error_message(result.Code()), result.Offset()));
  }
  return builder.take_root();
}

}  // namespace ibd::fhir
