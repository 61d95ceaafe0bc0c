// The FHIR REST client the server uses to fetch what an EHR did not prefetch.
//
// fetch_all() runs every fetch in parallel and returns when all are done or the hook call's
// budget is spent, one outcome per target, in order. Each fetch:
//   - goes only to the base URL's origin, after check_origin() and a DNS check of every
//     address (url_guard.hpp); the token goes with it and nowhere else;
//   - sends `Accept: application/fhir+json` and `Authorization: Bearer <token>`;
//   - reuses pooled keep-alive connections (and retries once on a fresh connection when a
//     pooled one turns out to be closed);
//   - does not follow redirects; refuses bodies over max_response_bytes;
//   - answers 401, 403, 404, 410, 429, 5xx and non-JSON each with its own message; on 429
//     and 503 retries once after a jittered pause when the budget allows;
//   - follows a searchset's `next` links on the same origin, up to max_pages, stopping at a
//     page it has already seen; the pages come back merged into one Bundle.
// Messages never contain the URL, the token or a patient id: they reach cards and logs.
// Thread-safe: one client serves the whole server; coroutines run on the caller's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fhir/client/connection.hpp"
#include "fhir/client/url_guard.hpp"
#include "fhir/json.hpp"

namespace ibd::fhir::client {

struct ClientOptions {
  OriginPolicy policy;
  std::string ca_file;  // extra trusted CAs (PEM), besides the system store
  std::chrono::milliseconds request_timeout{2000};  // one HTTP exchange
  std::chrono::milliseconds budget{2000};           // everything one hook call fetches
  std::size_t max_response_bytes = 8 * 1024 * 1024;
  std::size_t max_pages = 10;
  std::size_t max_idle_per_origin = 8;
  std::chrono::milliseconds idle_timeout{30'000};
  ParseOptions json;
  std::string user_agent = "ibd-cds";
};

struct FetchOutcome {
  std::optional<Json> resource;  // a resource, or a Bundle with every page's entries
  std::string error;             // why there is no resource
  std::string incomplete;        // why `resource` holds only part of the data, or ""
  int status = 0;                // the last HTTP status seen, 0 if none
  std::size_t pages = 0;
  std::size_t bytes = 0;
  bool retried = false;
};

class FhirClient : public std::enable_shared_from_this<FhirClient> {
 public:
  static std::expected<std::shared_ptr<FhirClient>, std::string> create(ClientOptions options);

  const ClientOptions& options() const { return options_; }

  // `targets` are relative to the base ("Observation?patient=1") or absolute URLs on the
  // base's origin (a `next` link an EHR left in a prefetched Bundle). `token` may be empty.
  // The deadline defaults to now + budget.
  boost::asio::awaitable<std::vector<FetchOutcome>> fetch_all(
      BaseUrl base, std::string token, std::vector<std::string> targets,
      std::optional<Deadline> deadline = std::nullopt);

  // GET of any JSON document (a JWKS) at an absolute URL, under the same origin policy,
  // TLS rules and limits. No token is sent.
  boost::asio::awaitable<std::expected<Json, std::string>> fetch_document(
      std::string url, std::optional<Deadline> deadline = std::nullopt);
  // The same, with the response's Cache-Control header (a JWKS's lifetime).
  struct Document {
    Json json;
    std::string cache_control;
  };
  boost::asio::awaitable<std::expected<Document, std::string>> fetch_document_with_headers(
      std::string url, std::optional<Deadline> deadline = std::nullopt);

  std::size_t idle_connections() const { return pool_.idle_count(); }

 private:
  struct Call;
  boost::asio::awaitable<std::expected<std::shared_ptr<Call>, std::string>> prepare_call(
      BaseUrl base, const std::string& token, Deadline deadline, std::string_view accept);
  explicit FhirClient(ClientOptions options);
  boost::asio::awaitable<FetchOutcome> fetch_one(std::shared_ptr<const Call> call,
                                                 std::string target);
  boost::asio::awaitable<std::expected<HttpResponse, TransportError>> exchange(
      const Call& call, const std::string& target);

  ClientOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  ConnectionPool pool_;
};

}  // namespace ibd::fhir::client
