// The Store over a pool of SQL connections; the same statements for SQLite and PostgreSQL.
//
// Writes run in one transaction each: SQLite's BEGIN IMMEDIATE takes the write lock at once
// (so two writers never deadlock on lock upgrade); on PostgreSQL the audit append locks the
// chain head row (SELECT ... FOR UPDATE), which serialises appends across server instances.
#include <condition_variable>
#include <mutex>

#include "fhir/json.hpp"
#include "server/store/digest.hpp"
#include "server/store/sql.hpp"

namespace ibd::store {
namespace {

using sql::Connection;
using sql::Dialect;
using sql::Rows;
using sql::Value;

// Hands out connections, opening new ones up to `size`; an unhealthy one is dropped on return.
class Pool {
 public:
  Pool(sql::ConnectionFactory factory, std::size_t size)
      : factory_(std::move(factory)), size_(size == 0 ? 1 : size) {}

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr && c_) pool_->release(std::move(c_));
    }
    Connection& operator*() { return *c_; }
    Connection* operator->() { return c_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> c_;
  };

  Result<Lease> acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
    ++open_;
    lock.unlock();
    auto made = factory_();
    if (!made) {
      lock.lock();
      --open_;
      available_.notify_one();
      return std::unexpected(made.error());
    }
    return Lease(this, std::move(*made));
  }

  void add(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mutex_);
    ++open_;
    idle_.push_back(std::move(c));
  }

 private:
  void release(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mutex_);
    if (c->healthy()) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
    available_.notify_one();
  }

  sql::ConnectionFactory factory_;
  std::size_t size_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
};

std::string suggestions_json(const std::vector<std::string>& ids) {
  fhir::Json a = fhir::Json::array();
  for (const auto& id : ids) a.push(fhir::Json::string(id));
  return a.dump();
}

std::vector<std::string> suggestions_of(const std::string& text) {
  std::vector<std::string> out;
  auto json = fhir::parse_json(text);
  if (!json) return out;
  for (const fhir::Json& item : json->items())
    if (const std::string* s = item.as_string()) out.push_back(*s);
  return out;
}

constexpr const char* kCardColumns =
    "uuid, service_id, rule_id, rule_version, suggestions, client_iss, tenant, issued_ms, "
    "audit_seq";

IssuedCard card_of(const sql::Row& r) {
  return IssuedCard{r.text(0),      r.text(1),           r.text(2),
                    r.text(3),      suggestions_of(r.text(4)), r.text(5),
                    r.text(6),      r.integer(7),        r.integer(8)};
}

constexpr const char* kFeedbackColumns =
    "f.report_key, f.card_uuid, f.service_id, f.outcome, f.accepted, f.reason_system, "
    "f.reason_code, f.reason_display, f.user_comment, f.outcome_timestamp, f.outcome_ms, "
    "f.client_iss, f.tenant, f.received_ms";

FeedbackRow feedback_of(const sql::Row& r) {
  FeedbackRow f;
  f.report_key = r.text(0);
  f.card_uuid = r.text(1);
  f.service_id = r.text(2);
  f.outcome = r.text(3);
  f.accepted_suggestions = suggestions_of(r.text(4));
  f.reason_system = r.text(5);
  f.reason_code = r.text(6);
  f.reason_display = r.text(7);
  f.user_comment = r.text(8);
  f.outcome_timestamp = r.text(9);
  f.outcome_ms = r.integer(10);
  f.client_iss = r.text(11);
  f.tenant = r.text(12);
  f.received_ms = r.integer(13);
  return f;
}

class SqlStore final : public Store {
 public:
  SqlStore(Dialect dialect, sql::ConnectionFactory factory, std::size_t size, int version)
      : dialect_(dialect), pool_(std::move(factory), size), version_(version) {}

  Pool& pool() { return pool_; }
  const char* backend() const override {
    return dialect_ == Dialect::kSqlite ? "sqlite" : "postgresql";
  }
  int schema_version() const override { return version_; }

