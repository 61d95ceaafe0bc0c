#include "tests/integration/fixtures.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fhir/datetime.hpp"

namespace ibd::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void replace_line_value(std::string& text, const std::string& key, const std::string& value) {
  const auto at = text.find("\n" + key + ":");
  ASSERT_NE(at, std::string::npos) << key;
  const auto end = text.find('\n', at + 1);
  text.replace(at + 1, end - at - 1, key + ": " + value);
}

}  // namespace

fhir::Json scenario_request(const std::string& name) {
  auto scenario =
      fhir::parse_json(slurp(std::string(IBD_SOURCE_DIR) + "/tests/scenarios/" + name + ".json"));
  EXPECT_TRUE(scenario) << name;
  if (!scenario) return {};
  fhir::Json request = *scenario->find("request");
  const auto then = fhir::parse_date_time(*scenario->string_at("now"))->start;
  const auto today = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  fhir::shift_dates(request, fhir::days_between(then, today));
  return request;
}

fhir::Json body_json(const HttpReply& reply) {
  auto j = fhir::parse_json(reply.body);
  EXPECT_TRUE(j) << reply.body;
  return j ? *j : fhir::Json();
}

std::string fhir_servers_dir() { return std::string(IBD_SOURCE_DIR) + "/tests/fhir-servers"; }

bool install_fhir_servers(std::string& why) {
  const std::string command =
      fhir_servers_dir() + "/install.sh >/tmp/ibd-fhir-servers-install.log 2>&1";
  if (std::system(command.c_str()) == 0) return true;
  why = "tests/fhir-servers/install.sh failed: " + slurp("/tmp/ibd-fhir-servers-install.log");
  return false;
}

void write_config(const std::string& path, const std::string& fhir_client_yaml) {
  std::string text = slurp(config_path());
  const std::string dir = std::string(IBD_SOURCE_DIR) + "/config/";
  replace_line_value(text, "rules_file", dir + "rules.yaml");
  replace_line_value(text, "valuesets_dir", dir + "valuesets");
  // The fhir_client section runs from its key to the next top-level key.
  const auto start = text.find("\nfhir_client:");
  ASSERT_NE(start, std::string::npos);
  auto end = start + 1;
  while (true) {
    end = text.find('\n', end);
    ASSERT_NE(end, std::string::npos);
    ++end;
    if (end < text.size() && text[end] != ' ' && text[end] != '#' && text[end] != '\n') break;
  }
  text.replace(start + 1, end - start - 1, "fhir_client:\n" + fhir_client_yaml);
  std::ofstream(path) << with_test_storage(text, path);
}

}  // namespace ibd::testing

namespace ibd::testing {
namespace {

// Replaces (or adds) whole top-level sections of a config text.
std::string replace_sections(std::string text, const std::vector<std::string>& sections) {
  for (const std::string& section : sections) {
    const std::string key = section.substr(0, section.find(':'));
    const auto start = text.find("\n" + key + ":");
    if (start != std::string::npos) {
      // The section runs from its key to the next top-level key (or the end).
      auto end = text.find('\n', start + 1);
      while (end != std::string::npos) {
        ++end;
        if (end >= text.size() || (text[end] != ' ' && text[end] != '#' && text[end] != '\n'))
          break;
        end = text.find('\n', end);
      }
      text.erase(start + 1, (end == std::string::npos ? text.size() : end) - start - 1);
    }
    if (!text.empty() && text.back() != '\n') text += "\n";
    text += section;
    if (text.back() != '\n') text += "\n";
  }
  return text;
}

}  // namespace

std::string with_test_storage(const std::string& text, const std::string& config_path) {
  const std::string dir = std::filesystem::path(config_path).parent_path().string();
  const std::string key = dir + "/audit.key";
  if (!std::filesystem::exists(key)) {
    std::ofstream(key) << "7e5b0c2f41d98a3be6f1c0d27a4b9e8531f6d0ac2b7e49f8d3c1a6b05e927f14\n";
    std::filesystem::permissions(key, std::filesystem::perms::owner_read |
                                          std::filesystem::perms::owner_write);
  }
  return replace_sections(text, {"storage:\n  url: sqlite:" + dir + "/ibd-cds.db\n",
                                 "audit:\n  key_file: " + key + "\n"});
}

void write_config_sections(const std::string& path, const std::vector<std::string>& sections) {
  std::string text = slurp(config_path());
  const std::string dir = std::string(IBD_SOURCE_DIR) + "/config/";
  replace_line_value(text, "rules_file", dir + "rules.yaml");
  replace_line_value(text, "valuesets_dir", dir + "valuesets");
  std::ofstream(path) << replace_sections(with_test_storage(text, path), sections);
}

}  // namespace ibd::testing
