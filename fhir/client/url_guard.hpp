// Which FHIR servers the client may talk to, and where a URL really points.
//
// A hook request names its FHIR server (`fhirServer`) and hands over an access token for it.
// That token must only ever reach a server the operator allowed, so:
//   - base URLs are parsed with Boost.URL and compared by origin (scheme, host, port) after
//     normalisation (letter case, default port, trailing dot, canonical IP text) — never by
//     string prefix; userinfo, query and fragment are refused;
//   - http is accepted only for a loopback host and only when the policy allows loopback;
//   - whatever a name resolves to is checked again: link-local, cloud metadata, multicast,
//     unspecified and configured networks are refused, loopback unless allowed, so DNS cannot
//     smuggle a request to 169.254.169.254 or to this machine.
// Pure functions; thread-safe.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace ibd::fhir::client {

struct Origin {
  std::string scheme;  // "https" or "http"
  std::string host;    // lower case, no trailing dot; IPv6 without brackets
  std::uint16_t port = 0;
  bool host_is_ip = false;

  std::string to_string() const;  // "https://ehr.example:8443", brackets for IPv6
  friend bool operator==(const Origin&, const Origin&) = default;
};

struct BaseUrl {
  Origin origin;
  std::string path;  // percent-encoded, always ends with '/': "/fhir/"
  std::string text() const { return origin.to_string() + path; }
};

// An IP network, e.g. 10.0.0.0/8 or fd00::/8.
struct Network {
  boost::asio::ip::address address;
  unsigned prefix = 0;
  bool contains(const boost::asio::ip::address& a) const;
};
std::expected<Network, std::string> parse_network(std::string_view text);

struct OriginPolicy {
  std::vector<Origin> allowed;     // exact origins that may be called
  bool allow_loopback = false;     // tests and development only
  std::vector<Network> forbidden;  // refused in addition to the built-in list
};

// Parses and normalises an absolute http(s) URL used as a FHIR base.
std::expected<BaseUrl, std::string> parse_base_url(std::string_view text);
// An origin as written in config: "https://ehr.example" or a whole base URL (its path is
// ignored).
std::expected<Origin, std::string> parse_origin(std::string_view text);

bool is_loopback_host(const Origin& origin);

// Whether the policy lets the client call this base URL at all (before any DNS lookup).
// The error says why not, without repeating anything secret.
std::expected<void, std::string> check_origin(const Origin& origin, const OriginPolicy& policy);

// Whether a resolved address may be connected to. Built-in refusals: unspecified, link-local
// (169.254/16, fe80::/10, including the cloud metadata services), multicast, broadcast,
// 0.0.0.0/8, the well-known metadata addresses (fd00:ec2::254, 100.100.100.200), and the
// IPv4-mapped forms of all of these; loopback unless allow_loopback.
bool is_address_allowed(const boost::asio::ip::address& address, const OriginPolicy& policy);

// A link from a response (Bundle.link next): absolute, or relative to the base. Returns the
// request target ("/fhir/Observation?..." ) when it is on the same origin as `base`, else
// an error naming the problem (another host, a scheme downgrade, userinfo...).
std::expected<std::string, std::string> same_origin_target(const BaseUrl& base,
                                                           std::string_view link);

// An absolute http(s) URL split into its base (origin, path "/") and request target.
std::expected<std::pair<BaseUrl, std::string>, std::string> parse_url_target(std::string_view url);

// "Observation?patient=1" (relative to the base) -> "/fhir/Observation?patient=1". Characters
// that may not appear in a request target are percent-encoded.
std::string target_for(const BaseUrl& base, std::string_view relative);

}  // namespace ibd::fhir::client
