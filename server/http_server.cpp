#include "server/http_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <type_traits>
#include <thread>
#include <utility>
#include <vector>

#include "server/http_framing.hpp"
#include "server/log_limit.hpp"

namespace ibd::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using framing::answer_for_read_error;
using framing::bad_request;
using framing::framing_problem;
using framing::header_problem;
using framing::is_unsafe_header;
using framing::loggable_path;
using framing::Parser;
using framing::too_large;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// The read buffer holds at most one header (plus what a pipelining client sent after it);
// the slack lets the parser see that a header passed header_limit before the buffer is full.
constexpr std::size_t kBufferSlack = 8 * 1024;
// After an error answer the connection is closed; unread request bytes are drained for a
// moment first so the peer's TCP stack does not reset the connection before it has read the
// answer (a close with unread data sends RST).
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 256 * 1024;
constexpr std::chrono::milliseconds kAcceptBackoff{50};

struct Session {
  explicit Session(tcp::socket socket) : stream(std::move(socket)) {
    beast::error_code ec;
    const auto endpoint = stream.socket().remote_endpoint(ec);
    if (!ec) remote = endpoint.address().to_string();
  }
  beast::tcp_stream stream;
  std::string remote;  // the peer's address, for the log's rate limit and handlers
  // Set after accept when the listener speaks TLS; reads and writes then go through it.
  std::unique_ptr<asio::ssl::stream<beast::tcp_stream&>> tls;
  // Both only touched on the session's strand.
  bool busy = false;      // a request has started arriving and is not yet answered
  bool stopping = false;  // shutdown asked this session to end
};

// The access line. Error answers a client can provoke at will are rate-limited per address
// and status (LogLimiter), so a flood of bad requests cannot flood the log.
void log_access(const std::string& remote, std::string_view method, std::string_view path,
                int status, double ms) {
  if (status >= 400 && status < 500) {
    std::uint64_t suppressed = 0;
    if (!LogLimiter::shared().allow(remote, "status " + std::to_string(status), suppressed))
      return;
    spdlog::info("{} {} {} {:.1f}ms{}", method, path, status, ms, LogLimiter::suffix(suppressed));
    return;
  }
  spdlog::info("{} {} {} {:.1f}ms", method, path, status, ms);
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, const Router& r)
      : options(std::move(o)),
        router(r),
        ioc(static_cast<int>(thread_count())),
        strand(asio::make_strand(ioc)),
        acceptor(strand),
        grace_timer(strand) {}

  unsigned thread_count() const {
    if (options.threads != 0) return options.threads;
    return std::max(1u, std::thread::hardware_concurrency());
  }

  std::expected<void, std::string> start();
  void run();
  void do_stop();  // on `strand`
  void session_ended();
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<Session> session, bool over_capacity);
  template <class Stream>
  asio::awaitable<void> serve_on(Session& s, Stream& io);
  template <class Stream>
  asio::awaitable<beast::error_code> write(Session& session, Stream& io, const Response& response,
                                           unsigned version, bool keep_alive, bool head);
  template <class Stream>
  asio::awaitable<void> linger_close(Session& session, Stream& io);
  template <class Stream>
  asio::awaitable<void> answer_and_close(Session& session, Stream& io, Response response,
                                         unsigned version,
                                         std::string_view method, std::string_view path,
                                         Clock::time_point started);

  HttpServerOptions options;
  const Router& router;
  // Declared before every I/O object so it is destroyed after them.
  asio::io_context ioc;
  // Runs the accept loop, the signal wait, the grace timer and do_stop().
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  std::optional<asio::signal_set> signals;
  void wait_for_signal();
  asio::cancellation_signal background_cancel;  // on `strand`
  asio::steady_timer grace_timer;
  std::uint16_t port = 0;
  bool listening = false;
  bool stop_started = false;  // on `strand`
  std::atomic<bool> stop_requested{false};

  std::mutex mutex;  // guards the three below
  std::vector<std::weak_ptr<Session>> sessions;
  std::size_t live = 0;   // session coroutines not yet finished
  bool stopping = false;  // no new session may start
};

