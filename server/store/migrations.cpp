// The schema, as numbered migrations. A migration is never edited once released: a change
// is a new migration. Each has its SQLite and its PostgreSQL text (types and triggers differ).
//
// Version 1: the audit trail (append-only, hash-chained) and its head.
// Version 2: issued cards and feedback (feedback append-only too).
#include <chrono>
#include <string>

#include "server/store/digest.hpp"
#include "server/store/sql.hpp"

namespace ibd::store::sql {
namespace {

struct Migration {
  int version;
  const char* description;
  std::string sqlite;
  std::string postgres;
};

const std::string kGenesis(kGenesisHash);

const Migration kMigrations[] = {
    {1, "audit trail",
     R"sql(
CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY,
  time_ms    INTEGER NOT NULL,
  service_id TEXT    NOT NULL,
  body       TEXT    NOT NULL,
  prev_hash  TEXT    NOT NULL,
  hash       TEXT    NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ')sql" + kGenesis + R"sql(');
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
)sql",
     R"sql(
CREATE TABLE audit_log (
  seq        BIGINT PRIMARY KEY,
  time_ms    BIGINT NOT NULL,
  service_id TEXT   NOT NULL,
  body       TEXT   NOT NULL,
  prev_hash  TEXT   NOT NULL,
  hash       TEXT   NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  BIGINT NOT NULL,
  hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ')sql" + kGenesis + R"sql(');
CREATE FUNCTION ibd_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$fn$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION ibd_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION ibd_append_only();
)sql"},
    {2, "issued cards and feedback",
     R"sql(
CREATE TABLE issued_card (
  uuid         TEXT    PRIMARY KEY,
  audit_seq    INTEGER NOT NULL REFERENCES audit_log (seq),
  service_id   TEXT    NOT NULL,
  rule_id      TEXT    NOT NULL,
  rule_version TEXT    NOT NULL,
  suggestions  TEXT    NOT NULL,
  client_iss   TEXT    NOT NULL,
  tenant       TEXT    NOT NULL,
  issued_ms    INTEGER NOT NULL
);
CREATE INDEX issued_card_time ON issued_card (issued_ms);
CREATE TABLE feedback (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  report_key        TEXT    NOT NULL UNIQUE,
  card_uuid         TEXT    NOT NULL REFERENCES issued_card (uuid),
  service_id        TEXT    NOT NULL,
  outcome           TEXT    NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
  accepted          TEXT    NOT NULL,
  reason_system     TEXT    NOT NULL,
  reason_code       TEXT    NOT NULL,
  reason_display    TEXT    NOT NULL,
  user_comment      TEXT    NOT NULL,
  outcome_timestamp TEXT    NOT NULL,
  outcome_ms        INTEGER NOT NULL,
  client_iss        TEXT    NOT NULL,
  tenant            TEXT    NOT NULL,
  received_ms       INTEGER NOT NULL
);
CREATE INDEX feedback_card ON feedback (card_uuid);
CREATE TRIGGER issued_card_no_update BEFORE UPDATE ON issued_card
BEGIN SELECT RAISE(ABORT, 'issued_card is append-only'); END;
CREATE TRIGGER issued_card_no_delete BEFORE DELETE ON issued_card
BEGIN SELECT RAISE(ABORT, 'issued_card is append-only'); END;
CREATE TRIGGER feedback_no_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER feedback_no_delete BEFORE DELETE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
)sql",
     R"sql(
CREATE TABLE issued_card (
  uuid         TEXT   PRIMARY KEY,
  audit_seq    BIGINT NOT NULL REFERENCES audit_log (seq),
  service_id   TEXT   NOT NULL,
  rule_id      TEXT   NOT NULL,
  rule_version TEXT   NOT NULL,
  suggestions  TEXT   NOT NULL,
  client_iss   TEXT   NOT NULL,
  tenant       TEXT   NOT NULL,
  issued_ms    BIGINT NOT NULL
);
CREATE INDEX issued_card_time ON issued_card (issued_ms);
CREATE TABLE feedback (
  id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_key        TEXT   NOT NULL UNIQUE,
  card_uuid         TEXT   NOT NULL REFERENCES issued_card (uuid),
  service_id        TEXT   NOT NULL,
  outcome           TEXT   NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
  accepted          TEXT   NOT NULL,
  reason_system     TEXT   NOT NULL,
  reason_code       TEXT   NOT NULL,
  reason_display    TEXT   NOT NULL,
  user_comment      TEXT   NOT NULL,
  outcome_timestamp TEXT   NOT NULL,
  outcome_ms        BIGINT NOT NULL,
  client_iss        TEXT   NOT NULL,
  tenant            TEXT   NOT NULL,
  received_ms       BIGINT NOT NULL
);
CREATE INDEX feedback_card ON feedback (card_uuid);
CREATE TRIGGER issued_card_append_only BEFORE UPDATE OR DELETE ON issued_card
  FOR EACH ROW EXECUTE FUNCTION ibd_append_only();
CREATE TRIGGER issued_card_no_truncate BEFORE TRUNCATE ON issued_card
  FOR EACH STATEMENT EXECUTE FUNCTION ibd_append_only();
CREATE TRIGGER feedback_append_only BEFORE UPDATE OR DELETE ON feedback
  FOR EACH ROW EXECUTE FUNCTION ibd_append_only();
CREATE TRIGGER feedback_no_truncate BEFORE TRUNCATE ON feedback
  FOR EACH STATEMENT EXECUTE FUNCTION ibd_append_only();
)sql"},
};

