#include "tests/integration/fixtures.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
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
  std::ofstream(path) << text;
}

}  // namespace ibd::testing