std::expected<void, std::string> HttpServer::Impl::start() {
  const std::string where = options.host + ":" + std::to_string(options.port);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(options.host, std::to_string(options.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) return std::unexpected("cannot resolve " + where + ": " + ec.message());
  if (results.empty()) return std::unexpected("cannot resolve " + where + ": no address");

  for (const auto& entry : results) {
    tcp::acceptor candidate(strand);
    const tcp::endpoint endpoint = entry.endpoint();
    candidate.open(endpoint.protocol(), ec);
    if (!ec) candidate.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) candidate.bind(endpoint, ec);
    if (!ec) candidate.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) continue;
    port = candidate.local_endpoint(ec).port();
    if (ec) continue;
    acceptor = std::move(candidate);
    break;
  }
  if (ec || !acceptor.is_open()) {
    return std::unexpected("cannot bind " + where + ": " +
                           (ec ? ec.message() : std::string("no usable address")));
  }

  if (options.install_signal_handlers) {
    signals.emplace(strand, SIGINT, SIGTERM);
    // SIGHUP (reload) and SIGUSR1/SIGUSR2 must not end the server: they are caught here.
    signals->add(SIGHUP, ec);
    signals->add(SIGUSR1, ec);
    signals->add(SIGUSR2, ec);
    wait_for_signal();
  }
  listening = true;
  spdlog::info("listening on {}:{}", options.host, port);
  return {};
}

void HttpServer::Impl::wait_for_signal() {
  signals->async_wait([this](const beast::error_code& error, int signal_number) {
    if (error) return;
    if (signal_number == SIGHUP) {
      spdlog::warn("SIGHUP received: reloading the configuration is not yet supported; "
                   "carrying on with the current one");
      wait_for_signal();
      return;
    }
    if (signal_number == SIGUSR1 || signal_number == SIGUSR2) {
      spdlog::info("signal {} received and ignored", signal_number);
      wait_for_signal();
      return;
    }
    spdlog::info("signal {} received, shutting down", signal_number);
    stop_requested.store(true);
    do_stop();
  });
}

void HttpServer::Impl::run() {
  if (!listening) return;
  if (options.background) {
    asio::co_spawn(strand, options.background(),
                   asio::bind_cancellation_slot(
                       background_cancel.slot(), [](std::exception_ptr e) {
                         if (!e) return;
                         try {
                           std::rethrow_exception(e);
                         } catch (const std::exception& x) {
                           spdlog::error("background task failed: {}", x.what());
                         } catch (...) {
                           spdlog::error("background task failed");
                         }
                       }));
  }
  asio::co_spawn(strand, accept_loop(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      spdlog::error("accept loop failed: {}", x.what());
    }
  });
  auto run_io = [this] {
    try {
      ioc.run();
    } catch (const std::exception& e) {
      // Nothing should escape a handler; if something does, stop rather than limp on.
      spdlog::critical("I/O thread failed: {}", e.what());
      ioc.stop();
    }
  };
  std::vector<std::thread> pool;
  const unsigned n = thread_count();
  pool.reserve(n - 1);
  for (unsigned i = 1; i < n; ++i) pool.emplace_back(run_io);
  run_io();
  for (auto& t : pool) t.join();
  spdlog::info("http server stopped");
}

void HttpServer::Impl::do_stop() {
  if (stop_started) return;
  stop_started = true;
  beast::error_code ec;
  acceptor.close(ec);
  if (signals) signals->cancel(ec);
  background_cancel.emit(asio::cancellation_type::terminal);

  std::vector<std::shared_ptr<Session>> current;
  std::size_t remaining = 0;
  {
    std::lock_guard lock(mutex);
    stopping = true;
    for (const auto& weak : sessions) {
      if (auto s = weak.lock()) current.push_back(std::move(s));
    }
    remaining = live;
  }
  spdlog::info("http server stopping: {} open connection(s)", remaining);
  for (auto& s : current) {
    // On the session's strand, so it cannot race the session's own coroutine: an idle
    // connection is cancelled now, a busy one ends after it has answered.
    asio::post(s->stream.get_executor(), [s] {
      s->stopping = true;
      if (!s->busy) s->stream.cancel();
    });
  }
  if (remaining > 0) {
    grace_timer.expires_after(options.limits.shutdown_grace);
    grace_timer.async_wait([this](const beast::error_code& error) {
      if (error) return;  // cancelled: every session finished in time
      spdlog::warn("shutdown grace period over; dropping the remaining connections");
      ioc.stop();
    });
  }
}

