#include "tests/integration/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace ibd::testing {

std::string HttpReply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

HttpConnection::HttpConnection(const std::string& host, std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpConnection::send_raw(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

namespace {

// Reads more bytes into `buffer`; false on EOF, error or timeout.
bool fill(int fd, std::string& buffer, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[16384];
  const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer.append(chunk, static_cast<std::size_t>(n));
  return true;
}

}  // namespace

std::optional<HttpReply> HttpConnection::read_reply(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(fd_, buffer_, deadline)) return std::nullopt;
  HttpReply reply;
  const std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  const auto first_eol = head.find("\r\n");
  const std::string status_line = head.substr(0, first_eol);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) return std::nullopt;
  reply.status = std::stoi(status_line.substr(9, 3));
  std::size_t pos = first_eol == std::string::npos ? head.size() : first_eol + 2;
  while (pos < head.size()) {
    auto eol = head.find("\r\n", pos);
    if (eol == std::string::npos) eol = head.size();
    const std::string line = head.substr(pos, eol - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      reply.headers[name] = value;
    }
    pos = eol + 2;
  }
  if (auto cl = reply.headers.find("content-length"); cl != reply.headers.end()) {
    const std::size_t length = std::stoul(cl->second);
    while (buffer_.size() < length)
      if (!fill(fd_, buffer_, deadline)) return std::nullopt;
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
  } else {
    while (fill(fd_, buffer_, deadline)) {
    }
    reply.body = std::move(buffer_);
    buffer_.clear();
  }
  return reply;
}

bool HttpConnection::closed_by_peer(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
}

std::optional<HttpReply> HttpConnection::request(const std::string& method,
                                                 const std::string& target, const std::string& body,
                                                 const std::string& content_type,
                                                 const std::string& extra_headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty() || method == "POST") {
    if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += extra_headers + "\r\n" + body;
  if (!send_raw(req)) return std::nullopt;
  return read_reply();
}

std::optional<HttpReply> http(std::uint16_t port, const std::string& method,
                              const std::string& target, const std::string& body,
                              const std::string& content_type) {
  HttpConnection c("127.0.0.1", port);
  if (!c.ok()) return std::nullopt;
  return c.request(method, target, body, content_type, "Connection: close\r\n");
}

}  // namespace ibd::testing
