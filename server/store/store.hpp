// Durable storage for what must be auditable: the audit trail of hook calls (append-only,
// hash-chained), the cards each call issued, and the clinicians' feedback on them.
//
// Two backends behind one interface: SQLite (embedded, the default; WAL, synchronous=FULL,
// a busy timeout) and PostgreSQL (libpq; several server instances share one database). The
// schema is versioned and migrated when a store is opened (migrations.hpp).
//
// Every write is one transaction: when a call returns success the data is committed and
// flushed; when it returns an error nothing of it was stored. Errors of kind kUnavailable
// (database down, locked past the busy timeout, disk full) are the caller's 503.
// Nothing here logs; error messages name the operation and the database's own message,
// never the values written (no patient data is ever handed to the store in clear anyway).
// Thread safety: a Store may be used from many threads at once (a pool of connections).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ibd::store {

struct StoreError {
  enum class Kind {
    kUnavailable,  // the database cannot take the operation now: down, busy, full, read-only
    kInvalid,      // refused by a constraint (a bug or a concurrent writer's conflict)
    kSchema,       // the schema is newer than this program, or a migration failed
  };
  Kind kind = Kind::kUnavailable;
  std::string message;
};

template <class T>
using Result = std::expected<T, StoreError>;

// A card this server sent, as feedback validation needs it.
struct IssuedCard {
  std::string uuid;
  std::string service_id;
  std::string rule_id;
  std::string rule_version;
  std::vector<std::string> suggestion_uuids;
  std::string client_iss;  // "" when the call was not authenticated
  std::string tenant;
  std::int64_t issued_ms = 0;  // Unix time, milliseconds
  std::int64_t audit_seq = 0;  // the audit record that issued it (set by the store)
};

// One audit record to append. `body` is the record itself (canonical JSON made by
// server/audit); the store chains it: hash = chain_hash(previous hash, seq, body).
struct AuditAppend {
  std::int64_t time_ms = 0;
  std::string service_id;
  std::string body;
  std::vector<IssuedCard> cards;  // recorded in the same transaction
};

struct AuditRow {
  std::int64_t seq = 0;
  std::int64_t time_ms = 0;
  std::string service_id;
  std::string body;
  std::string prev_hash;
  std::string hash;
};

// The last record of the chain (seq 0 and the genesis hash when empty).
struct ChainHead {
  std::int64_t seq = 0;
  std::string hash;
};

struct FeedbackRow {
  std::string report_key;  // identity of the report: the same report twice is stored once
  std::string card_uuid;
  std::string service_id;
  std::string outcome;  // "accepted" | "overridden"
  std::vector<std::string> accepted_suggestions;
  std::string reason_system;  // override reason coding, "" when none
  std::string reason_code;
  std::string reason_display;
  std::string user_comment;
  std::string outcome_timestamp;  // as sent
  std::int64_t outcome_ms = 0;
  std::string client_iss;
  std::string tenant;
  std::int64_t received_ms = 0;
};

struct FeedbackSaved {
  std::size_t stored = 0;      // new rows
  std::size_t duplicates = 0;  // reports already stored (by report_key)
};

// A feedback row joined with the rule of its card (for the safety report).
struct FeedbackWithRule {
  FeedbackRow feedback;
  std::string rule_id;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual const char* backend() const = 0;  // "sqlite" or "postgresql"
  virtual int schema_version() const = 0;

  // Appends the records in order in one transaction, chained after the current head (the
  // head is locked, so writers in several threads or processes form one chain). Returns
  // the sequence numbers given.
  virtual Result<std::vector<std::int64_t>> append_audit(
      const std::vector<AuditAppend>& records) = 0;
  virtual Result<ChainHead> chain_head() = 0;
  // Records with seq > after, in order, at most `limit`.
  virtual Result<std::vector<AuditRow>> audit_page(std::int64_t after, std::size_t limit) = 0;

  virtual Result<std::optional<IssuedCard>> find_card(const std::string& uuid) = 0;
  // Cards issued in [from_ms, to_ms).
  virtual Result<std::vector<IssuedCard>> cards_issued(std::int64_t from_ms,
                                                       std::int64_t to_ms) = 0;

  // All or nothing, one transaction. A row whose report_key is already stored is a
  // duplicate, not an error.
  virtual Result<FeedbackSaved> save_feedback(const std::vector<FeedbackRow>& rows) = 0;
  // Feedback on the cards issued in [from_ms, to_ms), with each card's rule.
  virtual Result<std::vector<FeedbackWithRule>> feedback_for_cards_issued(std::int64_t from_ms,
                                                                          std::int64_t to_ms) = 0;
  // Every stored feedback row of a card (tests, investigations).
  virtual Result<std::vector<FeedbackRow>> feedback_of_card(const std::string& card_uuid) = 0;
};

struct StoreOptions {
  // "sqlite:/path/to/file.db" or "postgresql://user@host:port/dbname?params".
  std::string url;
  std::string password;  // PostgreSQL: from a file or the environment, never the config
  std::chrono::milliseconds busy_timeout{5000};
  unsigned connections = 4;  // pool size
};

// Opens the store, creating the SQLite file (and its folder) when missing, and migrates the
// schema to the latest version this program knows.
Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);

// "sqlite" / "postgresql" for a URL, or "" when it is neither.
std::string backend_of(const std::string& url);
// The SQLite file of a "sqlite:" URL.
std::string sqlite_path_of(const std::string& url);

}  // namespace ibd::store