void HttpServer::Impl::session_ended() {
  std::lock_guard lock(mutex);
  --live;
  if (stopping && live == 0) {
    asio::post(strand, [this] { grace_timer.cancel(); });
  }
}

asio::awaitable<void> HttpServer::Impl::accept_loop() {
  asio::steady_timer backoff(strand);
  for (;;) {
    asio::any_io_executor session_strand = asio::make_strand(ioc);
    auto [ec, socket] = co_await acceptor.async_accept(session_strand, kAwait);
    if (stop_started || stop_requested.load()) co_return;
    if (ec) {
      if (!acceptor.is_open()) co_return;
      // EMFILE, ENFILE, ECONNABORTED, ...: transient; keep the listener alive.
      spdlog::warn("accept failed: {}", ec.message());
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(kAwait);
      continue;
    }
    auto session = std::make_shared<Session>(std::move(socket));
    bool over_capacity = false;
    {
      std::lock_guard lock(mutex);
      if (stopping) continue;
      over_capacity = options.max_connections != 0 && live >= options.max_connections;
      if (sessions.size() > 2 * live + 16) {
        std::erase_if(sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
      }
      sessions.push_back(session);
      ++live;
    }
    auto executor = session->stream.get_executor();
    asio::co_spawn(executor, serve(session, over_capacity), [this](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          spdlog::error("connection failed: {}", x.what());
        } catch (...) {
          spdlog::error("connection failed");
        }
      }
      session_ended();
    });
  }
}

template <class Stream>
asio::awaitable<beast::error_code> HttpServer::Impl::write(Session& session, Stream& io,
                                                           const Response& response,
                                                           unsigned version, bool keep_alive,
                                                           bool head) {
  const bool valid_status = response.status >= 200 && response.status <= 599;
  http::response<http::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(valid_status ? response.status : 500));
  res.set(http::field::server, "ibd-cds");
  res.set(http::field::cache_control, "no-store");
  const bool bodiless =
      res.result() == http::status::no_content || res.result() == http::status::not_modified;
  if (!valid_status) {
    spdlog::error("handler returned invalid status {}", response.status);
    res.body() = Response::error(Error::internal_fault("")).body;
    res.set(http::field::content_type, "application/json");
  } else {
    if (!bodiless) res.body() = response.body;
    if (!res.body().empty() && !response.content_type.empty()) {
      res.set(http::field::content_type, response.content_type);
    }
    for (const Header& h : response.headers) {
      if (is_unsafe_header(h)) {
        spdlog::warn("dropping response header the handler may not set");
        continue;
      }
      // The server's defaults can be overridden; anything else may repeat (Vary, Link, ...).
      if (beast::iequals(h.name, "Cache-Control") || beast::iequals(h.name, "Server") ||
          beast::iequals(h.name, "Content-Type")) {
        res.set(h.name, h.value);
      } else {
        res.insert(h.name, h.value);
      }
    }
  }
  res.keep_alive(keep_alive);
  res.prepare_payload();
  if (head) res.body().clear();  // Content-Length stays that of the GET answer

  session.stream.expires_after(options.limits.write_timeout);
  auto [ec, n] = co_await http::async_write(io, res, kAwait);
  co_return ec;
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::linger_close(Session& session, Stream& io) {
  beast::error_code ec;
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    // TLS: say close_notify (bounded by the write deadline) rather than drain ciphertext.
    session.stream.expires_after(std::min(kLingerTime, options.limits.write_timeout));
    auto [sec] = co_await io.async_shutdown(kAwait);
    (void)sec;
    session.stream.socket().close(ec);
    co_return;
  }
  session.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  session.stream.expires_after(std::min(kLingerTime, options.limits.read_timeout));
  std::array<char, 4096> scratch{};
  std::size_t drained = 0;
  while (drained < kLingerBytes) {
    auto [rec, n] = co_await io.async_read_some(asio::buffer(scratch), kAwait);
    if (rec) break;
    drained += n;
  }
  session.stream.socket().close(ec);
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::answer_and_close(Session& session, Stream& io,
                                                         Response response,
                                                         unsigned version, std::string_view method,
                                                         std::string_view path,
                                                         Clock::time_point started) {
  const int status = response.status;
  auto ec = co_await write(session, io, response, version, false, false);
  const auto ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  log_access(session.remote, method, path, status, ms);
  if (!ec) co_await linger_close(session, io);
}

