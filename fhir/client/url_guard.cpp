#include "fhir/client/url_guard.hpp"

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <charconv>
#include <vector>

namespace ibd::fhir::client {
namespace {

namespace ip = boost::asio::ip;
namespace urls = boost::urls;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::expected<Origin, std::string> origin_of(const urls::url_view& u) {
  Origin o;
  o.scheme = lower(u.scheme());
  if (o.scheme != "https" && o.scheme != "http")
    return std::unexpected("the scheme must be https (or http on loopback)");
  if (u.has_userinfo()) return std::unexpected("a URL with user information is not accepted");
  // Boost.URL reads "https://h:443.evil.com/x" as port 443 and path ".evil.com/x"; a path
  // right after the authority must start with '/'.
  if (!u.encoded_path().empty() && !u.encoded_path().starts_with("/"))
    return std::unexpected("the URL has text after the port that is not a path");
  switch (u.host_type()) {
    case urls::host_type::ipv4:
      o.host = u.host_ipv4_address().to_string();
      o.host_is_ip = true;
      break;
    case urls::host_type::ipv6:
      o.host = u.host_ipv6_address().to_string();
      o.host_is_ip = true;
      break;
    case urls::host_type::name: {
      o.host = lower(u.host_address());
      while (!o.host.empty() && o.host.back() == '.') o.host.pop_back();
      const bool clean = !o.host.empty() && std::all_of(o.host.begin(), o.host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
      });
      if (!clean) return std::unexpected("the host name is not a valid DNS name");
      break;
    }
    default:
      return std::unexpected("the URL has no usable host");
  }
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0)
      return std::unexpected("the port is not a number from 1 to 65535");
    o.port = u.port_number();
  } else {
    o.port = o.scheme == "https" ? 443 : 80;
  }
  return o;
}

bool in_v4(const ip::address_v4& a, std::uint32_t net, unsigned prefix) {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (a.to_uint() & mask) == (net & mask);
}

bool v6_prefix_equal(const ip::address_v6::bytes_type& a, const ip::address_v6::bytes_type& b,
                     unsigned prefix) {
  for (unsigned bit = 0; bit < prefix; bit += 8) {
    const unsigned take = std::min(8u, prefix - bit);
    const auto mask = static_cast<unsigned char>(0xFFu << (8 - take));
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

// The built-in refusals for an IPv4 address (also applied to IPv4-mapped IPv6).
bool v4_refused(const ip::address_v4& a) {
  return in_v4(a, 0x00000000, 8)                          // 0.0.0.0/8 "this network"
         || in_v4(a, 0xA9FE0000, 16)                      // 169.254/16 link-local, cloud metadata
         || in_v4(a, 0xE0000000, 4)                       // multicast
         || in_v4(a, 0xF0000000, 4)                       // reserved and broadcast
         || a == ip::make_address_v4("100.100.100.200");  // Alibaba Cloud metadata
}

// The IPv4 addresses an IPv6 address carries by a transition mechanism, each of which may
// reach that IPv4 host: IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d (deprecated,
// RFC 4291 §2.5.5.1), NAT64 64:ff9b::/96 (RFC 6052) and the local-use 64:ff9b:1::/48
// (RFC 8215, address in the last 32 bits), 6to4 2002:AABB:CCDD::/16 (RFC 3056) and Teredo
// 2001:0::/32 (RFC 4380: the server in bits 32-63, the client obfuscated in the last 32).
std::vector<ip::address_v4> embedded_v4(const ip::address_v6& a) {
  const auto b = a.to_bytes();
  auto v4_at = [&](std::size_t i, bool inverted = false) {
    std::uint32_t v = (std::uint32_t{b[i]} << 24) | (std::uint32_t{b[i + 1]} << 16) |
                      (std::uint32_t{b[i + 2]} << 8) | std::uint32_t{b[i + 3]};
    return ip::address_v4(inverted ? ~v : v);
  };
  auto zero = [&](std::size_t from, std::size_t to) {
    return std::all_of(b.begin() + static_cast<std::ptrdiff_t>(from),
                       b.begin() + static_cast<std::ptrdiff_t>(to),
                       [](unsigned char c) { return c == 0; });
  };
  std::vector<ip::address_v4> out;
  if (a.is_v4_mapped()) {
    out.push_back(v4_at(12));
  } else if (zero(0, 12)) {
    // ::a.b.c.d, but not :: and ::1 (which are IPv6's own unspecified and loopback).
    if (!a.is_unspecified() && !a.is_loopback()) out.push_back(v4_at(12));
  } else if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
             (zero(4, 12) || (b[4] == 0x00 && b[5] == 0x01))) {
    out.push_back(v4_at(12));
  } else if (b[0] == 0x20 && b[1] == 0x02) {
    out.push_back(v4_at(2));
  } else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) {
    out.push_back(v4_at(4));
    out.push_back(v4_at(12, true));
  }
  return out;
}

}  // namespace

