#include "server/config_sections.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "fhir/json.hpp"

namespace ibd::config {

namespace fs = std::filesystem;
using yaml::Map;

fs::path resolve(const fs::path& base_file, const std::string& path) {
  fs::path p(path);
  return p.is_absolute() ? p : base_file.parent_path() / p;
}

namespace {

std::vector<fhir::client::Origin> origins(Map& m, const std::string& key) {
  std::vector<fhir::client::Origin> out;
  const YAML::Node node = m.node()[key];
  for (const std::string& text : m.strings(key)) {
    auto origin = fhir::client::parse_origin(text);
    if (!origin) m.source().fail(node, m.sub(key), text + ": " + origin.error());
    out.push_back(*origin);
  }
  return out;
}

std::string absolute_url(Map& m, const std::string& key) {
  const std::string text = m.string(key, "");
  if (!text.empty() && !fhir::client::parse_url_target(text))
    m.source().fail(m.node()[key], m.sub(key), "expected an absolute https URL");
  return text;
}

TrustedClient read_client(const yaml::Source& src, const YAML::Node& node, const std::string& path,
                          const fs::path& file) {
  Map m(src, node, path);
  TrustedClient c;
  c.iss = m.string("iss");
  if (c.iss.empty()) src.fail(node, path + ".iss", "is required");
  c.jwks_url = absolute_url(m, "jwks_url");
  const std::string jwks_file = m.string("jwks_file", "");
  if (!jwks_file.empty()) {
    const fs::path p = resolve(file, jwks_file);
    std::ifstream in(p, std::ios::binary);
    if (!in) src.fail(node["jwks_file"], path + ".jwks_file", "cannot read " + p.string());
    std::stringstream text;
    text << in.rdbuf();
    auto json = fhir::parse_json(text.str());
    if (!json) src.fail(node["jwks_file"], path + ".jwks_file", p.string() + ": not JSON");
    c.jwks = std::move(*json);
  }
  const std::string inline_jwks = m.string("jwks", "");
  if (!inline_jwks.empty()) {
    if (c.jwks) src.fail(node["jwks"], path + ".jwks", "give jwks or jwks_file, not both");
    auto json = fhir::parse_json(inline_jwks);
    if (!json) src.fail(node["jwks"], path + ".jwks", "not JSON");
    c.jwks = std::move(*json);
  }
  if (c.jwks_url.empty() && !c.jwks)
    src.fail(node, path, "needs jwks_url, jwks_file or jwks (the client's public keys)");
  const YAML::Node jku_node = node["jku_allowed"];
  for (const std::string& u : m.strings("jku_allowed")) {
    if (!fhir::client::parse_url_target(u))
      src.fail(jku_node, path + ".jku_allowed", u + ": expected an absolute https URL");
    c.jku_allowed.push_back(u);
  }
  c.tenants = m.strings("tenants");
  c.fhir_servers = origins(m, "fhir_servers");
  m.done();
  return c;
}

}  // namespace

AuthSection read_auth(Map& top, const fs::path& file) {
  AuthSection a;
  Map m(top.source(), top.take("auth"), "auth");
  a.external_url = m.string("external_url", "");
  while (!a.external_url.empty() && a.external_url.back() == '/') a.external_url.pop_back();
  if (!a.external_url.empty() && !fhir::client::parse_origin(a.external_url))
    m.source().fail(m.node()["external_url"], "auth.external_url", "expected an absolute URL");
  auto secs = [&](const char* key, std::chrono::seconds d, long long max) {
    return std::chrono::seconds(m.integer(key, d.count(), 0, max));
  };
  a.clock_skew = secs("clock_skew_s", a.clock_skew, 600);
  a.max_token_lifetime = secs("max_token_lifetime_s", a.max_token_lifetime, 3600);
  a.jwks_refresh_interval = secs("jwks_refresh_min_interval_s", a.jwks_refresh_interval, 86400);
  a.jwks_cache_min = secs("jwks_cache_min_s", a.jwks_cache_min, 86400);
  a.jwks_cache_max = secs("jwks_cache_max_s", a.jwks_cache_max, 7 * 86400);
  if (a.jwks_cache_min.count() < 1) a.jwks_cache_min = std::chrono::seconds(1);
  if (a.jwks_cache_max < a.jwks_cache_min) a.jwks_cache_max = a.jwks_cache_min;
  a.allow_loopback_jwks = m.boolean("allow_loopback_jwks", false);
  std::size_t i = 0;
  for (const YAML::Node& n : m.list("clients", false)) {
    a.clients.push_back(
        read_client(top.source(), n, "auth.clients[" + std::to_string(i++) + "]", file));
    for (std::size_t j = 0; j + 1 < a.clients.size(); ++j)
      if (a.clients[j].iss == a.clients.back().iss)
        top.source().fail(n, "auth.clients", "two clients with iss " + a.clients.back().iss);
  }
  m.done();
  return a;
}

CorsSection read_cors(Map& top) {
  CorsSection c;
  Map m(top.source(), top.take("cors"), "cors");
  const YAML::Node node = m.node()["allowed_origins"];
  for (const std::string& o : m.strings("allowed_origins")) {
    if (o == "*") {
      c.any_origin = true;
      continue;
    }
    auto origin = fhir::client::parse_origin(o);
    if (!origin) m.source().fail(node, "cors.allowed_origins", o + ": " + origin.error());
    c.allowed_origins.push_back(origin->to_string());
  }
  c.max_age = std::chrono::seconds(m.integer("max_age_s", 600, 0, 86400));
  m.done();
  return c;
}

FhirClientSection read_fhir_client(Map& top, const fs::path& file) {
  FhirClientSection f;
  Map m(top.source(), top.take("fhir_client"), "fhir_client");
  auto& o = f.options;
  f.enabled = m.boolean("enabled", true);
  const YAML::Node allowed_node = m.node()["allowed_servers"];
  for (const std::string& text : m.strings("allowed_servers")) {
    auto origin = fhir::client::parse_origin(text);
    if (!origin)
      top.source().fail(allowed_node, "fhir_client.allowed_servers", text + ": " + origin.error());
    o.policy.allowed.push_back(*origin);
  }
  o.policy.allow_loopback = m.boolean("allow_loopback", false);
  for (const fhir::client::Origin& origin : o.policy.allowed) {
    if (origin.scheme == "http" && !fhir::client::is_loopback_host(origin))
      top.source().fail(allowed_node, "fhir_client.allowed_servers",
                        origin.to_string() + ": http is allowed only for a loopback host");
    if (fhir::client::is_loopback_host(origin) && !o.policy.allow_loopback)
      top.source().fail(allowed_node, "fhir_client.allowed_servers",
                        origin.to_string() + ": a loopback server needs allow_loopback: true");
  }
  const YAML::Node forbidden_node = m.node()["forbidden_networks"];
  for (const std::string& text : m.strings("forbidden_networks")) {
    auto network = fhir::client::parse_network(text);
    if (!network)
      top.source().fail(forbidden_node, "fhir_client.forbidden_networks", network.error());
    o.policy.forbidden.push_back(*network);
  }
  const std::string ca = m.string("ca_file", "");
  if (!ca.empty()) o.ca_file = resolve(file, ca).string();
  auto ms = [&](const char* key, std::chrono::milliseconds d) {
    return std::chrono::milliseconds(m.integer(key, d.count(), 10, 60'000));
  };
  o.request_timeout = ms("request_timeout_ms", o.request_timeout);
  o.budget = ms("budget_ms", o.budget);
  o.max_response_bytes = static_cast<std::size_t>(m.integer(
      "max_response_bytes", static_cast<long long>(o.max_response_bytes), 1024, 256ll << 20));
  o.max_pages = static_cast<std::size_t>(m.integer("max_pages", 10, 1, 1000));
  o.max_idle_per_origin =
      static_cast<std::size_t>(m.integer("max_idle_connections_per_server", 8, 0, 1024));
  m.done();
  return f;
}

}  // namespace ibd::config
