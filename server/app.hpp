// The application's routes: discovery, the CDS services, health. Thin handlers: each parses,
// calls the engine, serialises. No Beast here; the listener is http_server.
// Thread-safe: handlers share only immutable state.
#pragma once

#include <functional>
#include <memory>

#include "fhir/client/client.hpp"
#include "fhir/datetime.hpp"
#include "hooks/engine.hpp"
#include "server/router.hpp"

namespace ibd::server {

class Auditor;

using Clock = std::function<fhir::TimePoint()>;
fhir::TimePoint system_now();

// Routes:
//   GET  /cds-services        discovery document
//   POST /cds-services/{id}   a hook call (application/json); 404 unknown id, 415 other
//                             content types, 400 invalid request, 403 fhirServer not allowed
//                             (when data must be fetched), 412 required data missing.
//                             Missing prefetch is fetched with `client` (null: fetching off).
// With a guard (production), every route but /health needs the guard's approval.
//   GET  /health              {"status":"ok", ...}
// With an auditor (server/audit.hpp), every hook call leaves an audit record, and /health
// reports the audit writer ("status": "degraded" while audit records cannot be written).
void add_routes(Router& router, std::shared_ptr<const hooks::Engine> engine,
                Clock clock = system_now,
                std::shared_ptr<fhir::client::FhirClient> client = nullptr, Guard guard = {},
                std::shared_ptr<const Auditor> auditor = nullptr);

// True for "application/json" with or without parameters (charset), any letter case.
bool is_json_content_type(std::string_view value);

}  // namespace ibd::server