// Any constant: the advisory lock that serialises migrating instances on PostgreSQL.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7212064)";

Result<int> apply(Connection& c, int target) {
  if (auto r = c.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
          "description TEXT NOT NULL, applied_ms BIGINT NOT NULL)");
      !r)
    return std::unexpected(r.error());
  auto current = c.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!current) return std::unexpected(current.error());
  int version = static_cast<int>(current->front().integer(0));
  if (version > latest_schema_version())
    return std::unexpected(StoreError{
        StoreError::Kind::kSchema,
        "the database has schema version " + std::to_string(version) +
            ", newer than this program knows (" + std::to_string(latest_schema_version()) +
            "): run a newer ibd-cds"});
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const Migration& m : kMigrations) {
    if (m.version <= version || m.version > target) continue;
    const std::string& text = c.dialect() == Dialect::kSqlite ? m.sqlite : m.postgres;
    if (auto r = c.exec(text); !r)
      return std::unexpected(StoreError{StoreError::Kind::kSchema,
                                        "migration " + std::to_string(m.version) + " (" +
                                            m.description + ") failed: " + r.error().message});
    auto recorded = c.query(
        "INSERT INTO schema_migrations (version, description, applied_ms) VALUES ($1, $2, $3)",
        {std::int64_t{m.version}, std::string(m.description), std::int64_t{now_ms}});
    if (!recorded) return std::unexpected(recorded.error());
    version = m.version;
  }
  return version;
}

}  // namespace

int latest_schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<int> migrate(Connection& c, int target) {
  if (target <= 0) target = latest_schema_version();
  const bool sqlite = c.dialect() == Dialect::kSqlite;
  if (auto r = c.exec(sqlite ? "BEGIN IMMEDIATE" : "BEGIN"); !r) return std::unexpected(r.error());
  Result<int> result = 0;
  if (!sqlite) {
    if (auto r = c.exec(kMigrationLock); !r) result = std::unexpected(r.error());
  }
  if (result) result = apply(c, target);
  if (!result) {
    (void)c.exec("ROLLBACK");
    return result;
  }
  if (auto r = c.exec("COMMIT"); !r) {
    (void)c.exec("ROLLBACK");
    return std::unexpected(r.error());
  }
  return result;
}

}  // namespace ibd::store::sql
