// PostgreSQL driver for the store: libpq, text parameters and results.
#include <libpq-fe.h>

#include <memory>

#include "server/store/sql.hpp"

namespace ibd::store::sql {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// SQLSTATE classes that mean "this statement is wrong" rather than "the database cannot take
// it now": integrity constraints (23), data exceptions (22), syntax and access rules (42).
StoreError::Kind kind_of(const char* sqlstate) {
  if (sqlstate == nullptr) return StoreError::Kind::kUnavailable;
  const std::string_view s(sqlstate);
  if (s.starts_with("23") || s.starts_with("22") || s.starts_with("42"))
    return StoreError::Kind::kInvalid;
  return StoreError::Kind::kUnavailable;
}

std::string first_line(const char* text) {
  std::string s = text == nullptr ? "" : text;
  if (const auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
  ~PostgresConnection() override { PQfinish(conn_); }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  Dialect dialect() const override { return Dialect::kPostgres; }
  bool healthy() const override { return PQstatus(conn_) == CONNECTION_OK; }

  Result<void> exec(const std::string& sql) override {
    ResultPtr r(PQexec(conn_, sql.c_str()));
    if (auto e = check(r.get())) return std::unexpected(*e);
    return {};
  }

  Result<Rows> query(const std::string& sql, const std::vector<Value>& params) override {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        texts[i] = std::to_string(*n);
        values[i] = texts[i].c_str();
      } else if (const auto* t = std::get_if<std::string>(&params[i])) {
        values[i] = t->c_str();
      }
    }
    ResultPtr r(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                             values.data(), nullptr, nullptr, 0));
    if (auto e = check(r.get())) return std::unexpected(*e);
    Rows rows;
    const int n = PQntuples(r.get());
    const int columns = PQnfields(r.get());
    rows.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      Row row;
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(r.get(), i, c)) {
          row.columns.emplace_back(std::nullopt);
        } else {
          row.columns.emplace_back(std::string(PQgetvalue(r.get(), i, c),
                                               static_cast<std::size_t>(PQgetlength(r.get(), i, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

 private:
  std::optional<StoreError> check(PGresult* r) const {
    const ExecStatusType status = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return std::nullopt;
    const char* sqlstate = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_SQLSTATE);
    std::string message = "postgresql: ";
    message += first_line(r != nullptr && *PQresultErrorMessage(r) != '\0'
                              ? PQresultErrorMessage(r)
                              : PQerrorMessage(conn_));
    if (sqlstate != nullptr) message += std::string(" [") + sqlstate + "]";
    // A lost connection is never the statement's fault.
    const auto kind = healthy() ? kind_of(sqlstate) : StoreError::Kind::kUnavailable;
    return StoreError{kind, message};
  }

  PGconn* conn_;
};

}  // namespace

Result<std::unique_ptr<Connection>> connect_postgres(const std::string& url,
                                                     const std::string& password,
                                                     std::chrono::milliseconds busy_timeout) {
  // dbname holds the whole URL (expand_dbname); what follows overrides or completes it.
  std::vector<const char*> keys{"dbname", "application_name", "connect_timeout"};
  std::vector<const char*> values{url.c_str(), "ibd-cds", "5"};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn == nullptr)
    return std::unexpected(StoreError{StoreError::Kind::kUnavailable, "postgresql: out of memory"});
  auto connection = std::make_unique<PostgresConnection>(conn);
  if (PQstatus(conn) != CONNECTION_OK)
    return std::unexpected(StoreError{StoreError::Kind::kUnavailable,
                                      "postgresql: cannot connect: " + first_line(PQerrorMessage(conn))});
  // Notices ("relation already exists, skipping") are not errors and must not reach stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  const std::string settings = "SET TIME ZONE 'UTC'; SET lock_timeout = " +
                               std::to_string(busy_timeout.count());
  if (auto r = connection->exec(settings); !r) return std::unexpected(r.error());
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace ibd::store::sql