std::string Origin::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = scheme + "://" + (v6 ? "[" + host + "]" : host);
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  if (!default_port) out += ":" + std::to_string(port);
  return out;
}

bool Network::contains(const ip::address& a) const {
  if (address.is_v4() && a.is_v4()) return in_v4(a.to_v4(), address.to_v4().to_uint(), prefix);
  if (address.is_v6() && a.is_v6())
    return v6_prefix_equal(a.to_v6().to_bytes(), address.to_v6().to_bytes(), prefix);
  if (address.is_v4() && a.is_v6()) {
    // An IPv4 network also holds the IPv6 forms that lead to its addresses (mapped,
    // compatible, NAT64, 6to4, Teredo).
    for (const ip::address_v4& v4 : embedded_v4(a.to_v6()))
      if (in_v4(v4, address.to_v4().to_uint(), prefix)) return true;
  }
  return false;
}

std::expected<Network, std::string> parse_network(std::string_view text) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const std::string addr(text.substr(0, slash));
  Network n;
  n.address = ip::make_address(addr, ec);
  if (ec) return std::unexpected("'" + addr + "' is not an IP address");
  const unsigned max = n.address.is_v4() ? 32 : 128;
  n.prefix = max;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    unsigned value = 0;
    auto [end, err] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (err != std::errc{} || end != p.data() + p.size() || p.empty() || value > max)
      return std::unexpected("'" + std::string(p) + "' is not a prefix length up to " +
                             std::to_string(max));
    n.prefix = value;
  }
  return n;
}

std::expected<BaseUrl, std::string> parse_base_url(std::string_view text) {
  auto parsed = urls::parse_absolute_uri(text);
  if (!parsed) return std::unexpected("not an absolute URL");
  if (parsed->has_query() || parsed->has_fragment())
    return std::unexpected("a FHIR base URL has no query or fragment");
  auto origin = origin_of(*parsed);
  if (!origin) return std::unexpected(origin.error());
  urls::url u(*parsed);
  u.normalize_path();
  BaseUrl base{std::move(*origin), std::string(u.encoded_path())};
  if (base.path.empty() || base.path.back() != '/') base.path.push_back('/');
  if (base.path.find("/../") != std::string::npos || base.path.find("/./") != std::string::npos)
    return std::unexpected("the base URL path has dot segments");
  return base;
}

std::expected<Origin, std::string> parse_origin(std::string_view text) {
  auto parsed = urls::parse_absolute_uri(text);
  if (!parsed) return std::unexpected("not an absolute URL");
  if (parsed->has_query() || parsed->has_fragment())
    return std::unexpected("an origin has no query or fragment");
  return origin_of(*parsed);
}

bool is_loopback_host(const Origin& origin) {
  if (origin.host == "localhost") return true;
  boost::system::error_code ec;
  const auto a = ip::make_address(origin.host, ec);
  return !ec && a.is_loopback();
}

