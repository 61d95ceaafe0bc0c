#include "fhir/client/connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace ibd::fhir::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

TransportError transport_error(const beast::error_code& ec, std::string_view during) {
  TransportError e;
  if (ec == beast::error::timeout) {
    e.timed_out = true;
    e.message = "no answer in time (" + std::string(during) + ")";
  } else if (ec == http::error::body_limit) {
    e.too_large = true;
    e.message = "the response was larger than this server accepts";
  } else if (ec == http::error::header_limit) {
    e.too_large = true;
    e.message = "the response headers were larger than this server accepts";
  } else if (ec == http::error::end_of_stream || ec == asio::error::eof ||
             ec == asio::error::connection_reset || ec == ssl::error::stream_truncated) {
    e.message = "the connection was closed (" + std::string(during) + ")";
  } else if (ec.category() == asio::error::get_ssl_category()) {
    e.message = "TLS failed (" + std::string(during) + "): " + ec.message();
  } else {
    e.message = std::string(during) + " failed: " + ec.message();
  }
  return e;
}

}  // namespace

struct Connection::Impl {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  std::string host_header;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  template <class Stream>
  asio::awaitable<std::expected<HttpResponse, TransportError>> exchange(
      Stream& stream, const http::request<http::empty_body>& request, std::size_t body_limit,
      Deadline deadline) {
    lowest().expires_at(deadline);
    auto [wec, written] = co_await http::async_write(stream, request, kAwait);
    if (wec) co_return std::unexpected(transport_error(wec, "sending the request"));
    beast::flat_buffer buffer(kHeaderLimit + 16 * 1024);
    http::response_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(body_limit);
    lowest().expires_at(deadline);
    auto [rec, read] = co_await http::async_read(stream, buffer, parser, kAwait);
    if (rec) {
      auto e = transport_error(rec, "reading the response");
      e.reused_stale = read == 0 && !e.timed_out;
      co_return std::unexpected(std::move(e));
    }
    auto& msg = parser.get();
    HttpResponse out;
    out.status = static_cast<int>(msg.result_int());
    out.content_type = std::string(msg[http::field::content_type]);
    out.retry_after = std::string(msg[http::field::retry_after]);
    out.cache_control = std::string(msg[http::field::cache_control]);
    out.keep_alive = msg.keep_alive() && buffer.size() == 0;
    out.body = std::move(msg.body());
    co_return out;
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Connection::~Connection() {
  beast::error_code ec;
  impl_->lowest().socket().close(ec);
}

asio::awaitable<std::expected<std::unique_ptr<Connection>, TransportError>> Connection::open(
    const Origin& origin, std::vector<tcp::endpoint> endpoints, ssl::context* tls,
    Deadline deadline) {
  auto executor = co_await asio::this_coro::executor;
  auto impl = std::make_unique<Impl>();
  const bool v6 = origin.host.find(':') != std::string::npos;
  impl->host_header = v6 ? "[" + origin.host + "]" : origin.host;
  const bool default_port = origin.port == (origin.scheme == "https" ? 443 : 80);
  if (!default_port) impl->host_header += ":" + std::to_string(origin.port);

  if (origin.scheme == "https") {
    if (tls == nullptr) co_return std::unexpected(TransportError{"TLS is not configured"});
    impl->tls.emplace(executor, *tls);
    SSL* native = impl->tls->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(native);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int named = origin.host_is_ip
                          ? X509_VERIFY_PARAM_set1_ip_asc(param, origin.host.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, origin.host.c_str(), 0);
    if (named != 1) co_return std::unexpected(TransportError{"cannot set the TLS peer name"});
    if (!origin.host_is_ip && SSL_set_tlsext_host_name(native, origin.host.c_str()) != 1)
      co_return std::unexpected(TransportError{"cannot set the TLS server name"});
    impl->tls->set_verify_mode(ssl::verify_peer);
  } else {
    impl->plain.emplace(executor);
  }
  impl->lowest().expires_at(deadline);
  auto [cec, endpoint] = co_await impl->lowest().async_connect(endpoints, kAwait);
  if (cec) co_return std::unexpected(transport_error(cec, "connecting"));
  impl->lowest().socket().set_option(tcp::no_delay(true));
  if (impl->tls) {
    impl->lowest().expires_at(deadline);
    auto [hec] = co_await impl->tls->async_handshake(ssl::stream_base::client, kAwait);
    if (hec) {
      const long verify = SSL_get_verify_result(impl->tls->native_handle());
      if (verify != X509_V_OK)
        co_return std::unexpected(
            TransportError{std::string("the server's TLS certificate was refused: ") +
                           X509_verify_cert_error_string(verify)});
      co_return std::unexpected(transport_error(hec, "TLS handshake"));
    }
  }
  co_return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

asio::awaitable<std::expected<HttpResponse, TransportError>> Connection::get(
    const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
    std::size_t body_limit, Deadline deadline) {
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, impl_->host_header);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.keep_alive(true);
  if (impl_->tls) co_return co_await impl_->exchange(*impl_->tls, request, body_limit, deadline);
  co_return co_await impl_->exchange(*impl_->plain, request, body_limit, deadline);
}

std::unique_ptr<Connection> ConnectionPool::take(const std::string& origin) {
  std::lock_guard lock(mutex_);
  auto it = idle_.find(origin);
  if (it == idle_.end()) return nullptr;
  const auto now = std::chrono::steady_clock::now();
  while (!it->second.empty()) {
    std::unique_ptr<Connection> c = std::move(it->second.back());
    it->second.pop_back();
    if (now - c->idle_since() < idle_timeout_) {
      c->mark_reused();
      return c;
    }
  }
  return nullptr;
}

void ConnectionPool::give_back(const std::string& origin, std::unique_ptr<Connection> connection) {
  connection->mark_idle();
  std::lock_guard lock(mutex_);
  auto& list = idle_[origin];
  if (list.size() >= max_idle_) list.erase(list.begin());  // the oldest goes
  list.push_back(std::move(connection));
}

std::size_t ConnectionPool::idle_count() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [origin, list] : idle_) n += list.size();
  return n;
}

std::expected<std::shared_ptr<ssl::context>, std::string> make_tls_context(
    const std::string& ca_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1)
    return std::unexpected("cannot require TLS 1.2");
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec) return std::unexpected("cannot load the system CA certificates: " + ec.message());
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) return std::unexpected("cannot load CA file " + ca_file + ": " + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace ibd::fhir::client
