#include "server/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fhir/json.hpp"

namespace ibd::server {
namespace {

using namespace std::chrono_literals;

struct RawResponse {
  int status = 0;
  std::vector<Header> headers;
  std::string body;

  const std::string* header(std::string_view name) const {
    for (const auto& h : headers) {
      if (h.name.size() == name.size() &&
          std::equal(h.name.begin(), h.name.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return &h.value;
      }
    }
    return nullptr;
  }
  std::string header_or(std::string_view name, std::string fallback = "<absent>") const {
    const std::string* v = header(name);
    return v ? *v : fallback;
  }
  std::string json_string(std::string_view key) const {
    auto parsed = fhir::parse_json(body);
    if (!parsed) return "<not json>";
    const std::string* s = parsed->string_at(key);
    return s ? *s : "<absent>";
  }
};

// A blocking POSIX client: raw bytes out, one parsed response at a time in. Every read has a
// 5 s timeout so a server bug fails the test instead of hanging it.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = 5;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One final response (interim 1xx responses are skipped); nullopt if the connection ended
  // or timed out first.
  std::optional<RawResponse> read_response() {
    for (;;) {
      std::size_t end;
      while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) return std::nullopt;
      }
      RawResponse r;
      std::string head = buffer_.substr(0, end);
      buffer_.erase(0, end + 4);
      std::size_t line_end = head.find("\r\n");
      std::string status_line = head.substr(0, line_end);
      if (status_line.size() < 12) return std::nullopt;
      r.status = std::stoi(status_line.substr(9, 3));
      std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        std::size_t next = head.find("\r\n", pos);
        if (next == std::string::npos) next = head.size();
        std::string line = head.substr(pos, next - pos);
        auto colon = line.find(':');
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers.push_back(Header{line.substr(0, colon), value});
        pos = next + 2;
      }
      if (r.status >= 100 && r.status < 200) continue;
      std::size_t length = 0;
      if (const std::string* cl = r.header("Content-Length")) length = std::stoul(*cl);
      while (buffer_.size() < length) {
        if (!fill()) return std::nullopt;
      }
      r.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return r;
    }
  }

  // The raw status line and headers of the next response, 1xx included.
  std::optional<std::string> read_head() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    return head;
  }

  // True when the peer closed the connection (orderly or by reset) within the timeout.
  bool closed_by_peer() {
    if (!buffer_.empty()) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    if (n == 0) return true;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
  }

 private:
  bool fill() {
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

fhir::Json object_with(std::string key, fhir::Json value) {
  fhir::Json j = fhir::Json::object();
  j.set(std::move(key), std::move(value));
  return j;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    router_.add("GET", "/hello", [](const Request&, const PathParams&) {
      return Response::json(200, object_with("hello", fhir::Json::string("world")));
    });
    router_.add("POST", "/echo", [](const Request& req, const PathParams&) {
      return Response::json(
          200,
          object_with("length", fhir::Json::number(static_cast<std::int64_t>(req.body.size()))));
    });
    router_.add("GET", "/slow", [this](const Request&, const PathParams&) {
      slow_started_.store(true);
      std::this_thread::sleep_for(300ms);
      return Response::json(200, object_with("slow", fhir::Json::boolean(true)));
    });
    router_.add("GET", "/items/{id}", [](const Request& req, const PathParams& params) {
      fhir::Json j = fhir::Json::object();
      j.set("id", fhir::Json::string(params.at("id")));
      j.set("path", fhir::Json::string(req.path));
      j.set("target", fhir::Json::string(req.target));
      j.set("segments", fhir::Json::number(static_cast<std::int64_t>(req.segments.size())));
      return Response::json(200, j);
    });
    router_.add("GET", "/headers", [](const Request& req, const PathParams&) {
      Response r = Response::json(
          200, object_with(
                   "x", fhir::Json::string(req.header("x-probe") ? *req.header("x-probe") : "")));
      r.headers.push_back(Header{"X-Extra", "1"});
      r.headers.push_back(Header{"X-Bad", "a\r\nInjected: yes"});
      r.headers.push_back(Header{"Content-Length", "999"});
      return r;
    });
  }

  HttpServerOptions default_options() {
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.install_signal_handlers = false;
    options.limits.body_limit = 1024;
    options.limits.header_limit = 4096;
    options.limits.read_timeout = 5s;
    options.limits.write_timeout = 5s;
    options.limits.idle_timeout = 5s;
    options.limits.shutdown_grace = 5s;
    return options;
  }

  void start(HttpServerOptions options) {
    server_ = std::make_unique<HttpServer>(std::move(options), router_);
    auto started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error();
    port_ = server_->bound_port();
    ASSERT_NE(port_, 0);
    run_done_ = std::async(std::launch::async, [this] { server_->run(); });
  }
  void start() { start(default_options()); }

  // Stops the server and reports whether run() returned within `limit`.
  bool stop_and_wait(std::chrono::milliseconds limit = 5s) {
    if (!server_) return true;
    server_->request_stop();
    return run_done_.wait_for(limit) == std::future_status::ready;
  }

  void TearDown() override {
    if (server_ && run_done_.valid()) {
      EXPECT_TRUE(stop_and_wait());
      run_done_.wait();
    }
  }

  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::future<void> run_done_;
  std::atomic<bool> slow_started_{false};
};

