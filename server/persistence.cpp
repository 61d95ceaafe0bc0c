#include "server/persistence.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ibd::server {

std::expected<store::StoreOptions, std::string> store_options(const config::AppConfig& config) {
  store::StoreOptions o;
  o.url = config.storage.url;
  o.busy_timeout = config.storage.busy_timeout;
  o.connections = config.storage.connections;
  if (!config.storage.password_file.empty()) {
    std::ifstream in(config.storage.password_file, std::ios::binary);
    if (!in)
      return std::unexpected("cannot read storage.password_file " +
                             config.storage.password_file.string());
    std::stringstream text;
    text << in.rdbuf();
    o.password = text.str();
    while (!o.password.empty() && (o.password.back() == '\n' || o.password.back() == '\r'))
      o.password.pop_back();
  } else if (!config.storage.password_env.empty()) {
    const char* value = std::getenv(config.storage.password_env.c_str());
    if (value == nullptr)
      return std::unexpected("storage.password_env names " + config.storage.password_env +
                             ", which is not set");
    o.password = value;
  }
  return o;
}

std::expected<Persistence, std::string> open_persistence(
    const config::AppConfig& config, std::shared_ptr<const hooks::Engine> engine) {
  auto options = store_options(config);
  if (!options) return std::unexpected(options.error());
  auto key = load_audit_key(config);
  if (!key) return std::unexpected("audit: " + key.error());
  auto opened = store::open_store(*options);
  if (!opened) return std::unexpected("storage: " + opened.error().message);
  Persistence p;
  p.store = std::move(*opened);
  const std::string path = store::sqlite_path_of(config.storage.url);
  spdlog::info("storage: {}{}{} (schema version {})", p.store->backend(), path.empty() ? "" : " ",
               path, p.store->schema_version());
  if (key->generated) {
    spdlog::warn("audit: generated a new audit key in {} (development); keep it: patient ids in "
                 "the audit trail can only be matched with it",
                 key->source.substr(5));
  } else {
    spdlog::info("audit: key {} read from the {}", key->key.id(), key->source);
  }
  AuditWriterOptions writer_options;
  writer_options.queue_limit = config.audit.queue_limit;
  p.writer = std::make_shared<AuditWriter>(p.store, writer_options);
  p.auditor = std::make_shared<const Auditor>(std::move(key->key), p.writer,
                                              engine->config().rules.version,
                                              config.audit.response_wait);
  p.feedback = std::make_shared<const FeedbackService>(engine, p.store, p.writer);
  return p;
}

}  // namespace ibd::server
