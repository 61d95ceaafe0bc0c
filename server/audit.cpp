#include "server/audit.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hooks/catalog.hpp"
#include "server/audit_writer.hpp"
#include "server/store/digest.hpp"
#include "server/store/store.hpp"

namespace ibd::server {
namespace {

namespace fs = std::filesystem;
using fhir::Json;

constexpr std::string_view kHmacPrefix = "hmac-sha256:";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 64 hex digits are 32 key bytes; any other text of at least 32 bytes is the key itself.
std::expected<std::string, std::string> key_from_text(std::string text, const std::string& where) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  text.erase(0, start);
  if (text.size() == 64) {
    std::string bytes;
    for (std::size_t i = 0; i < 64; i += 2) {
      const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
      if (hi < 0 || lo < 0) {
        bytes.clear();
        break;
      }
      bytes.push_back(static_cast<char>(hi * 16 + lo));
    }
    if (bytes.size() == 32) return bytes;
  }
  if (text.size() < 32)
    return std::unexpected(where + ": the key is too short; give 64 hex digits (32 random bytes)");
  return text;
}

std::expected<std::string, std::string> read_key_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected("cannot read the audit key file " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return key_from_text(s.str(), "audit key file " + path.string());
}

// Writes 32 random bytes (hex) to `path`, mode 0600, atomically: a temporary file is linked
// into place, so two instances starting together end up with the same key.
std::expected<void, std::string> generate_key_file(const fs::path& path) {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    return std::unexpected("no random bytes for a new audit key");
  std::string hex;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0x0F]);
  }
  hex.push_back('\n');
  std::error_code ec;
  if (!path.parent_path().empty() && !fs::exists(path.parent_path(), ec)) {
    fs::create_directories(path.parent_path(), ec);
    fs::permissions(path.parent_path(), fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  const std::string tmp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected("cannot create the audit key file " + path.string());
  const bool written = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return std::unexpected("cannot write the audit key file " + path.string());
  }
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && link_errno != EEXIST)
    return std::unexpected("cannot create the audit key file " + path.string());
  if (const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

// Printable ASCII only, at most `max` bytes: text from the URL or a token's claims.
std::string safe_text(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, max))
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  return out;
}

}  // namespace

AuditKey::AuditKey(std::string secret) : secret_(std::move(secret)) {
  id_ = store::sha256_hex("ibd-cds audit key id\n" + secret_).substr(0, 16);
}

std::string AuditKey::patient(std::string_view patient_id) const {
  return std::string(kHmacPrefix) +
         store::hmac_sha256_hex(secret_, "patient\n" + std::string(patient_id));
}

std::string AuditKey::fingerprint(std::string_view data) const {
  return std::string(kHmacPrefix) +
         store::hmac_sha256_hex(secret_, "input\n" + std::string(data));
}

std::expected<KeyLoad, std::string> load_audit_key(const config::AppConfig& config) {
  const config::AuditSection& a = config.audit;
  if (!a.key_env.empty()) {
    const char* value = std::getenv(a.key_env.c_str());
    if (value == nullptr || *value == '\0')
      return std::unexpected("audit.key_env names " + a.key_env + ", which is not set");
    auto key = key_from_text(value, "environment variable " + a.key_env);
    if (!key) return std::unexpected(key.error());
    return KeyLoad{AuditKey(std::move(*key)), "environment variable " + a.key_env, false};
  }
  fs::path file = a.key_file;
  if (file.empty()) {
    const std::string db = store::sqlite_path_of(config.storage.url);
    if (!config.development)
      return std::unexpected(
          "audit.key_file or audit.key_env must name the key that hashes patient ids "
          "(a file or variable holding 64 hex digits, e.g. from `openssl rand -hex 32`)");
    if (db.empty())
      return std::unexpected(
          "with PostgreSQL every instance must use the same audit key: name it with "
          "audit.key_file or audit.key_env");
    file = fs::path(db).parent_path() / (fs::path(db).stem().string() + ".audit-key");
  }
  bool generated = false;
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    if (!config.development)
      return std::unexpected("the audit key file " + file.string() +
                             " does not exist (create it with `openssl rand -hex 32`, mode 0600)");
    if (auto made = generate_key_file(file); !made) return std::unexpected(made.error());
    generated = true;
  }
  auto key = read_key_file(file);
  if (!key) return std::unexpected(key.error());
  return KeyLoad{AuditKey(std::move(*key)), "file " + file.string(), generated};
}

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string format_time_ms(std::int64_t ms) {
  const std::chrono::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds(ms)};
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(t - day);
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()),
                int(hms.subseconds().count()));
  return text;
}

