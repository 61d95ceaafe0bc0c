// A small blocking HTTP/1.1 client over a POSIX socket, for tests that must send exactly the
// bytes they mean (malformed requests included) to the real server.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace ibd::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;
};

class HttpConnection {
 public:
  HttpConnection(const std::string& host, std::uint16_t port);  // connects; check ok()
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool send_raw(const std::string& bytes);
  // Reads one response (Content-Length or close-delimited); nullopt on EOF/timeout/garbage.
  std::optional<HttpReply> read_reply(int timeout_ms = 5000);
  // True when the server has closed the connection (EOF within timeout).
  bool closed_by_peer(int timeout_ms = 2000);

  std::optional<HttpReply> request(const std::string& method, const std::string& target,
                                   const std::string& body = "",
                                   const std::string& content_type = "application/json",
                                   const std::string& extra_headers = "");

 private:
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
std::optional<HttpReply> http(std::uint16_t port, const std::string& method,
                              const std::string& target, const std::string& body = "",
                              const std::string& content_type = "application/json");

}  // namespace ibd::testing
