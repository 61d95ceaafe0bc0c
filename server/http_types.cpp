#include "server/http_types.hpp"

#include <algorithm>
#include <cstddef>

namespace ibd::server {
namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// What the client sees for a fault of ours, whatever the Error carries.
constexpr const char* kInternalMessage = "internal error";

}  // namespace

const std::string* Request::header(std::string_view name) const {
  auto it = std::find_if(headers.begin(), headers.end(),
                         [&](const Header& h) { return iequals(h.name, name); });
  return it == headers.end() ? nullptr : &it->value;
}

Response Response::json(int status, const fhir::Json& body) {
  Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body.dump();
  return response;
}

Response Response::error(const Error& error) {
  const int status = http_status(error.kind);
  // A resource (an OperationOutcome for 412) replaces the generic body. Never for kInternal:
  // a fault of ours is answered generically, whatever was attached to it.
  if (error.resource.has_value() && error.kind != ErrorKind::kInternal) {
    Response response;
    response.status = status;
    response.content_type = "application/fhir+json";
    response.body = error.resource->dump();
    return response;
  }
  // `internal` is for the log only and never reaches the client. For kInternal the message is
  // replaced too: the client sees only the generic text.
  fhir::Json body = fhir::Json::object();
  body.set("error", fhir::Json::string(error_code(error.kind)));
  body.set("message",
           fhir::Json::string(error.kind == ErrorKind::kInternal ? std::string(kInternalMessage)
                                                                 : error.message));
  return json(status, body);
}

Response Response::error(ErrorKind kind, std::string message) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  return error(e);
}

}  // namespace ibd::server
