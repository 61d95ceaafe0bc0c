// Start-up of everything that persists: the store named by `storage:` (opened and migrated),
// the audit key (audit:), the audit writer, the Auditor the hook route uses and the feedback
// service. Logs where the data lives and where the key came from, never the key or a
// password. Called once by `ibd-cds serve`; the admin commands only need store_options().
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "hooks/engine.hpp"
#include "server/audit.hpp"
#include "server/audit_writer.hpp"
#include "server/config.hpp"
#include "server/feedback.hpp"
#include "server/store/store.hpp"

namespace ibd::server {

// The StoreOptions of a configuration; reads the PostgreSQL password file or variable.
std::expected<store::StoreOptions, std::string> store_options(const config::AppConfig& config);

struct Persistence {
  std::shared_ptr<store::Store> store;
  std::shared_ptr<AuditWriter> writer;
  std::shared_ptr<const Auditor> auditor;
  std::shared_ptr<const FeedbackService> feedback;
};

std::expected<Persistence, std::string> open_persistence(
    const config::AppConfig& config, std::shared_ptr<const hooks::Engine> engine);

}  // namespace ibd::server
