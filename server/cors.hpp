// CORS for browser-based CDS clients (the CDS Hooks sandbox is one).
//
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered without a
// JWT: 204 with the allowed methods and headers for an allowed origin, 403 otherwise. Other
// responses to an allowed origin carry Access-Control-Allow-Origin and Vary: Origin. "*" may
// be configured, and then "*" is sent; Access-Control-Allow-Credentials is never sent (the
// JWT travels in the Authorization header, not in cookies). Pure; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "server/http_types.hpp"

namespace ibd::server {

struct CorsPolicy {
  std::vector<std::string> origins;  // normalised, e.g. "https://sandbox.cds-hooks.org"
  bool any_origin = false;
  std::chrono::seconds max_age{600};
  bool enabled() const { return any_origin || !origins.empty(); }
};

bool is_preflight(const Request& request);
Response answer_preflight(const Request& request, const CorsPolicy& policy);
void add_cors_headers(const Request& request, Response& response, const CorsPolicy& policy);

}  // namespace ibd::server