std::string audit_body(const HookAuditRecord& r) {
  Json cards = Json::array();
  for (const AuditedCard& c : r.cards) {
    Json suggestions = Json::array();
    for (const auto& s : c.suggestions) suggestions.push(Json::string(s));
    cards.push(Json::object()
                   .set("uuid", Json::string(c.uuid))
                   .set("rule", Json::string(c.rule_id))
                   .set("ruleVersion", Json::string(c.rule_version))
                   .set("suggestions", std::move(suggestions)));
  }
  Json body = Json::object();
  body.set("time", Json::string(format_time_ms(r.time_ms)));
  body.set("timeMs", Json::number(r.time_ms));
  body.set("service", Json::string(r.service_id));
  body.set("hook", Json::string(r.hook));
  body.set("hookInstance", Json::string(r.hook_instance));
  body.set("client", Json::object()
                         .set("iss", Json::string(r.client_iss))
                         .set("tenant", Json::string(r.tenant)));
  body.set("patient", Json::string(r.patient));
  body.set("input", Json::string(r.input));
  body.set("keyId", Json::string(r.key_id));
  body.set("ruleSetVersion", Json::string(r.rule_set_version));
  body.set("cards", std::move(cards));
  body.set("status", Json::number(std::int64_t{r.status}));
  body.set("error", Json::string(r.error));
  // Whole microseconds keep the text short and stable.
  body.set("latencyMs", Json::number(static_cast<double>(static_cast<std::int64_t>(
                                         r.latency_ms * 1000.0)) /
                                     1000.0));
  return body.dump();
}

std::expected<HookAuditRecord, std::string> parse_audit_body(std::string_view text) {
  auto json = fhir::parse_json(text);
  if (!json) return std::unexpected("not JSON: " + json.error().to_string());
  if (!json->is_object()) return std::unexpected("not a JSON object");
  HookAuditRecord r;
  auto str = [&](const Json& j, std::string_view key) {
    const std::string* s = j.string_at(key);
    return s ? *s : std::string();
  };
  const Json* time_ms = json->find("timeMs");
  const Json* status = json->find("status");
  if (time_ms == nullptr || !time_ms->as_int() || status == nullptr || !status->as_int())
    return std::unexpected("timeMs or status missing");
  r.time_ms = *time_ms->as_int();
  r.status = static_cast<int>(*status->as_int());
  r.service_id = str(*json, "service");
  r.hook = str(*json, "hook");
  r.hook_instance = str(*json, "hookInstance");
  if (const Json* client = json->find("client")) {
    r.client_iss = str(*client, "iss");
    r.tenant = str(*client, "tenant");
  }
  r.patient = str(*json, "patient");
  r.input = str(*json, "input");
  r.key_id = str(*json, "keyId");
  r.rule_set_version = str(*json, "ruleSetVersion");
  r.error = str(*json, "error");
  if (const Json* latency = json->find("latencyMs")) r.latency_ms = latency->as_double().value_or(0);
  for (const Json& c : json->items_at("cards")) {
    AuditedCard card{str(c, "uuid"), str(c, "rule"), str(c, "ruleVersion"), {}};
    for (const Json& s : c.items_at("suggestions"))
      if (s.as_string()) card.suggestions.push_back(*s.as_string());
    r.cards.push_back(std::move(card));
  }
  return r;
}

std::vector<AuditedCard> cards_of_response(const fhir::Json& response) {
  std::vector<AuditedCard> out;
  for (const Json& card : response.items_at("cards")) {
    AuditedCard c;
    if (const std::string* uuid = card.string_at("uuid")) c.uuid = *uuid;
    if (const Json* ext = card.find("extension")) {
      if (const Json* rule = ext->find(hooks::kRuleExtension)) {
        if (const std::string* id = rule->string_at("id")) c.rule_id = *id;
        if (const std::string* v = rule->string_at("version")) c.rule_version = *v;
      }
    }
    for (const Json& s : card.items_at("suggestions"))
      if (const std::string* uuid = s.string_at("uuid")) c.suggestions.push_back(*uuid);
    if (!c.uuid.empty()) out.push_back(std::move(c));
  }
  return out;
}

Auditor::Auditor(AuditKey key, std::shared_ptr<AuditWriter> writer, std::string rule_set_version,
                 std::chrono::milliseconds response_wait)
    : key_(std::move(key)),
      writer_(std::move(writer)),
      rule_set_version_(std::move(rule_set_version)),
      response_wait_(response_wait) {}

