// A small HTTP/1.1 server on 127.0.0.1 for the harness's own fixtures (the fixture FHIR server
// and the JWKS server): keep-alive, one coroutine per connection, one I/O thread, and a
// synchronous handler (the handlers answer from memory). Bind with port 0 for any free port.
// Thread safety: the handler runs on the server's thread; it must guard what it shares.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace ibd::conformance {

struct LoopbackRequest {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;
};

struct LoopbackResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class LoopbackServer {
 public:
  using Handler = std::function<LoopbackResponse(const LoopbackRequest&)>;
  // Binds 127.0.0.1:port (0 = any free port) and starts serving on a thread.
  static std::expected<std::unique_ptr<LoopbackServer>, std::string> start(std::uint16_t port,
                                                                           Handler handler);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"

 private:
  struct Impl;
  explicit LoopbackServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-decoding of a query component ('+' is a space).
std::string url_decode(const std::string& text);
std::string url_encode(const std::string& text);

}  // namespace ibd::conformance