  Result<std::vector<std::int64_t>> append_audit(
      const std::vector<AuditAppend>& records) override {
    return write<std::vector<std::int64_t>>(
        [&](Connection& c) -> Result<std::vector<std::int64_t>> {
          auto head = c.query(dialect_ == Dialect::kSqlite
                                  ? "SELECT seq, hash FROM audit_head WHERE id = 1"
                                  : "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE");
          if (!head) return std::unexpected(head.error());
          if (head->empty())
            return std::unexpected(
                StoreError{StoreError::Kind::kSchema, "the audit chain head row is missing"});
          std::int64_t seq = head->front().integer(0);
          std::string hash = head->front().text(1);
          std::vector<std::int64_t> seqs;
          for (const AuditAppend& a : records) {
            ++seq;
            std::string next = chain_hash(hash, seq, a.body);
            auto inserted = c.query(
                "INSERT INTO audit_log (seq, time_ms, service_id, body, prev_hash, hash) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                {seq, a.time_ms, a.service_id, a.body, hash, next});
            if (!inserted) return std::unexpected(inserted.error());
            for (const IssuedCard& card : a.cards) {
              auto r = c.query(
                  "INSERT INTO issued_card (uuid, audit_seq, service_id, rule_id, rule_version, "
                  "suggestions, client_iss, tenant, issued_ms) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (uuid) DO NOTHING",
                  {card.uuid, seq, card.service_id, card.rule_id, card.rule_version,
                   suggestions_json(card.suggestion_uuids), card.client_iss, card.tenant,
                   card.issued_ms});
              if (!r) return std::unexpected(r.error());
            }
            hash = std::move(next);
            seqs.push_back(seq);
          }
          auto moved = c.query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
                               {seq, hash});
          if (!moved) return std::unexpected(moved.error());
          return seqs;
        });
  }

  Result<ChainHead> chain_head() override {
    auto rows = read("SELECT seq, hash FROM audit_head WHERE id = 1", {});
    if (!rows) return std::unexpected(rows.error());
    if (rows->empty())
      return std::unexpected(
          StoreError{StoreError::Kind::kSchema, "the audit chain head row is missing"});
    return ChainHead{rows->front().integer(0), rows->front().text(1)};
  }

  Result<std::vector<AuditRow>> audit_page(std::int64_t after, std::size_t limit) override {
    auto rows = read(
        "SELECT seq, time_ms, service_id, body, prev_hash, hash FROM audit_log WHERE seq > $1 "
        "ORDER BY seq LIMIT $2",
        {after, static_cast<std::int64_t>(limit)});
    if (!rows) return std::unexpected(rows.error());
    std::vector<AuditRow> out;
    for (const auto& r : *rows)
      out.push_back({r.integer(0), r.integer(1), r.text(2), r.text(3), r.text(4), r.text(5)});
    return out;
  }

  Result<std::optional<IssuedCard>> find_card(const std::string& uuid) override {
    auto rows = read(std::string("SELECT ") + kCardColumns + " FROM issued_card WHERE uuid = $1",
                     {uuid});
    if (!rows) return std::unexpected(rows.error());
    if (rows->empty()) return std::optional<IssuedCard>();
    return std::optional<IssuedCard>(card_of(rows->front()));
  }

  Result<std::vector<IssuedCard>> cards_issued(std::int64_t from_ms, std::int64_t to_ms) override {
    auto rows = read(std::string("SELECT ") + kCardColumns +
                         " FROM issued_card WHERE issued_ms >= $1 AND issued_ms < $2 "
                         "ORDER BY issued_ms, uuid",
                     {from_ms, to_ms});
    if (!rows) return std::unexpected(rows.error());
    std::vector<IssuedCard> out;
    for (const auto& r : *rows) out.push_back(card_of(r));
    return out;
  }

  Result<FeedbackSaved> save_feedback(const std::vector<FeedbackRow>& rows) override {
    return write<FeedbackSaved>([&](Connection& c) -> Result<FeedbackSaved> {
      FeedbackSaved saved;
      for (const FeedbackRow& f : rows) {
        auto r = c.query(
            "INSERT INTO feedback (report_key, card_uuid, service_id, outcome, accepted, "
            "reason_system, reason_code, reason_display, user_comment, outcome_timestamp, "
            "outcome_ms, client_iss, tenant, received_ms) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
            "ON CONFLICT (report_key) DO NOTHING RETURNING id",
            {f.report_key, f.card_uuid, f.service_id, f.outcome,
             suggestions_json(f.accepted_suggestions), f.reason_system, f.reason_code,
             f.reason_display, f.user_comment, f.outcome_timestamp, f.outcome_ms, f.client_iss,
             f.tenant, f.received_ms});
        if (!r) return std::unexpected(r.error());
        if (r->empty()) {
          ++saved.duplicates;
        } else {
          ++saved.stored;
        }
      }
      return saved;
    });
  }

