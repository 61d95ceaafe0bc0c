// Shared by the integration tests: scenario requests re-dated to today, and the test FHIR
// servers of tests/fhir-servers (a Medplum-backed real FHIR server and our fault server)
// started as child processes.
#pragma once

#include <memory>
#include <string>

#include "fhir/json.hpp"
#include "tests/integration/http_client.hpp"
#include "tests/integration/server_process.hpp"

namespace ibd::testing {

// tests/scenarios/<name>.json's request, with every date moved so the scenario's "now" is
// today (the server judges freshness by its own clock).
fhir::Json scenario_request(const std::string& name);

fhir::Json body_json(const HttpReply& reply);

// Runs tests/fhir-servers/install.sh (npm ci when needed); false with the reason on failure.
bool install_fhir_servers(std::string& why);
std::string fhir_servers_dir();

// The shipped config/ibd-cds.yaml with its paths made absolute and the fhir_client section
// replaced by `fhir_client_yaml` (indented two spaces), written to `path`.
void write_config(const std::string& path, const std::string& fhir_client_yaml);

}  // namespace ibd::testing
