// Shared by the integration tests: scenario requests re-dated to today, and the test FHIR
// servers of tests/fhir-servers (a Medplum-backed real FHIR server and our fault server)
// started as child processes.
#pragma once

#include <memory>
#include <string>
#include <vector>

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

// The shipped config/ibd-cds.yaml with its paths made absolute and whole top-level sections
// replaced (or added): each entry is a YAML block that starts with its key, e.g.
// "storage:\n  url: sqlite:/tmp/x.db\n" or "profile: development\n". Written to `path`.
void write_config_sections(const std::string& path, const std::vector<std::string>& sections);

// `text` (a config) with storage and the audit key in the folder of `config_path`: each test
// server its own SQLite database, and a key file, so the production profile starts too. Both
// writers above use it; a `storage:` or `audit:` section given to write_config_sections wins.
std::string with_test_storage(const std::string& text, const std::string& config_path);

}  // namespace ibd::testing
