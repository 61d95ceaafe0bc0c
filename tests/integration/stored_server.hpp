// Integration helpers for feedback, audit and crash tests: a server (the real binary) on a
// test database of its own (tests/store/test_db.hpp), cards issued through real hook calls,
// feedback bodies, and the admin commands run as a separate process.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fhir/json.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/store/test_db.hpp"

namespace ibd::testing {

// The shipped config with `storage:` naming `db`, the audit key in db.folder()/audit.key
// (generated there at first start: the development profile), plus `extra` sections.
// Returns the config file's path (in db.folder()).
std::string write_stored_config(const TestDatabase& db, const std::vector<std::string>& extra = {});

struct IssuedCardRef {
  std::string service;
  std::string uuid;
  std::string rule;
  std::vector<std::string> suggestions;
};

// POSTs the scenario's request to `service` on a server; the cards it answered with.
std::vector<IssuedCardRef> issue_cards(std::uint16_t port, const std::string& scenario,
                                       const std::string& service = "ibd-patient-view");

// {"feedback":[...]} with one entry: accepted (the card's first suggestion) or overridden
// (a reason coding and a comment), at `timestamp`.
std::string feedback_body(const IssuedCardRef& card, bool accept, const std::string& timestamp);

// GET /health as JSON.
fhir::Json health(std::uint16_t port);
// Waits until /health says no audit record is waiting to be written.
bool wait_audit_written(std::uint16_t port, int timeout_ms = 10000);

// The pid of the running `ibd-cds serve` whose command line names `config_path`, or -1.
pid_t server_pid(const std::string& config_path);

// How many feedback rows each (card, outcomeTimestamp) has in the database.
std::map<std::pair<std::string, std::string>, int> feedback_counts(
    store::Store& store, const std::vector<IssuedCardRef>& cards);

}  // namespace ibd::testing
