// Protocol-level request and response as the router and handlers see them. No Beast type
// appears here, so handlers and their tests stay free of the network.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/error.hpp"
#include "fhir/json.hpp"

namespace ibd::server {

struct Header {
  std::string name;  // as received; compare case-insensitively
  std::string value;
};

// Who called, once authentication has run (server/auth). Empty when auth is off.
struct Caller {
  std::string iss;     // the client's JWT issuer
  std::string tenant;  // the `tenant` claim, "" when none
  std::string jti;
  std::string sub;     // the `sub` claim when sent (not a CDS Hooks 2.0 claim), else ""
  bool authenticated = false;
  std::vector<std::string> fhir_servers;  // origins this client may name as fhirServer
};

struct Request {
  std::string method;                 // "GET", "POST", ...
  std::string target;                 // raw request target, e.g. "/cds-services/x?y=1"
  std::string path;                   // percent-decoded path, no query
  std::vector<std::string> segments;  // decoded path segments, empty ones dropped
  std::vector<Header> headers;
  std::string body;
  std::chrono::steady_clock::time_point received;  // when the header was complete
  Caller caller;                                   // filled by authentication
  std::string remote;                              // the peer's IP address, "" when unknown

  // First header with that name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<Header> headers;  // extra headers (Allow, WWW-Authenticate, ...)
  std::string body;

  static Response json(int status, const fhir::Json& body);
  // The one error rendering: {"error": code, "message": message}, or Error::resource as
  // application/fhir+json when the error carries one (412 OperationOutcome).
  static Response error(const Error& error);
  static Response error(ErrorKind kind, std::string message);
};

}  // namespace ibd::server
