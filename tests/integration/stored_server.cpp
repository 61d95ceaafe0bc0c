#include "tests/integration/stored_server.hpp"

#include <dirent.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/integration/fixtures.hpp"
#include "tests/integration/http_client.hpp"

namespace ibd::testing {

std::string write_stored_config(const TestDatabase& db, const std::vector<std::string>& extra) {
  const std::string path = db.folder() + "/ibd-cds.yaml";
  std::vector<std::string> sections{db.storage_yaml(),
                                    "audit:\n  key_file: " + db.folder() + "/audit.key\n"};
  sections.insert(sections.end(), extra.begin(), extra.end());
  write_config_sections(path, sections);
  return path;
}

std::vector<IssuedCardRef> issue_cards(std::uint16_t port, const std::string& scenario,
                                       const std::string& service) {
  std::vector<IssuedCardRef> out;
  auto reply = http(port, "POST", "/cds-services/" + service, scenario_request(scenario).dump());
  EXPECT_TRUE(reply);
  if (!reply) return out;
  EXPECT_EQ(reply->status, 200) << reply->body;
  const fhir::Json body = body_json(*reply);
  for (const fhir::Json& card : body.items_at("cards")) {
    IssuedCardRef ref;
    ref.service = service;
    ref.uuid = *card.string_at("uuid");
    if (const fhir::Json* ext = card.find("extension"))
      if (const fhir::Json* rule = ext->find("org.ibd-cds.rule"))
        ref.rule = *rule->string_at("id");
    for (const fhir::Json& s : card.items_at("suggestions"))
      ref.suggestions.push_back(*s.string_at("uuid"));
    out.push_back(std::move(ref));
  }
  return out;
}

std::string feedback_body(const IssuedCardRef& card, bool accept, const std::string& timestamp) {
  fhir::Json entry = fhir::Json::object();
  entry.set("card", fhir::Json::string(card.uuid));
  entry.set("outcome", fhir::Json::string(accept ? "accepted" : "overridden"));
  if (accept) {
    fhir::Json ids = fhir::Json::array();
    if (!card.suggestions.empty())
      ids.push(fhir::Json::object().set("id", fhir::Json::string(card.suggestions.front())));
    entry.set("acceptedSuggestions", std::move(ids));
  } else {
    entry.set("overrideReason",
              fhir::Json::object()
                  .set("reason", fhir::Json::object()
                                     .set("system", fhir::Json::string("urn:ibd-cds:test"))
                                     .set("code", fhir::Json::string("not-now"))
                                     .set("display", fhir::Json::string("Not now")))
                  .set("userComment", fhir::Json::string("test comment")));
  }
  entry.set("outcomeTimestamp", fhir::Json::string(timestamp));
  return fhir::Json::object().set("feedback", fhir::Json::array({std::move(entry)})).dump();
}

fhir::Json health(std::uint16_t port) {
  auto reply = http(port, "GET", "/health");
  if (!reply) return {};
  auto json = fhir::parse_json(reply->body);
  return json ? *json : fhir::Json();
}

bool wait_audit_written(std::uint16_t port, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const fhir::Json h = health(port);
    const fhir::Json* audit = h.find("audit");
    if (audit != nullptr && audit->find("pending")->as_int() == 0 &&
        audit->find("ok")->as_bool() == true)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

pid_t server_pid(const std::string& config_path) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return -1;
  pid_t found = -1;
  while (dirent* e = ::readdir(proc)) {
    const std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in("/proc/" + name + "/cmdline", std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    std::string cmdline = s.str();
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    if (cmdline.find(" serve ") != std::string::npos &&
        cmdline.find(" " + config_path + " ") != std::string::npos) {
      found = static_cast<pid_t>(std::stol(name));
      break;
    }
  }
  ::closedir(proc);
  return found;
}

std::map<std::pair<std::string, std::string>, int> feedback_counts(
    store::Store& store, const std::vector<IssuedCardRef>& cards) {
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const IssuedCardRef& c : cards) {
    auto rows = store.feedback_of_card(c.uuid);
    EXPECT_TRUE(rows) << rows.error().message;
    if (!rows) continue;
    for (const auto& row : *rows) ++counts[{row.card_uuid, row.outcome_timestamp}];
  }
  return counts;
}

}  // namespace ibd::testing
