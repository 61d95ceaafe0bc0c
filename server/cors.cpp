#include "server/cors.hpp"

#include <algorithm>
#include <cctype>

namespace ibd::server {
namespace {

// "HTTPS://Sandbox.Example:443" -> "https://sandbox.example"; "" when it is no origin.
std::string normalise_origin(std::string origin) {
  std::transform(origin.begin(), origin.end(), origin.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (origin.starts_with("https://") && origin.ends_with(":443")) origin.resize(origin.size() - 4);
  if (origin.starts_with("http://") && origin.ends_with(":80")) origin.resize(origin.size() - 3);
  return origin;
}

std::optional<std::string> allowed_origin(const Request& request, const CorsPolicy& policy) {
  const std::string* origin = request.header("Origin");
  if (origin == nullptr || origin->empty() || origin->size() > 256) return std::nullopt;
  if (policy.any_origin) return std::string("*");
  const std::string normal = normalise_origin(*origin);
  if (std::find(policy.origins.begin(), policy.origins.end(), normal) == policy.origins.end())
    return std::nullopt;
  return *origin;
}

}  // namespace

bool is_preflight(const Request& request) {
  return request.method == "OPTIONS" && request.header("Origin") != nullptr &&
         request.header("Access-Control-Request-Method") != nullptr;
}

Response answer_preflight(const Request& request, const CorsPolicy& policy) {
  auto origin = allowed_origin(request, policy);
  if (!origin)
    return Response::error(ErrorKind::kForbidden, "this origin may not call the service");
  Response r;
  r.status = 204;
  r.content_type.clear();
  r.headers.push_back({"Access-Control-Allow-Origin", *origin});
  r.headers.push_back({"Access-Control-Allow-Methods", "GET, POST, OPTIONS"});
  r.headers.push_back({"Access-Control-Allow-Headers", "Authorization, Content-Type"});
  r.headers.push_back({"Access-Control-Max-Age", std::to_string(policy.max_age.count())});
  r.headers.push_back({"Vary", "Origin"});
  return r;
}

void add_cors_headers(const Request& request, Response& response, const CorsPolicy& policy) {
  auto origin = allowed_origin(request, policy);
  if (!origin) return;
  response.headers.push_back({"Access-Control-Allow-Origin", *origin});
  response.headers.push_back({"Access-Control-Expose-Headers", "WWW-Authenticate"});
  response.headers.push_back({"Vary", "Origin"});
}

}  // namespace ibd::server
