// The HTTP/1.1 listener: Boost.Beast over Asio, C++20 coroutines, one strand per connection.
//
// TLS (optional): a handshake deadline, then the same HTTP over the TLS stream.
// Limits it owns: header and body size (431 / 413 before the body is read when
// Content-Length says so), a bounded read buffer, a deadline per request read and per
// response write, an idle deadline between keep-alive requests. Requests with both
// Content-Length and Transfer-Encoding, or a Transfer-Encoding that does not end in
// "chunked", are refused with 400 and the connection is closed; so are an HTTP/1.1 request
// without Host and any request with two Host or two Authorization fields. Fields of a
// chunked trailer are never handed on (only the header section counts). 4xx access lines are
// rate-limited per client address and status.
//
// Lifecycle: start() binds and listens (port 0 picks a free port; bound_port() tells which),
// run() blocks running the I/O threads until shutdown completes. request_stop() (also on
// SIGINT / SIGTERM when install_signal_handlers is set; SIGHUP is logged as "reload not yet
// supported" and SIGUSR1 / SIGUSR2 are ignored: none of them ends the server) stops
// accepting, closes idle keep-alive connections, lets in-flight requests finish and answer
// (with "Connection: close"), and gives up on them after the grace period.
// Thread safety: start()/run() from one thread; request_stop() from any thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "server/router.hpp"

namespace ibd::server {

struct HttpLimits {
  std::size_t body_limit = 1024 * 1024;            // bytes
  std::size_t header_limit = 16 * 1024;            // bytes, request line + headers
  std::chrono::milliseconds read_timeout{10'000};  // from first byte to full request
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};  // keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace{10'000};
  std::chrono::milliseconds handshake_timeout{5'000};  // TLS handshake (slow or silent clients)
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 = any free port
  unsigned threads = 0;       // 0 = one per core
  HttpLimits limits;
  // Connections beyond this many are answered 503 (Retry-After) and closed; 0 = no cap.
  std::size_t max_connections = 1024;
  // TLS on the listener when set (certificate, key, TLS 1.2+, optional client certificates).
  std::shared_ptr<boost::asio::ssl::context> tls;
  bool install_signal_handlers = true;
  // Started when run() begins, on the server's I/O threads; cancelled (terminal) when the
  // server stops. The JWKS refresh loop runs here.
  std::function<boost::asio::awaitable<void>()> background;
};

// A server TLS context: certificate chain and key files, TLS 1.2 or later; with a client CA
// file, clients must present a certificate it signed (mutual TLS). The error names the file.
std::expected<std::shared_ptr<boost::asio::ssl::context>, std::string> make_server_tls(
    const std::string& cert_file, const std::string& key_file, const std::string& client_ca_file);

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const Router& router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. The error says what failed (address in use, bad address).
  std::expected<void, std::string> start();
  std::uint16_t bound_port() const;
  void run();
  void request_stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ibd::server