  Result<std::vector<FeedbackWithRule>> feedback_for_cards_issued(std::int64_t from_ms,
                                                                  std::int64_t to_ms) override {
    auto rows = read(std::string("SELECT ") + kFeedbackColumns +
                         ", c.rule_id FROM feedback f JOIN issued_card c ON c.uuid = f.card_uuid "
                         "WHERE c.issued_ms >= $1 AND c.issued_ms < $2 ORDER BY f.id",
                     {from_ms, to_ms});
    if (!rows) return std::unexpected(rows.error());
    std::vector<FeedbackWithRule> out;
    for (const auto& r : *rows) out.push_back({feedback_of(r), r.text(14)});
    return out;
  }

  Result<std::vector<FeedbackRow>> feedback_of_card(const std::string& card_uuid) override {
    auto rows = read(std::string("SELECT ") + kFeedbackColumns +
                         " FROM feedback f WHERE f.card_uuid = $1 ORDER BY f.id",
                     {card_uuid});
    if (!rows) return std::unexpected(rows.error());
    std::vector<FeedbackRow> out;
    for (const auto& r : *rows) out.push_back(feedback_of(r));
    return out;
  }

 private:
  Result<Rows> read(const std::string& text, const std::vector<Value>& params) {
    auto lease = pool_.acquire();
    if (!lease) return std::unexpected(lease.error());
    return (*lease)->query(text, params);
  }

  // Runs `body` in a write transaction; commits on success, rolls back on any error.
  template <class T, class Body>
  Result<T> write(Body&& body) {
    // SQLite has one writer at a time and its busy handler polls with sleeps; writers of this
    // process queue on a mutex instead, so none waits longer than the writes before it.
    // Other processes still meet the busy timeout.
    std::unique_lock<std::mutex> serial;
    if (dialect_ == Dialect::kSqlite) serial = std::unique_lock(sqlite_writer_);
    auto lease = pool_.acquire();
    if (!lease) return std::unexpected(lease.error());
    Connection& c = **lease;
    if (auto r = c.exec(dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN"); !r)
      return std::unexpected(r.error());
    Result<T> result = body(c);
    if (!result) {
      (void)c.exec("ROLLBACK");
      return result;
    }
    if (auto r = c.exec("COMMIT"); !r) {
      // Not committed (SQLite rolls a failed commit back; PostgreSQL reports the commit's
      // fate only when the connection survives): the caller must not claim it was saved.
      (void)c.exec("ROLLBACK");
      return std::unexpected(r.error());
    }
    return result;
  }

  Dialect dialect_;
  Pool pool_;
  int version_;
  std::mutex sqlite_writer_;
};

}  // namespace

std::string backend_of(const std::string& url) {
  if (url.starts_with("sqlite:")) return "sqlite";
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return "postgresql";
  return "";
}

std::string sqlite_path_of(const std::string& url) {
  return url.starts_with("sqlite:") ? url.substr(7) : "";
}

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  sql::ConnectionFactory factory;
  Dialect dialect = Dialect::kSqlite;
  const std::string backend = backend_of(options.url);
  if (backend == "sqlite") {
    const std::string path = sqlite_path_of(options.url);
    if (path.empty())
      return std::unexpected(
          StoreError{StoreError::Kind::kInvalid, "sqlite: the URL names no file"});
    factory = [path, timeout = options.busy_timeout] { return sql::connect_sqlite(path, timeout); };
  } else if (backend == "postgresql") {
    dialect = Dialect::kPostgres;
    factory = [url = options.url, password = options.password, timeout = options.busy_timeout] {
      return sql::connect_postgres(url, password, timeout);
    };
  } else {
    return std::unexpected(StoreError{StoreError::Kind::kInvalid,
                                      "the storage URL must start with sqlite: or postgresql://"});
  }
  auto first = factory();
  if (!first) return std::unexpected(first.error());
  auto version = sql::migrate(**first);
  if (!version) return std::unexpected(version.error());
  auto store = std::make_unique<SqlStore>(dialect, factory, options.connections, *version);
  store->pool().add(std::move(*first));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace ibd::store
