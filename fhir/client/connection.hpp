// One HTTP/1.1 connection to a FHIR server (plain TCP or TLS), and a keep-alive pool of idle
// connections per origin.
//
// TLS: version 1.2 or later, the peer's certificate chain verified against the system store
// (plus an optional CA file), the host name or IP checked against the certificate by OpenSSL
// (X509_VERIFY_PARAM, no partial wildcards), SNI sent for names. Every operation runs against
// an absolute deadline; a response larger than the body limit is refused while it is read.
// A Connection is used by one coroutine at a time. ConnectionPool is thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fhir/client/url_guard.hpp"

namespace ibd::fhir::client {

using Deadline = std::chrono::steady_clock::time_point;

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string retry_after;  // the Retry-After header as sent, or ""
  std::string cache_control;  // the Cache-Control header as sent, or "" (JWKS lifetimes)
  std::string body;
  bool keep_alive = false;
};

// What went wrong below HTTP. `message` is safe to show: it never holds a URL, a token or
// a patient id. `reused_stale` marks a pooled connection the server had already closed (the
// request may be sent again on a fresh one).
struct TransportError {
  std::string message;
  bool timed_out = false;
  bool too_large = false;
  bool reused_stale = false;
};

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects to the first endpoint that answers and, for https, completes the TLS handshake.
  static boost::asio::awaitable<std::expected<std::unique_ptr<Connection>, TransportError>> open(
      const Origin& origin, std::vector<boost::asio::ip::tcp::endpoint> endpoints,
      boost::asio::ssl::context* tls, Deadline deadline);

  // One GET with the given headers; reads the whole response.
  boost::asio::awaitable<std::expected<HttpResponse, TransportError>> get(
      const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
      std::size_t body_limit, Deadline deadline);

  bool reused() const { return reused_; }
  void mark_reused() { reused_ = true; }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
  void mark_idle() { idle_since_ = std::chrono::steady_clock::now(); }

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  bool reused_ = false;
  std::chrono::steady_clock::time_point idle_since_{};
};

// Idle keep-alive connections keyed by origin. take() hands out the most recently used one
// that has not been idle longer than the idle timeout.
class ConnectionPool {
 public:
  ConnectionPool(std::size_t max_idle_per_origin, std::chrono::milliseconds idle_timeout)
      : max_idle_(max_idle_per_origin), idle_timeout_(idle_timeout) {}
  std::unique_ptr<Connection> take(const std::string& origin);
  void give_back(const std::string& origin, std::unique_ptr<Connection> connection);
  std::size_t idle_count() const;

 private:
  std::size_t max_idle_;
  std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

// A TLS client context: TLS 1.2+, peer verification, system CAs plus `ca_file` when given.
std::expected<std::shared_ptr<boost::asio::ssl::context>, std::string> make_tls_context(
    const std::string& ca_file);

}  // namespace ibd::fhir::client
