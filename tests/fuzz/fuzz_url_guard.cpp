// fuzz_url_guard: the checks that decide where the FHIR client may send an access token
// (fhir/client/url_guard.hpp). Input: a base URL up to the first newline, then a link as a
// FHIR server could put in Bundle.link "next" (or an EHR in a partly prefetched Bundle).
// Properties:
//  - parse_base_url: an accepted base is http(s) with a non-empty lower-case host, a port,
//    and a path that starts and ends with '/'; parsing its text() again gives the same base
//    (normalisation is idempotent); parse_origin of the same text gives the same origin;
//  - same_origin_target: an accepted target starts with '/', has no fragment, space or
//    control byte, and is on the base's origin: the base's origin + target parses back (by
//    parse_url_target) to that very origin and target;
//  - target_for starts with the base path, and writes no space, '#' or control byte;
//  - check_origin accepts only origins in the allow list, never plain http off loopback.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/client/url_guard.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace client = ibd::fhir::client;

bool clean_target_char(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c > 0x20 && c < 0x7F && c != '#';
}

void check_origin_shape(const client::Origin& o) {
  FUZZ_CHECK(o.scheme == "https" || o.scheme == "http");
  FUZZ_CHECK(!o.host.empty());
  FUZZ_CHECK(o.port != 0);
  for (char c : o.host) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
  FUZZ_CHECK(o.host.back() != '.');
}

const client::OriginPolicy& policy() {
  static const client::OriginPolicy p = [] {
    client::OriginPolicy out;
    for (const char* text : {"https://ehr.example.org", "https://fhir.example.org:8443",
                             "https://[2001:db8::1]", "http://localhost:8080"}) {
      auto o = client::parse_origin(text);
      if (!o) ibd::fuzz::fail("a policy origin does not parse", __FILE__, __LINE__);
      out.allowed.push_back(*o);
    }
    return out;
  }();
  return p;
}

void check_policy(const client::Origin& o) {
  if (!client::check_origin(o, policy())) return;
  bool listed = false;
  for (const auto& a : policy().allowed) listed = listed || a == o;
  FUZZ_CHECK(listed);
  FUZZ_CHECK(!client::is_loopback_host(o));  // the policy does not allow loopback
  FUZZ_CHECK(o.scheme == "https");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [base_text, link] = ibd::fuzz::split_once(ibd::fuzz::as_text(data, size), '\n');

  auto origin = client::parse_origin(base_text);
  if (origin) {
    check_origin_shape(*origin);
    check_policy(*origin);
    auto again = client::parse_origin(origin->to_string());
    FUZZ_CHECK(again.has_value() && *again == *origin);
  }

  auto base = client::parse_base_url(base_text);
  if (!base) {
    // Something that is not a base URL may still be a URL to fetch.
    if (auto t = client::parse_url_target(base_text)) {
      check_origin_shape(t->first.origin);
      FUZZ_CHECK(t->second.starts_with("/"));
      FUZZ_CHECK(t->second.find('#') == std::string::npos);
    }
    return 0;
  }
  check_origin_shape(base->origin);
  FUZZ_CHECK(origin.has_value() && *origin == base->origin);
  FUZZ_CHECK(base->path.starts_with("/") && base->path.ends_with("/"));
  const std::string text = base->text();
  auto reparsed = client::parse_base_url(text);
  FUZZ_CHECK(reparsed.has_value());
  FUZZ_CHECK(reparsed->origin == base->origin);
  FUZZ_CHECK(reparsed->path == base->path);
  FUZZ_CHECK(reparsed->text() == text);

  auto target = client::same_origin_target(*base, link);
  if (target) {
    FUZZ_CHECK(target->starts_with("/"));
    for (char c : *target) FUZZ_CHECK(clean_target_char(c));
    auto back = client::parse_url_target(base->origin.to_string() + *target);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(back->first.origin == base->origin);
    FUZZ_CHECK(back->second == *target);
  }

  const std::string relative = client::target_for(*base, link);
  FUZZ_CHECK(relative.starts_with(base->path));
  for (char c : relative) FUZZ_CHECK(clean_target_char(c));
  return 0;
}
