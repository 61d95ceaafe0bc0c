// Configuration: config/ibd-cds.yaml (server, auth switch, cards, services), the rules file
// and the value sets it points to, parsed into typed structs.
//
// Strict: an unknown key, a missing required key or a bad value fails loading with
// "file:line:column: key.path: what is wrong". Relative paths in the file are relative to
// the file's own folder. Secrets never live in this file (auth, when it comes, reads them
// from files or the environment).
// load_config() reads files; everything it returns is immutable and thread-safe to share.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "fhir/client/client.hpp"
#include "hooks/engine.hpp"

namespace ibd::config {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

struct ServerSection {
  ListenAddress listen;
  unsigned threads = 0;  // 0 = one per core
  std::size_t body_limit_bytes = 1024 * 1024;
  std::size_t header_limit_bytes = 16 * 1024;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds shutdown_grace{10'000};
};

// Fetching what the EHR did not prefetch (fhir_client: in the file).
struct FhirClientSection {
  bool enabled = true;
  fhir::client::ClientOptions options;  // allowed servers, loopback, limits, budget
};

struct AppConfig {
  std::filesystem::path file;
  ServerSection server;
  bool auth_enabled = false;
  FhirClientSection fhir_client;
  std::string log_level = "info";
  std::shared_ptr<hooks::EngineConfig> engine;  // rules, terminology, catalog, card style
};

std::expected<AppConfig, std::string> load_config(const std::filesystem::path& file);

// "127.0.0.1:8080", "[::1]:0", "localhost:8080". The error says what is wrong.
std::expected<ListenAddress, std::string> parse_listen(const std::string& text);
// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

}  // namespace ibd::config
