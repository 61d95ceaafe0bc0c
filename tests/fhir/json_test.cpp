#include "fhir/json.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "fhir/error.hpp"

namespace ibd::fhir {
namespace {

using namespace std::string_literals;

Json parse_ok(std::string_view text, const ParseOptions& options = {}) {
  auto result = parse_json(text, options);
  EXPECT_TRUE(result.has_value()) << "input: " << text << "\nerror: "
                                  << (result ? std::string() : result.error().to_string());
  return result ? std::move(*result) : Json();
}

ParseError parse_fail(std::string_view text, const ParseOptions& options = {}) {
  auto result = parse_json(text, options);
  EXPECT_FALSE(result.has_value()) << "input unexpectedly accepted: " << text;
  return result ? ParseError{} : result.error();
}

// Joins pieces by appending. GCC 12 at -O2 warns falsely (-Wrestrict, GCC bug 105329) on
// `"literal" + std::string`, which -Werror turns into a build failure.
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

std::string key_of(int i) { return cat("k", std::to_string(i)); }

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// ---------------------------------------------------------------------------------------
// Parsing and round trips

TEST(JsonParse, ScalarsAtTopLevel) {
  EXPECT_TRUE(parse_ok("null").is_null());
  EXPECT_EQ(parse_ok("true").as_bool(), true);
  EXPECT_EQ(parse_ok(" false ").as_bool(), false);
  EXPECT_EQ(*parse_ok("\"x\"").as_string(), "x");
  EXPECT_EQ(*parse_ok("42").as_number_text(), "42");
}

TEST(JsonParse, ObjectRoundTripKeepsOrderAndKinds) {
  const std::string text = R"({"z":1,"a":[true,false,null,"s",{"k":[]}],"m":{}})";
  const Json j = parse_ok(text);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.as_object()->size(), 3u);
  EXPECT_EQ((*j.as_object())[0].key, "z");
  EXPECT_EQ((*j.as_object())[1].key, "a");
  EXPECT_EQ((*j.as_object())[2].key, "m");
  EXPECT_EQ(j.dump(), text);
  EXPECT_EQ(parse_ok(j.dump()), j);
}

TEST(JsonParse, StringEscapesDecodeAndReEscape) {
  const Json j =
      parse_ok(R"(["a\"b\\c\/d\b\f\n\r\t", "\u0041\u00e9\u20ac", "\ud83d\ude00", "nul\u0000x"])");
  const Json::Array& a = *j.as_array();
  EXPECT_EQ(*a[0].as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(*a[1].as_string(), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(*a[2].as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(*a[3].as_string(), "nul\0x"s);
  const std::string out = j.dump();
  EXPECT_EQ(out,
            "[\"a\\\"b\\\\c/"
            "d\\b\\f\\n\\r\\t\",\"A\xC3\xA9\xE2\x82\xAC\",\"\xF0\x9F\x98\x80\",\"nul\\u0000x\"]");
  EXPECT_EQ(parse_ok(out), j);
}

TEST(JsonParse, RawUtf8PassesThrough) {
  const std::string text = "{\"n\xC3\xA4me\":\"\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\"}";
  const Json j = parse_ok(text);
  EXPECT_EQ(*j.string_at("n\xC3\xA4me"), "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(j.dump(), text);
}

TEST(JsonParse, NumbersKeepTheirText) {
  const Json j = parse_ok(R"([1.50, 1e3, -0, 0.0, 1E+3, 2.5e-3, 123456789012345678901234567890])");
  const Json::Array& a = *j.as_array();
  EXPECT_EQ(*a[0].as_number_text(), "1.50");
  EXPECT_EQ(*a[1].as_number_text(), "1e3");
  EXPECT_EQ(*a[2].as_number_text(), "-0");
  EXPECT_EQ(*a[3].as_number_text(), "0.0");
  EXPECT_EQ(*a[4].as_number_text(), "1E+3");
  EXPECT_EQ(*a[5].as_number_text(), "2.5e-3");
  EXPECT_EQ(*a[6].as_number_text(), "123456789012345678901234567890");
  EXPECT_EQ(j.dump(), "[1.50,1e3,-0,0.0,1E+3,2.5e-3,123456789012345678901234567890]");
}

TEST(JsonNumber, AsIntOnlyForIntegralTextInRange) {
  const Json j = parse_ok(R"([42, -7, -0, 9223372036854775807, -9223372036854775808,
                              9223372036854775808, 1.0, 1e3, 1.5])");
  const Json::Array& a = *j.as_array();
  EXPECT_EQ(a[0].as_int(), 42);
  EXPECT_EQ(a[1].as_int(), -7);
  EXPECT_EQ(a[2].as_int(), 0);
  EXPECT_EQ(a[3].as_int(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(a[4].as_int(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(a[5].as_int(), std::nullopt);  // overflows int64
  EXPECT_EQ(a[6].as_int(), std::nullopt);  // not integral text
  EXPECT_EQ(a[7].as_int(), std::nullopt);
  EXPECT_EQ(a[8].as_int(), std::nullopt);
  EXPECT_EQ(Json::string("1").as_int(), std::nullopt);
}

TEST(JsonNumber, AsDouble) {
  const Json j = parse_ok(R"([1.50, 1e3, -0, 1E+3, 2.5e-3, 7])");
  const Json::Array& a = *j.as_array();
  EXPECT_EQ(a[0].as_double(), 1.5);
  EXPECT_EQ(a[1].as_double(), 1000.0);
  ASSERT_TRUE(a[2].as_double().has_value());
  EXPECT_EQ(*a[2].as_double(), 0.0);
  EXPECT_TRUE(std::signbit(*a[2].as_double()));
  EXPECT_EQ(a[3].as_double(), 1000.0);
  EXPECT_EQ(a[4].as_double(), 0.0025);
  EXPECT_EQ(a[5].as_double(), 7.0);
  EXPECT_EQ(Json::string("1.5").as_double(), std::nullopt);
  EXPECT_EQ(Json().as_double(), std::nullopt);
}

TEST(JsonNumber, FromDoubleIsShortestRoundTrip) {
  EXPECT_EQ(*Json::number(0.1).as_number_text(), "0.1");
  EXPECT_EQ(*Json::number(1.5).as_number_text(), "1.5");
  EXPECT_EQ(*Json::number(100.0).as_number_text(), "100");
  EXPECT_EQ(*Json::number(-0.0).as_number_text(), "-0");
  EXPECT_EQ(Json::number(0.1 + 0.2).as_double(), 0.1 + 0.2);
  const double big = 1.7976931348623157e308;
  EXPECT_EQ(Json::number(big).as_double(), big);
  // Every produced text must itself parse as a JSON number.
  for (double d : {1e-7, 1e21, 123456.789, -2.5e-300, 5e-324}) {
    const Json n = Json::number(d);
    ASSERT_TRUE(n.is_number()) << d;
    EXPECT_EQ(parse_ok(n.dump()).as_double(), d);
  }
}

TEST(JsonNumber, NonFiniteDoubleBecomesNull) {
  EXPECT_TRUE(Json::number(std::numeric_limits<double>::quiet_NaN()).is_null());
  EXPECT_TRUE(Json::number(std::numeric_limits<double>::infinity()).is_null());
  EXPECT_TRUE(Json::number(-std::numeric_limits<double>::infinity()).is_null());
}

TEST(JsonNumber, FromInt64AndText) {
  EXPECT_EQ(*Json::number(std::int64_t{-42}).as_number_text(), "-42");
  EXPECT_EQ(Json::number(std::numeric_limits<std::int64_t>::min()).as_int(),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(*Json::number_text("1.50").as_number_text(), "1.50");
  EXPECT_EQ(Json::number_text("1.50").dump(), "1.50");
  // Not a JSON number literal: refused rather than emitted as broken JSON.
  EXPECT_FALSE(Json::number_text("1,\"x\":2").is_number());
  EXPECT_FALSE(Json::number_text("01").is_number());
  EXPECT_FALSE(Json::number_text("NaN").is_number());
}

// ---------------------------------------------------------------------------------------
// Refusals

TEST(JsonParse, DepthExactlyAtLimitPassesOneMoreFails) {
  ParseOptions options;
  options.max_depth = 5;
  EXPECT_TRUE(parse_json(nested_arrays(5), options).has_value());
  const ParseError e = parse_fail(nested_arrays(6), options);
  EXPECT_EQ(e.message, "nesting deeper than 5");
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.column, 6u);  // the sixth '['
  EXPECT_EQ(e.offset, 5u);
}

TEST(JsonParse, DefaultDepthIs64AndObjectsCount) {
  EXPECT_TRUE(parse_json(nested_arrays(64)).has_value());
  EXPECT_EQ(parse_fail(nested_arrays(65)).message, "nesting deeper than 64");
  std::string objects;
  for (int i = 0; i < 65; ++i) objects += "{\"a\":";
  objects += cat("1", std::string(65, '}'));
  EXPECT_EQ(parse_fail(objects).message, "nesting deeper than 64");
  ParseOptions one;
  one.max_depth = 1;
  EXPECT_TRUE(parse_json("[1,2]", one).has_value());
  EXPECT_TRUE(parse_json("{\"a\":1}", one).has_value());
  EXPECT_FALSE(parse_json("[[]]", one).has_value());
  EXPECT_FALSE(parse_json("{\"a\":{}}", one).has_value());
}

TEST(JsonParse, HundredThousandDeepIsRefusedQuickly) {
  const std::string deep(100000, '[');
  const auto start = std::chrono::steady_clock::now();
  const ParseError e = parse_fail(deep);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.message, "nesting deeper than 64");
  EXPECT_EQ(e.column, 65u);
  EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST(JsonParse, DeepWithinAHugeLimitDoesNotRecurse) {
  // The parser itself is iterative: a generous limit and a deep (but unbalanced) input
  // must end in a syntax error, not a stack overflow.
  ParseOptions options;
  options.max_depth = 1000000;
  const ParseError e = parse_fail(std::string(100000, '['), options);
  EXPECT_EQ(e.offset, 100000u);
}

TEST(JsonParse, DuplicateKeyIsRefusedAndNamed) {
  const ParseError e = parse_fail(R"({"foo":1,"bar":2,"foo":3})");
  EXPECT_EQ(e.message, "duplicate key \"foo\"");
  EXPECT_EQ(e.column, 18u);  // the opening quote of the second "foo"
}

TEST(JsonParse, DuplicateKeyNestedIsRefused) {
  const ParseError e = parse_fail(R"({"a":{"x":1},"b":[{"y":1,"z":2,"y":3}]})");
  EXPECT_EQ(e.message, "duplicate key \"y\"");
  // The same key in different objects is fine.
  EXPECT_TRUE(parse_json(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})").has_value());
}

TEST(JsonParse, DuplicateKeyInLargeObjectAndEscapedSpelling) {
  std::string big = "{";
  for (int i = 0; i < 2000; ++i) big += cat("\"", key_of(i), "\":", std::to_string(i), ",");
  const std::string ok = big + "\"last\":0}";
  const Json j = parse_ok(ok);
  EXPECT_EQ(j.as_object()->size(), 2001u);
  EXPECT_EQ(j.find("k1999")->as_int(), 1999);
  EXPECT_EQ(parse_fail(big + "\"k1500\":0}").message, "duplicate key \"k1500\"");
  // Same key after unescaping; the early keys go through the small-object scan.
  EXPECT_EQ(parse_fail(R"({"ab":1,"\u0061b":2})").message, "duplicate key \"ab\"");
  EXPECT_EQ(parse_fail(big + R"("\u006b7":0})").message, "duplicate key \"k7\"");
}

TEST(JsonParse, DuplicateKeyMessageTruncatesAndEscapesLongKeys) {
  const std::string key(200, 'q');
  const ParseError e = parse_fail(cat("{\"", key, "\":1,\"", key, "\":2}"));
  EXPECT_EQ(e.message, cat("duplicate key \"", std::string(64, 'q'), "...\""));
  const ParseError ctrl = parse_fail(R"({"a\n\"b":1,"a\n\"b":2})");
  EXPECT_EQ(ctrl.message, R"(duplicate key "a\u000a\"b")");
  EXPECT_EQ(ctrl.column, 13u);  // the opening quote, not the escaped one inside the key
  // Cut on a UTF-8 boundary: "a" then 2-byte characters, so byte 64 is a continuation byte.
  std::string wide = "a";
  for (int i = 0; i < 100; ++i) wide += "\xC3\xA9";
  std::string kept = "a";
  for (int i = 0; i < 31; ++i) kept += "\xC3\xA9";
  EXPECT_EQ(parse_fail(cat("{\"", wide, "\":1,\"", wide, "\":2}")).message,
            cat("duplicate key \"", kept, "...\""));
}

TEST(JsonParse, InvalidUtf8IsRefused) {
  EXPECT_EQ(parse_fail("[\"a\xFF\"]").message, "invalid UTF-8 in string");
  EXPECT_FALSE(parse_json("[\"\xC0\xAF\"]").has_value());          // overlong '/'
  EXPECT_FALSE(parse_json("[\"\xED\xA0\x80\"]").has_value());      // encoded surrogate
  EXPECT_FALSE(parse_json("[\"\xF4\x90\x80\x80\"]").has_value());  // above U+10FFFF
  EXPECT_FALSE(parse_json("[\"\xE2\x82\"]").has_value());          // truncated
  EXPECT_FALSE(parse_json("{\"k\xFF\":1}").has_value());           // in a key
  EXPECT_FALSE(parse_json("\xFF").has_value());                    // outside a string
}

TEST(JsonParse, UnpairedSurrogateEscapesAreRefused) {
  EXPECT_FALSE(parse_json(R"(["\ud800"])").has_value());
  EXPECT_FALSE(parse_json(R"(["\ud800x"])").has_value());
  const ParseError low = parse_fail(R"(["ok", "x\udc00"])");
  EXPECT_EQ(low.message, "unpaired UTF-16 surrogate in \\u escape");
  EXPECT_EQ(low.column, 8u);
  EXPECT_FALSE(parse_json(R"({"\udfff":1})").has_value());
  // A genuine U+ED00-range character is fine.
  EXPECT_EQ(*parse_ok(R"("\ud7ff\ue000")").as_string(), "\xED\x9F\xBF\xEE\x80\x80");
}

TEST(JsonParse, LineAndColumnOnMultiLineInput) {
  const std::string text = "{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}";
  const ParseError e = parse_fail(text);
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 14u);  // the second ','
  EXPECT_EQ(text[e.offset], ',');
  EXPECT_EQ(e.to_string(), cat("line 3, column 14: ", e.message));

  const ParseError dup = parse_fail("{\r\n\"x\": 1,\r\n    \"x\": 2}");
  EXPECT_EQ(dup.line, 3u);
  EXPECT_EQ(dup.column, 5u);
}

TEST(JsonParse, TrailingContentIsRefused) {
  EXPECT_EQ(parse_fail("{} x").message, "unexpected content after the JSON value");
  EXPECT_EQ(parse_fail("{} x").column, 4u);
  EXPECT_FALSE(parse_json("1 2").has_value());
  EXPECT_FALSE(parse_json("[1]]").has_value());
  EXPECT_FALSE(parse_json("{}{}").has_value());
  EXPECT_TRUE(parse_json("{} \n\t\r ").has_value());
}

TEST(JsonParse, EmptyAndWhitespaceOnlyAreRefused) {
  EXPECT_EQ(parse_fail("").message, "the document is empty");
  EXPECT_EQ(parse_fail(std::string_view()).message, "the document is empty");
  EXPECT_EQ(parse_fail("").column, 1u);
  EXPECT_EQ(parse_fail(" \n\t ").message, "the document is empty");
  EXPECT_EQ(parse_fail(" \n\t ").line, 2u);
}

TEST(JsonParse, NonStandardSyntaxIsRefused) {
  for (const char* bad :
       {"[1,]",           "{\"a\":1,}",  "[NaN]",       "[Infinity]",   "[-Infinity]",
        "[01]",           "[1.]",        "[.5]",        "[1e]",         "[+1]",
        "['a']",          "{a:1}",       "[1 /* c */]", "// c\n1",      "[\"a\tb\"]",
        "\xEF\xBB\xBF{}", "[\"\\x41\"]", "{\"a\" 1}",   "[true false]", "[1e400]"}) {
    const auto r = parse_json(bad);
    EXPECT_FALSE(r.has_value()) << "accepted: " << bad;
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

TEST(JsonParse, NulByteIsRefused) {
  const std::string with_nul = "{}\0{}"s;
  const ParseError e = parse_fail(with_nul);
  EXPECT_EQ(e.message, "unexpected NUL byte");
  EXPECT_EQ(e.offset, 2u);
  EXPECT_FALSE(parse_json("[\"a\0b\"]"s).has_value());
  // An error before the NUL is reported as itself.
  EXPECT_EQ(parse_fail("[1,,\0]"s).offset, 3u);
}

TEST(JsonParse, ErrorMessagesNeverQuoteInput) {
  const std::string secret = "eyJhbGciOiJIUzI1NiJ9.SECRET-TOKEN";
  for (const std::string& bad :
       {cat("{\"token\": ", secret, "}"), cat("[\"", secret, "\" ", secret, "]"), cat("\"", secret),
        cat("[1, ", secret, "]")}) {
    const ParseError e = parse_fail(bad);
    EXPECT_EQ(e.message.find("SECRET"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("eyJ"), std::string::npos) << e.message;
  }
}

// ---------------------------------------------------------------------------------------
// Building and access

TEST(JsonBuild, SetOnNullMakesObjectReplacesOrAppends) {
  Json j;
  j.set("a", Json::number(std::int64_t{1})).set("b", Json::string("x"));
  ASSERT_TRUE(j.is_object());
  j.set("a", Json::boolean(true));
  EXPECT_EQ(j.dump(), R"({"a":true,"b":"x"})");
  EXPECT_EQ(j.as_object()->size(), 2u);
  // set() on another kind leaves it alone.
  Json s = Json::string("keep");
  s.set("a", Json());
  EXPECT_EQ(*s.as_string(), "keep");
}

TEST(JsonBuild, PushOnNullMakesArray) {
  Json j;
  j.push(Json::number(std::int64_t{1})).push(Json::string("two")).push(Json());
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j.dump(), R"([1,"two",null])");
  Json o = Json::object();
  o.push(Json());
  EXPECT_TRUE(o.is_object());
  EXPECT_TRUE(o.as_object()->empty());
  j.as_array()->pop_back();
  EXPECT_EQ(j.as_array()->size(), 2u);
}

TEST(JsonBuild, EraseRemovesOnlyThatKeyAndKeepsOrder) {
  Json j = parse_ok(R"({"a":1,"b":2,"c":3})");
  EXPECT_TRUE(j.erase("b"));
  EXPECT_FALSE(j.erase("b"));
  EXPECT_EQ(j.dump(), R"({"a":1,"c":3})");
  Json arr = Json::array();
  EXPECT_FALSE(arr.erase("a"));
}

TEST(JsonAccess, FindStringAtArrayAt) {
  Json j = parse_ok(R"({"s":"text","n":5,"a":[1,2],"o":{"s":"inner"}})");
  ASSERT_NE(j.find("s"), nullptr);
  EXPECT_EQ(j.find("missing"), nullptr);
  EXPECT_EQ(*j.string_at("s"), "text");
  EXPECT_EQ(j.string_at("n"), nullptr);        // mistyped
  EXPECT_EQ(j.string_at("missing"), nullptr);  // absent
  ASSERT_NE(j.array_at("a"), nullptr);
  EXPECT_EQ(j.array_at("a")->size(), 2u);
  EXPECT_EQ(j.array_at("s"), nullptr);
  EXPECT_EQ(*j.find("o")->string_at("s"), "inner");
  EXPECT_EQ(Json::array().find("s"), nullptr);
  EXPECT_EQ(Json::string("s").string_at("s"), nullptr);
  // The mutable find() edits in place.
  *j.find("n") = Json::string("five");
  EXPECT_EQ(*j.string_at("n"), "five");
}

TEST(JsonAccess, TypedAccessorsRefuseOtherKinds) {
  const Json s = Json::string("1");
  EXPECT_EQ(s.as_bool(), std::nullopt);
  EXPECT_EQ(s.as_number_text(), nullptr);
  EXPECT_EQ(s.as_array(), nullptr);
  EXPECT_EQ(s.as_object(), nullptr);
  EXPECT_EQ(Json::number(std::int64_t{1}).as_string(), nullptr);
  EXPECT_EQ(Json().kind(), Json::Kind::kNull);
  EXPECT_EQ(Json::object().kind(), Json::Kind::kObject);
  EXPECT_EQ(Json::array().kind(), Json::Kind::kArray);
}

// ---------------------------------------------------------------------------------------
// Dumping and equality

TEST(JsonDump, PrettyVersusCompact) {
  const Json j = parse_ok(R"({"a":[1,{"b":null}],"c":"d","e":{},"f":[]})");
  EXPECT_EQ(j.dump(), R"({"a":[1,{"b":null}],"c":"d","e":{},"f":[]})");
  EXPECT_EQ(j.dump(true),
            "{\n"
            "  \"a\": [\n"
            "    1,\n"
            "    {\n"
            "      \"b\": null\n"
            "    }\n"
            "  ],\n"
            "  \"c\": \"d\",\n"
            "  \"e\": {},\n"
            "  \"f\": []\n"
            "}");
  EXPECT_EQ(parse_ok(j.dump(true)), j);
  EXPECT_EQ(Json::string("x").dump(true), "\"x\"");
  EXPECT_EQ(Json().dump(), "null");
}

TEST(JsonDump, EscapesControlCharactersAndRepairsInvalidUtf8) {
  Json j;
  j.set("k\x01", Json::string("tab\there \x1f \"q\" </script>"));
  EXPECT_EQ(j.dump(), R"({"k\u0001":"tab\there \u001F \"q\" </script>"})");
  // Bytes that are not UTF-8 (only possible in values built in code) become U+FFFD.
  const Json bad = Json::string(
      "a\xFF"
      "b\xC3");
  EXPECT_EQ(bad.dump(),
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\"");
  EXPECT_TRUE(parse_json(bad.dump()).has_value());
}

TEST(JsonEquality, DeepEquality) {
  const Json a = parse_ok(R"({"x":[1,"2",{"y":null}],"z":true})");
  Json b;
  b.set("x",
        Json::array({Json::number(std::int64_t{1}), Json::string("2"), Json().set("y", Json())}));
  b.set("z", Json::boolean(true));
  EXPECT_EQ(a, b);
  Json c = b;
  c.find("x")->as_array()->at(2).set("y", Json::boolean(false));
  EXPECT_NE(a, c);
  EXPECT_NE(Json(), Json::boolean(false));
  EXPECT_NE(Json::string("1"), Json::number(std::int64_t{1}));
  EXPECT_NE(Json::array(), Json::object());
  EXPECT_NE(parse_ok("[1,2]"), parse_ok("[2,1]"));  // arrays are ordered
  EXPECT_NE(parse_ok(R"({"a":1})"), parse_ok(R"({"a":1,"b":2})"));
  EXPECT_NE(parse_ok(R"({"a":1})"), parse_ok(R"({"b":1})"));
}

TEST(JsonEquality, ObjectsAreUnorderedNumbersCompareByText) {
  EXPECT_EQ(parse_ok(R"({"a":1,"b":{"c":2,"d":3}})"), parse_ok(R"({"b":{"d":3,"c":2},"a":1})"));
  EXPECT_NE(parse_ok(R"({"a":1,"b":2})"), parse_ok(R"({"b":1,"a":2})"));
  EXPECT_NE(parse_ok("1.0"), parse_ok("1"));
  EXPECT_EQ(parse_ok("1.50"), Json::number_text("1.50"));
  // Large objects in different order.
  Json x;
  Json y;
  for (int i = 0; i < 100; ++i) x.set(key_of(i), Json::number(std::int64_t{i}));
  for (int i = 99; i >= 0; --i) y.set(key_of(i), Json::number(std::int64_t{i}));
  EXPECT_EQ(x, y);
  y.set("k50", Json::number(std::int64_t{-1}));
  EXPECT_NE(x, y);
}

// ---------------------------------------------------------------------------------------
// error.hpp

TEST(ErrorKinds, StatusAndCodeForEveryKind) {
  struct Row {
    ErrorKind kind;
    int status;
    const char* code;
  };
  const Row rows[] = {
      {ErrorKind::kInvalidRequest, 400, "invalid_request"},
      {ErrorKind::kUnauthorized, 401, "unauthorized"},
      {ErrorKind::kForbidden, 403, "forbidden"},
      {ErrorKind::kNotFound, 404, "not_found"},
      {ErrorKind::kMethodNotAllowed, 405, "method_not_allowed"},
      {ErrorKind::kPreconditionFailed, 412, "precondition_failed"},
      {ErrorKind::kPayloadTooLarge, 413, "payload_too_large"},
      {ErrorKind::kUnsupportedMediaType, 415, "unsupported_media_type"},
      {ErrorKind::kUnavailable, 503, "unavailable"},
      {ErrorKind::kInternal, 500, "internal_error"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(http_status(r.kind), r.status) << r.code;
    EXPECT_STREQ(error_code(r.kind), r.code);
  }
  EXPECT_EQ(Error::invalid("bad").kind, ErrorKind::kInvalidRequest);
  const Error internal = Error::internal_fault("db down");
  EXPECT_EQ(internal.message, "internal error");
  EXPECT_EQ(internal.internal, "db down");
}

}  // namespace
}  // namespace ibd::fhir
