// The small SQL surface the store needs from a database driver, so the store's logic (and
// its SQL, which both databases accept) is written once: sqlite_connection.cpp and
// postgres_connection.cpp implement it. Internal to server/store (and its tests).
//
// Parameters are written $1, $2, ... in order of first use (SQLite reads "$1" as a named
// parameter whose index is its order of appearance, so the same text works for both).
// Values come back as text (NULL as nullopt).
// Thread safety: a Connection is used by one thread at a time (the pool hands it out).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "server/store/store.hpp"

namespace ibd::store::sql {

enum class Dialect { kSqlite, kPostgres };

using Value = std::variant<std::monostate, std::int64_t, std::string>;

struct Row {
  std::vector<std::optional<std::string>> columns;
  const std::string& text(std::size_t i) const;  // "" for NULL
  std::int64_t integer(std::size_t i) const;     // 0 for NULL or non-numbers
};
using Rows = std::vector<Row>;

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // One or more statements, no parameters, no rows wanted.
  virtual Result<void> exec(const std::string& sql) = 0;
  // One statement with parameters; its rows (none for INSERT without RETURNING).
  virtual Result<Rows> query(const std::string& sql, const std::vector<Value>& params = {}) = 0;
  // False once the connection cannot be used again (the pool then opens a new one).
  virtual bool healthy() const = 0;
};

using ConnectionFactory = std::function<Result<std::unique_ptr<Connection>>()>;

// Driver entry points. SQLite: the file is created (0600) with its folder when missing; WAL,
// synchronous=FULL, foreign keys on, the busy timeout set. PostgreSQL: the URL as libpq
// takes it, the password passed separately, lock_timeout = the busy timeout (a lock held
// elsewhere ends in an error, not a hung request).
Result<std::unique_ptr<Connection>> connect_sqlite(const std::string& path,
                                                   std::chrono::milliseconds busy_timeout);
Result<std::unique_ptr<Connection>> connect_postgres(
    const std::string& url, const std::string& password,
    std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(5000));

// Applies the migrations above the database's version up to `target` (0: the latest), in one
// transaction serialised against other processes. Returns the version reached.
Result<int> migrate(Connection& connection, int target = 0);
int latest_schema_version();

}  // namespace ibd::store::sql
