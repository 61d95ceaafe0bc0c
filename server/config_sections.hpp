// Readers for the sections of config/ibd-cds.yaml that concern the network edge (auth, CORS,
// the FHIR client). Internal to the config library; see config.hpp for the structs.
#pragma once

#include <filesystem>
#include <string>

#include "server/config.hpp"
#include "server/yaml_map.hpp"

namespace ibd::config {

// A path from the file, relative to the file's own folder unless absolute.
std::filesystem::path resolve(const std::filesystem::path& base_file, const std::string& path);

AuthSection read_auth(yaml::Map& top, const std::filesystem::path& file);
CorsSection read_cors(yaml::Map& top);
FhirClientSection read_fhir_client(yaml::Map& top, const std::filesystem::path& file);

}  // namespace ibd::config