std::expected<void, std::string> check_origin(const Origin& origin, const OriginPolicy& policy) {
  const bool loopback = is_loopback_host(origin);
  if (loopback && !policy.allow_loopback)
    return std::unexpected("a loopback fhirServer is not allowed on this server");
  if (origin.scheme == "http" && !loopback)
    return std::unexpected("fhirServer must use https (http only on loopback, for tests)");
  if (origin.host_is_ip) {
    const auto a = ip::make_address(origin.host);
    if (!is_address_allowed(a, policy))
      return std::unexpected("fhirServer points at a forbidden network address");
  }
  if (std::find(policy.allowed.begin(), policy.allowed.end(), origin) == policy.allowed.end())
    return std::unexpected("fhirServer " + origin.to_string() +
                           " is not among the FHIR servers this service may call");
  return {};
}

bool is_address_allowed(const ip::address& address, const OriginPolicy& policy) {
  for (const Network& n : policy.forbidden)
    if (n.contains(address)) return false;
  if (address.is_unspecified()) return false;
  if (address.is_loopback()) return policy.allow_loopback;
  if (address.is_v4()) return !v4_refused(address.to_v4());
  const ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    const auto v4 = ip::make_address_v4(ip::v4_mapped, v6);
    if (v4.is_loopback()) return policy.allow_loopback;
    return !v4_refused(v4);
  }
  // Transition forms (IPv4-compatible, NAT64, 6to4, Teredo) may reach the IPv4 host they
  // carry: refused when that host would be, and always when it is loopback or unspecified
  // (nobody needs to reach this host through them).
  for (const ip::address_v4& v4 : embedded_v4(v6))
    if (v4.is_loopback() || v4.is_unspecified() || v4_refused(v4)) return false;
  if (v6.is_link_local() || v6.is_multicast() || v6.is_site_local()) return false;
  static const auto kAwsMetadata = ip::make_address_v6("fd00:ec2::254");
  return v6 != kAwsMetadata;
}

std::expected<std::string, std::string> same_origin_target(const BaseUrl& base,
                                                           std::string_view link) {
  auto ref = urls::parse_uri_reference(link);
  if (!ref) return std::unexpected("the link is not a URL");
  urls::url resolved;
  const std::string base_text = base.text();  // the view below points into it
  auto base_url = urls::parse_absolute_uri(base_text);
  if (!base_url) return std::unexpected("the base URL is not valid");
  auto r = urls::resolve(*base_url, *ref, resolved);
  if (!r) return std::unexpected("the link cannot be resolved against the base URL");
  auto origin = origin_of(resolved);
  if (!origin) return std::unexpected("the link " + origin.error());
  if (*origin != base.origin) {
    if (origin->host == base.origin.host && origin->scheme != base.origin.scheme)
      return std::unexpected("the link changes the scheme to " + origin->scheme);
    return std::unexpected("the link leads to another origin");
  }
  resolved.normalize_path();
  std::string target(resolved.encoded_path());
  if (target.empty()) target = "/";
  if (resolved.has_query()) target += "?" + std::string(resolved.encoded_query());
  return target;
}

std::expected<std::pair<BaseUrl, std::string>, std::string> parse_url_target(std::string_view url) {
  auto parsed = urls::parse_absolute_uri(url);
  if (!parsed) return std::unexpected("not an absolute URL");
  if (parsed->has_fragment()) return std::unexpected("a URL to fetch has no fragment");
  auto origin = origin_of(*parsed);
  if (!origin) return std::unexpected(origin.error());
  urls::url u(*parsed);
  u.normalize_path();
  std::string target(u.encoded_path());
  if (target.empty()) target = "/";
  if (u.has_query()) target += "?" + std::string(u.encoded_query());
  return std::pair<BaseUrl, std::string>{BaseUrl{std::move(*origin), "/"}, std::move(target)};
}

std::string target_for(const BaseUrl& base, std::string_view relative) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  std::string out = base.path;
  for (char ch : relative) {
    const auto c = static_cast<unsigned char>(ch);
    // RFC 3986 pchar / query characters pass; '%' is assumed to start an escape already made.
    const bool plain = std::isalnum(c) ||
                       std::string_view("-._~!$&'()*+,;=:@/?%").find(ch) != std::string_view::npos;
    if (plain) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace ibd::fhir::client
