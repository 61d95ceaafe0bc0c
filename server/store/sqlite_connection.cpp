// SQLite driver for the store: one sqlite3 connection, prepared statements cached by text.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <map>

#include "server/store/sql.hpp"

namespace ibd::store::sql {

const std::string& Row::text(std::size_t i) const {
  static const std::string kEmpty;
  return i < columns.size() && columns[i] ? *columns[i] : kEmpty;
}

std::int64_t Row::integer(std::size_t i) const {
  const std::string& s = text(i);
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

namespace {

StoreError error_of(sqlite3* db, int rc, const std::string& what) {
  const int primary = rc & 0xFF;
  StoreError::Kind kind = StoreError::Kind::kUnavailable;
  if (primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH || primary == SQLITE_ERROR)
    kind = StoreError::Kind::kInvalid;
  std::string message = what + ": " + sqlite3_errstr(rc);
  if (db != nullptr) {
    const char* detail = sqlite3_errmsg(db);
    if (detail != nullptr && message.find(detail) == std::string::npos)
      message += std::string(" (") + detail + ")";
  }
  return {kind, message};
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [text, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::kSqlite; }
  bool healthy() const override { return true; }

  Result<void> exec(const std::string& sql) override {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc != SQLITE_OK) return std::unexpected(error_of(db_, rc, "sqlite"));
    return {};
  }

  Result<Rows> query(const std::string& sql, const std::vector<Value>& params) override {
    auto stmt = prepare(sql);
    if (!stmt) return std::unexpected(stmt.error());
    sqlite3_stmt* s = *stmt;
    // Reset and unbind on every way out, so the cached statement holds no lock or value.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{s};
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(s, index, *n);
      } else if (const auto* t = std::get_if<std::string>(&params[i])) {
        rc = sqlite3_bind_text(s, index, t->data(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
      } else {
        rc = sqlite3_bind_null(s, index);
      }
      if (rc != SQLITE_OK) return std::unexpected(error_of(db_, rc, "sqlite bind"));
    }
    Rows rows;
    while (true) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return std::unexpected(error_of(db_, rc, "sqlite"));
      Row row;
      const int n = sqlite3_column_count(s);
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(s, c) == SQLITE_NULL) {
          row.columns.emplace_back(std::nullopt);
          continue;
        }
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
        row.columns.emplace_back(
            std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(s, c))));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

 private:
  Result<sqlite3_stmt*> prepare(const std::string& sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(error_of(db_, rc, "sqlite prepare"));
    statements_.emplace(sql, stmt);
    return stmt;
  }

  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

}  // namespace

Result<std::unique_ptr<Connection>> connect_sqlite(const std::string& path,
                                                   std::chrono::milliseconds busy_timeout) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path file(path);
  if (file.has_parent_path() && !fs::exists(file.parent_path(), ec)) {
    fs::create_directories(file.parent_path(), ec);
    if (ec)
      return std::unexpected(StoreError{StoreError::Kind::kUnavailable,
                                        "cannot create the folder " +
                                            file.parent_path().string() + ": " + ec.message()});
    fs::permissions(file.parent_path(), fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  // The file holds the audit trail: readable by its owner only. SQLite gives its -wal and
  // -shm files the same permissions.
  if (!fs::exists(file, ec)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    StoreError e = error_of(db, rc, "cannot open " + path);
    e.kind = StoreError::Kind::kUnavailable;
    sqlite3_close_v2(db);
    return std::unexpected(e);
  }
  auto connection = std::make_unique<SqliteConnection>(db);
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
  sqlite3_extended_result_codes(db, 1);
  // WAL: readers do not block the writer; synchronous=FULL: a commit is fsynced before it
  // returns, so an acknowledged write survives a crash or a power cut.
  auto mode = connection->query("PRAGMA journal_mode=WAL", {});
  if (!mode) return std::unexpected(mode.error());
  if (mode->empty() || mode->front().text(0) != "wal")
    return std::unexpected(StoreError{StoreError::Kind::kUnavailable,
                                      "cannot switch " + path + " to WAL journal mode"});
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"})
    if (auto r = connection->exec(pragma); !r) return std::unexpected(r.error());
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace ibd::store::sql