AuditCall::AuditCall(std::shared_ptr<const Auditor> auditor, std::string_view service_id,
                     const Request& request)
    : auditor_(std::move(auditor)),
      started_(request.received == std::chrono::steady_clock::time_point{}
                   ? std::chrono::steady_clock::now()
                   : request.received) {
  if (!auditor_) return;
  record_.time_ms = unix_ms(std::chrono::system_clock::now());
  record_.service_id = safe_text(service_id, 64);
  // As the token said (auth checked it against the configured clients): feedback is matched
  // against these exact values.
  if (request.caller.authenticated) {
    record_.client_iss = request.caller.iss;
    record_.tenant = request.caller.tenant;
  }
  record_.rule_set_version = auditor_->rule_set_version();
  record_.key_id = auditor_->key().id();
}

void AuditCall::prepared(const hooks::PreparedCall& call) {
  if (!auditor_) return;
  record_.hook = call.request.hook;
  record_.hook_instance = safe_text(call.request.hook_instance, 128);
  if (!call.request.patient_id.empty())
    record_.patient = auditor_->key().patient(call.request.patient_id);
}

void AuditCall::input(const hooks::PreparedCall& call,
                      const std::vector<hooks::FetchResult>& fetched) {
  if (!auditor_) return;
  // The data the rules see, in a fixed order; fhirAuthorization is not part of it.
  std::string data = "context\n" + call.request.context.dump() + "\n";
  for (const auto& [key, value] : call.request.prefetch)
    data += "prefetch " + key + "\n" + value.dump() + "\n";
  std::vector<const hooks::FetchResult*> sorted;
  for (const auto& f : fetched) sorted.push_back(&f);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->key < b->key; });
  for (const hooks::FetchResult* f : sorted)
    data += "fetched " + f->key + "\n" + (f->resource ? f->resource->dump() : "failed") + "\n";
  record_.input = auditor_->key().fingerprint(data);
}

void AuditCall::cards(const fhir::Json& response) {
  if (!auditor_) return;
  record_.cards = cards_of_response(response);
}

Response AuditCall::done(Response response) {
  if (!auditor_) return response;
  record_.status = response.status;
  if (response.status >= 400) {
    auto body = fhir::parse_json(response.body);
    const std::string* code = body ? body->string_at("error") : nullptr;
    record_.error = code != nullptr ? safe_text(*code, 64)
                    : response.status == 412 ? "precondition_failed"
                                             : "error";
  }
  record_.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
          .count();
  answered_ = true;
  return response;
}

AuditCall::~AuditCall() { (void)submit(); }

boost::asio::awaitable<void> AuditCall::written() {
  const std::uint64_t ticket = submit();
  if (ticket == 0 || auditor_->response_wait().count() <= 0 || auditor_->writer().failing())
    co_return;
  // A timer the writer cuts short once the record is committed. Its expiry is moved, not
  // cancelled, so a commit that lands before the wait starts still ends it at once; the
  // change is posted to this coroutine's executor, which serialises it with the wait.
  auto timer = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor,
                                                           auditor_->response_wait());
  // Weak: a wait that already ended (timed out) has nothing left to wake.
  auditor_->writer().notify_when_written(ticket, [weak = std::weak_ptr(timer)] {
    if (auto t = weak.lock())
      boost::asio::post(t->get_executor(), [t] {
        t->expires_at(boost::asio::steady_timer::time_point::min());
      });
  });
  (void)co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

std::uint64_t AuditCall::submit() noexcept {
  if (!auditor_ || submitted_) return 0;
  submitted_ = true;
  try {
    if (!answered_) {
      record_.status = 500;
      record_.error = "internal_error";
      record_.cards.clear();
      record_.latency_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
              .count();
    }
    if (record_.status != 200) record_.cards.clear();
    store::AuditAppend append;
    append.time_ms = record_.time_ms;
    append.service_id = record_.service_id;
    append.body = audit_body(record_);
    for (const AuditedCard& c : record_.cards)
      append.cards.push_back({c.uuid, record_.service_id, c.rule_id, c.rule_version,
                              c.suggestions, record_.client_iss, record_.tenant, record_.time_ms,
                              0});
    return auditor_->writer().submit(std::move(append));
  } catch (...) {
    // An audit record that cannot even be built must not take the request down; the
    // writer counts it as lost.
    auditor_->writer().count_lost(1);
    return 0;
  }
}

}  // namespace ibd::server