asio::awaitable<void> HttpServer::Impl::serve(std::shared_ptr<Session> session,
                                              bool over_capacity) {
  Session& s = *session;
  if (options.tls) {
    s.tls = std::make_unique<asio::ssl::stream<beast::tcp_stream&>>(s.stream, *options.tls);
    s.stream.expires_after(options.limits.handshake_timeout);
    auto [hec] = co_await s.tls->async_handshake(asio::ssl::stream_base::server, kAwait);
    if (hec) {
      spdlog::info("TLS handshake failed: {}", hec.message());
      beast::error_code ec;
      s.stream.socket().close(ec);
      co_return;
    }
  }
  if (over_capacity) {
    // Over the connection cap: one short answer, then close.
    Response busy = Response::error(ErrorKind::kUnavailable,
                                    "too many connections; try again shortly");
    busy.headers.push_back({"Retry-After", "1"});
    if (s.tls) {
      co_await answer_and_close(s, *s.tls, std::move(busy), 11, "-", "-", Clock::now());
    } else {
      co_await answer_and_close(s, s.stream, std::move(busy), 11, "-", "-", Clock::now());
    }
    co_return;
  }
  if (s.tls) {
    co_await serve_on(s, *s.tls);
  } else {
    co_await serve_on(s, s.stream);
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::serve_on(Session& s, Stream& io) {
  const HttpLimits& limits = options.limits;
  beast::flat_buffer buffer(limits.header_limit + kBufferSlack);
  bool first = true;

  for (;;) {
    if (s.stopping || stop_requested.load()) break;

    // Wait for the first byte of the next request: this is the idle part of a connection,
    // the only part shutdown may cut.
    if (buffer.size() == 0) {
      s.stream.expires_after(first ? limits.read_timeout : limits.idle_timeout);
      auto [ec, n] = co_await io.async_read_some(
          buffer.prepare(beast::read_size(buffer, 65536)), kAwait);
      if (ec) break;  // peer closed, idle timeout, or cancelled by shutdown
      buffer.commit(n);
    }
    first = false;
    s.busy = true;
    const auto started = Clock::now();

    // From here on one deadline covers the whole request, header and body.
    s.stream.expires_after(limits.read_timeout);
    Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.header_limit, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(limits.body_limit);

    {
      auto [ec, n] = co_await http::async_read_header(io, buffer, parser, kAwait);
      if (ec) {
        if (auto answer = answer_for_read_error(ec, false)) {
          // The request line may have been parsed before a field failed; log what there is.
          // (Named locals only: GCC 12 mishandles temporaries of a ?: inside co_await.)
          const auto& partial = parser.get();
          std::string method(partial.method_string());
          if (method.empty()) method = "-";
          std::string path = loggable_path(partial.target());
          if (path.empty()) path = "-";
          const unsigned version = partial.version() == 10 ? 10 : 11;
          co_await answer_and_close(s, io, std::move(*answer), version, method, path, started);
        }
        break;
      }
    }
    const auto received = Clock::now();
    const auto& header = parser.get();
    const unsigned version = header.version() == 10 ? 10 : 11;
    const std::string method(header.method_string());
    const std::string target(header.target());
    const std::string log_path = loggable_path(target);

    // Early answers are built into a named local before the co_await (see above).
    std::optional<Response> refusal;
    auto url = boost::urls::parse_origin_form(target);
    if (auto problem = framing_problem(parser)) {
      refusal = bad_request(std::move(*problem));
    } else if (auto ambiguous = header_problem(parser)) {
      refusal = bad_request(std::move(*ambiguous));
    } else if (auto length = parser.content_length(); length && *length > limits.body_limit) {
      refusal = too_large();  // before a byte of the body is read
    } else if (!url) {
      refusal = bad_request("malformed request target");
    }
    if (refusal) {
      co_await answer_and_close(s, io, std::move(*refusal), version, method, log_path, started);
      break;
    }
    const bool head = method == "HEAD";
    // The header section, copied before the body is read: Beast adds the fields of a chunked
    // body's trailer to the same field list, and a trailer must never supply Authorization,
    // Content-Type or anything else a handler reads (RFC 9110 §6.5.1).
    std::vector<Header> header_fields;
    header_fields.reserve(std::distance(header.begin(), header.end()));
    for (const auto& field : header) {
      header_fields.push_back(
          Header{std::string(field.name_string()), std::string(field.value())});
    }
    const bool client_keep_alive = header.keep_alive();

    if (!parser.is_done()) {
      auto expect = header.find(http::field::expect);
      if (expect != header.end() && version == 11 && beast::iequals(expect->value(), "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        s.stream.expires_after(limits.write_timeout);
        auto [wec, wn] = co_await http::async_write(io, go_on, kAwait);
        if (wec) break;
        s.stream.expires_after(limits.read_timeout);
      }
      auto [ec, n] = co_await http::async_read(io, buffer, parser, kAwait);
      if (ec) {
        if (auto answer = answer_for_read_error(ec, true)) {
          co_await answer_and_close(s, io, std::move(*answer), version, method, log_path, started);
        }
        break;
      }
    }

    Request request;
    request.method = method;
    request.target = target;
    request.path = url->path();
    for (const std::string segment : url->segments()) {
      if (!segment.empty()) request.segments.push_back(segment);
    }
    request.headers = std::move(header_fields);
    if (std::distance(header.begin(), header.end()) !=
        static_cast<std::ptrdiff_t>(request.headers.size())) {
      std::uint64_t suppressed = 0;
      if (LogLimiter::shared().allow(s.remote, "trailer ignored", suppressed))
        spdlog::info("{} {}: trailer fields ignored{}", method, log_path,
                     LogLimiter::suffix(suppressed));
    }
    request.body = std::move(parser.get().body());
    request.received = received;
    request.remote = s.remote;

    Response response = co_await router.dispatch_async(request);

    // Decided after the handler ran, so a request that was in flight when shutdown began
    // is answered with "Connection: close".
    const bool keep_alive = client_keep_alive && !s.stopping && !stop_requested.load();
    auto ec = co_await write(s, io, response, version, keep_alive, head);
    const auto ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    log_access(s.remote, method, log_path, response.status, ms);
    s.busy = false;
    if (ec || !keep_alive) break;
  }

  beast::error_code ec;
  s.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  s.stream.socket().close(ec);
}

std::expected<std::shared_ptr<asio::ssl::context>, std::string> make_server_tls(
    const std::string& cert_file, const std::string& key_file, const std::string& client_ca_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1)
    return std::unexpected("cannot require TLS 1.2");
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression |
                   asio::ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);
  beast::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) return std::unexpected("cannot load the certificate " + cert_file + ": " + ec.message());
  ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) return std::unexpected("cannot load the key " + key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return std::unexpected("the key " + key_file + " does not match the certificate");
  if (!client_ca_file.empty()) {
    ctx->load_verify_file(client_ca_file, ec);
    if (ec) return std::unexpected("cannot load the client CA " + client_ca_file + ": " + ec.message());
    ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

HttpServer::HttpServer(HttpServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

HttpServer::~HttpServer() = default;

std::expected<void, std::string> HttpServer::start() { return impl_->start(); }

std::uint16_t HttpServer::bound_port() const { return impl_->port; }

void HttpServer::run() { impl_->run(); }

void HttpServer::request_stop() {
  impl_->stop_requested.store(true);
  asio::post(impl_->strand, [impl = impl_.get()] { impl->do_stop(); });
}

}  // namespace ibd::server