TEST_F(HttpServerTest, ServesTwoRequestsOnOneKeepAliveConnection) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"hello":"world"})");
    EXPECT_EQ(r->header_or("Content-Type"), "application/json");
    EXPECT_EQ(r->header_or("Server"), "ibd-cds");
    EXPECT_EQ(r->header_or("Cache-Control"), "no-store");
    EXPECT_NE(r->header_or("Connection"), "close");
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(
      c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  auto a = c.read_response();
  auto b = c.read_response();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body, R"({"hello":"world"})");
  EXPECT_EQ(b->body, R"({"length":3})");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header_or("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpServerTest, Http10ClosesByDefault) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpServerTest, PostBodyReachesHandler) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"length":5})");
}

TEST_F(HttpServerTest, ChunkedBodyReachesHandler) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"length":7})");
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponse) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  // The body is sent only once the server asked for it.
  auto interim = c.read_head();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->substr(0, 12), "HTTP/1.1 100");
  ASSERT_TRUE(c.send("ok"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"length":2})");
}

TEST_F(HttpServerTest, PathIsDecodedAndQueryKeptOutOfIt) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.send("GET //items/a%20b/?patient=123 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->json_string("id"), "a b");
  EXPECT_EQ(r->json_string("path"), "//items/a b/");
  EXPECT_EQ(r->json_string("target"), "//items/a%20b/?patient=123");
  EXPECT_NE(r->body.find(R"("segments":2)"), std::string::npos) << r->body;
}

TEST_F(HttpServerTest, HandlerHeadersAreSentButFramingAndInjectionAreNot) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.send("GET /headers HTTP/1.1\r\nHost: x\r\nX-Probe: seen\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->json_string("x"), "seen");
  EXPECT_EQ(r->header_or("X-Extra"), "1");
  EXPECT_EQ(r->header(("X-Bad")), nullptr);
  EXPECT_EQ(r->header(("Injected")), nullptr);
  EXPECT_EQ(r->header_or("Content-Length"), std::to_string(r->body.size()));
}

TEST_F(HttpServerTest, UnknownPathIs404AndConnectionStaysOpen) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->json_string("error"), "not_found");
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto again = c.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header_or("Allow"), "GET");
  EXPECT_EQ(r->json_string("error"), "method_not_allowed");
}

TEST_F(HttpServerTest, ContentLengthWithTransferEncodingIs400AndCloses) {
  start();
  for (const char* request :
       {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
        "0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 4\r\n\r\n"
        "abcd"}) {
    RawConnection c(port_);
    ASSERT_TRUE(c.send(request));
    auto r = c.read_response();
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 400) << request;
    EXPECT_EQ(r->json_string("error"), "invalid_request");
    EXPECT_EQ(r->header_or("Connection"), "close");
    EXPECT_TRUE(c.closed_by_peer()) << request;
  }
}

