// Readers for the `storage:` and `audit:` sections of config/ibd-cds.yaml (feedback, issued
// cards and the audit trail). Internal to the config library; the structs are in config.hpp.
#pragma once

#include <filesystem>

#include "server/config.hpp"
#include "server/yaml_map.hpp"

namespace ibd::config {

// storage.url: "sqlite:PATH" (PATH relative to the config file's folder; made absolute here)
// or "postgresql://USER@HOST:PORT/DB?..." with no password in it (password_file or
// password_env hold it).
StorageSection read_storage(yaml::Map& top, const std::filesystem::path& file);
AuditSection read_audit(yaml::Map& top, const std::filesystem::path& file);

}  // namespace ibd::config
