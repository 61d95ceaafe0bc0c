// The audit trail of hook calls: what goes into a record, the key that hides patient ids,
// and the per-call collector the hook route fills in.
//
// A record says when, which service and hook, the hookInstance, the client (iss, tenant), a
// keyed hash of the patient id (HMAC-SHA-256, never the id), a keyed fingerprint of the input
// data (context, prefetch and fetched resources; never the access token), the rule-set
// version, the cards sent with their rule ids, the HTTP status and the latency. The record is
// canonical JSON (fixed key order) so its chain hash can be recomputed by `audit verify`.
//
// Thread safety: AuditKey and Auditor are immutable after construction and safe to share;
// an AuditCall belongs to one request.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.hpp"
#include "hooks/engine.hpp"
#include "server/config.hpp"
#include "server/http_types.hpp"

namespace ibd::server {

class AuditWriter;

// The secret behind the keyed hashes. Outputs are "hmac-sha256:<hex>"; the key's id (a hash of
// the key, not the key) goes into each record so a rotated key can be told apart.
class AuditKey {
 public:
  explicit AuditKey(std::string secret);
  std::string patient(std::string_view patient_id) const;
  std::string fingerprint(std::string_view data) const;
  const std::string& id() const { return id_; }

 private:
  std::string secret_;
  std::string id_;
};

struct KeyLoad {
  AuditKey key;
  std::string source;      // "file /path", "environment variable NAME"
  bool generated = false;  // a new key file was written
};

// Reads the key from audit.key_file or audit.key_env (64 hex digits, or at least 32 bytes of
// text). With neither, or a key file that does not exist yet: in development a random key
// is written (0600) to that file, or next to the SQLite database; in production it is an
// error. The error says what to do and never contains key material.
std::expected<KeyLoad, std::string> load_audit_key(const config::AppConfig& config);

struct AuditedCard {
  std::string uuid;
  std::string rule_id;
  std::string rule_version;
  std::vector<std::string> suggestions;  // suggestion uuids
};

struct HookAuditRecord {
  std::int64_t time_ms = 0;  // Unix ms, when the call was received
  std::string service_id;
  std::string hook;
  std::string hook_instance;
  std::string client_iss;
  std::string tenant;
  std::string patient;  // keyed hash, "" when the request named none
  std::string input;    // keyed fingerprint, "" when the request could not be read
  std::string rule_set_version;
  std::vector<AuditedCard> cards;
  int status = 0;
  std::string error;  // error code (e.g. "invalid_request"), "" on success
  double latency_ms = 0;
  std::string key_id;
};

// Canonical JSON of a record, and back (for export and checks).
std::string audit_body(const HookAuditRecord& record);
std::expected<HookAuditRecord, std::string> parse_audit_body(std::string_view body);

// The cards of a CDS response: uuid, rule (extension org.ibd-cds.rule) and suggestion uuids.
std::vector<AuditedCard> cards_of_response(const fhir::Json& response);

// "2026-11-22T10:00:00.123Z"
std::string format_time_ms(std::int64_t unix_ms);
std::int64_t unix_ms(std::chrono::system_clock::time_point t);

// What the hook route needs: the key, the writer, the rule-set version, and how long a hook
// response may wait for its audit record to be on disk (audit.response_wait_ms).
class Auditor {
 public:
  Auditor(AuditKey key, std::shared_ptr<AuditWriter> writer, std::string rule_set_version,
          std::chrono::milliseconds response_wait = std::chrono::milliseconds(0));
  const AuditKey& key() const { return key_; }
  std::chrono::milliseconds response_wait() const { return response_wait_; }
  AuditWriter& writer() const { return *writer_; }
  const std::shared_ptr<AuditWriter>& writer_ptr() const { return writer_; }
  const std::string& rule_set_version() const { return rule_set_version_; }

 private:
  AuditKey key_;
  std::shared_ptr<AuditWriter> writer_;
  std::string rule_set_version_;
  std::chrono::milliseconds response_wait_;
};

// Collects one hook call as it goes and hands the record to the writer: at written(), or
// when destroyed, so every way out of the handler (an error, an exception: status 500) leaves
// a record. With a null auditor it does nothing.
class AuditCall {
 public:
  AuditCall(std::shared_ptr<const Auditor> auditor, std::string_view service_id,
            const Request& request);
  ~AuditCall();
  AuditCall(const AuditCall&) = delete;
  AuditCall& operator=(const AuditCall&) = delete;

  // After validation: hook, hookInstance, the patient's keyed hash.
  void prepared(const hooks::PreparedCall& call);
  // Before evaluation: the fingerprint of what will be evaluated.
  void input(const hooks::PreparedCall& call, const std::vector<hooks::FetchResult>& fetched);
  // The cards about to be sent.
  void cards(const fhir::Json& response);
  // The answer: its status (and error code) are recorded; returns it unchanged.
  Response done(Response response);
  // Hands the record over now and waits until it is on disk, at most the auditor's
  // response_wait (not at all while the writer is failing): answered cards then survive a
  // crash. Call from the handler's coroutine after done().
  boost::asio::awaitable<void> written();

 private:
  std::uint64_t submit() noexcept;

  std::shared_ptr<const Auditor> auditor_;
  HookAuditRecord record_;
  std::chrono::steady_clock::time_point started_;
  bool answered_ = false;
  bool submitted_ = false;
};

}  // namespace ibd::server