TEST_F(HttpServerTest, TransferEncodingNotEndingInChunkedIs400) {
  start();
  for (const char* te : {"gzip", "chunked, gzip", "gzip, chunked", "chunked, chunked"}) {
    RawConnection c(port_);
    ASSERT_TRUE(c.send(std::string("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + te +
                       "\r\n\r\n0\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r) << te;
    EXPECT_EQ(r->status, 400) << te;
    EXPECT_TRUE(c.closed_by_peer()) << te;
  }
}

TEST_F(HttpServerTest, ChunkedWithHttp10Is400) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(c.send("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(HttpServerTest, ContentLengthOverLimitIs413WithoutReadingBody) {
  start();
  RawConnection c(port_);
  // The body is never sent: the answer must come from the header alone.
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->json_string("error"), "payload_too_large");
  EXPECT_EQ(r->header_or("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitIs413) {
  start();
  RawConnection c(port_);
  std::string chunk(800, 'a');
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "320\r\n" +
             chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  start();
  RawConnection c(port_);
  ASSERT_TRUE(
      c.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'b') + "\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->json_string("error"), "header_too_large");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpServerTest, MalformedRequestLineIs400) {
  start();
  for (const char* request : {"GARBAGE\r\n\r\n", "GET /hello HTTP/9.9\r\n\r\n",
                              "GET  /hello HTTP/1.1\r\n\r\n", "G(T /hello HTTP/1.1\r\n\r\n"}) {
    RawConnection c(port_);
    ASSERT_TRUE(c.send(request));
    auto r = c.read_response();
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 400) << request;
    EXPECT_EQ(r->json_string("error"), "invalid_request");
    EXPECT_TRUE(c.closed_by_peer());
  }
}

TEST_F(HttpServerTest, BadTargetIs400) {
  start();
  for (const char* target : {"/a%zz", "*", "http://example.org/hello", "/a#frag"}) {
    RawConnection c(port_);
    ASSERT_TRUE(c.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 400) << target;
  }
}

TEST_F(HttpServerTest, ClientThatHangsUpMidRequestDoesNotHurtTheServer) {
  start();
  {
    RawConnection c(port_);
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"));
  }
  RawConnection c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterIdleTimeout) {
  auto options = default_options();
  options.limits.idle_timeout = 200ms;
  start(options);
  RawConnection c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_response());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST_F(HttpServerTest, SlowRequestIsClosedAfterReadTimeout) {
  auto options = default_options();
  options.limits.read_timeout = 200ms;
  start(options);
  RawConnection c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHo"));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

class GracefulStopTest : public HttpServerTest, public ::testing::WithParamInterface<unsigned> {};

// With one I/O thread the stop can only be handled once the slow handler has returned; with
// two it is handled while the handler runs. Both must answer with "Connection: close".
TEST_P(GracefulStopTest, FinishesInFlightRequestAndClosesIdleOnes) {
  auto options = default_options();
  options.threads = GetParam();
  start(options);
  RawConnection idle(port_);
  ASSERT_TRUE(idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.read_response());

  RawConnection busy(port_);
  ASSERT_TRUE(busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!slow_started_.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(slow_started_.load());

  server_->request_stop();
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"slow":true})");
  EXPECT_EQ(r->header_or("Connection"), "close");
  EXPECT_TRUE(busy.closed_by_peer());
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_EQ(run_done_.wait_for(3s), std::future_status::ready);

  RawConnection late(port_);
  EXPECT_FALSE(late.connected());
}

INSTANTIATE_TEST_SUITE_P(Threads, GracefulStopTest, ::testing::Values(1u, 2u));

TEST_F(HttpServerTest, StopGivesUpOnStuckRequestsAfterGrace) {
  auto options = default_options();
  options.limits.shutdown_grace = 200ms;
  options.limits.read_timeout = 30s;
  start(options);
  RawConnection stuck(port_);
  ASSERT_TRUE(stuck.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"));
  std::this_thread::sleep_for(100ms);  // let the server start reading the body
  const auto t0 = std::chrono::steady_clock::now();
  server_->request_stop();
  ASSERT_EQ(run_done_.wait_for(5s), std::future_status::ready);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 3s);
}

TEST_F(HttpServerTest, StopWithoutConnectionsReturnsPromptly) {
  start();
  const auto t0 = std::chrono::steady_clock::now();
  server_->request_stop();
  server_->request_stop();  // idempotent
  ASSERT_EQ(run_done_.wait_for(3s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(HttpServerTest, StartFailsWhenPortIsTaken) {
  start();
  auto options = default_options();
  options.port = port_;
  HttpServer second(options, router_);
  auto result = second.start();
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("cannot bind 127.0.0.1:" + std::to_string(port_)),
            std::string::npos)
      << result.error();
}

TEST_F(HttpServerTest, StartFailsOnBadAddress) {
  auto options = default_options();
  options.host = "not an address";
  HttpServer server(options, router_);
  auto result = server.start();
  ASSERT_FALSE(result.has_value());
  EXPECT_FALSE(result.error().empty());
}

}  // namespace
}  // namespace ibd::server
