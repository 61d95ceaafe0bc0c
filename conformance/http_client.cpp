#include "conformance/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <charconv>

namespace ibd::conformance {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

template <class Stream>
HttpResponse exchange(Stream& stream, beast::tcp_stream& lowest, const std::string& method,
                      const std::string& host_header, const std::string& target,
                      const std::string& body, const Headers& headers,
                      std::chrono::milliseconds timeout) {
  HttpResponse out;
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, host_header);
  req.set(http::field::user_agent, "cds-conformance");
  req.set(http::field::connection, "close");
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    req.insert(name, value);
    if (lower(name) == "content-type") has_type = true;
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!has_type) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  beast::error_code ec;
  lowest.expires_after(timeout);
  http::write(stream, req, ec);
  if (ec) {
    out.error = "sending the request failed: " + ec.message();
    return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.header_limit(256 * 1024);
  if (method == "HEAD") parser.skip(true);
  http::read(stream, buffer, parser, ec);
  if (ec) {
    out.error = ec == beast::error::timeout ? "no answer in time"
                                            : "reading the answer failed: " + ec.message();
    return out;
  }
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    const std::string name = lower(std::string(field.name_string()));
    auto [it, inserted] = out.headers.emplace(name, std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  out.body = res.body();
  return out;
}

}  // namespace

std::string Url::origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  std::string s = scheme + "://" + (v6 ? "[" + host + "]" : host);
  if (!default_port) s += ":" + std::to_string(port);
  return s;
}

std::optional<Url> parse_url(const std::string& text) {
  Url u;
  const auto sep = text.find("://");
  if (sep == std::string::npos) return std::nullopt;
  u.scheme = lower(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  std::string rest = text.substr(sep + 3);
  const auto slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "" : rest.substr(slash);
  if (const auto q = u.path.find_first_of("?#"); q != std::string::npos) u.path.resize(q);
  if (authority.empty() || authority.find('@') != std::string::npos) return std::nullopt;
  std::string port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  u.host = lower(u.host);
  if (port_text.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    unsigned value = 0;
    const auto [p, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      return std::nullopt;
    u.port = static_cast<std::uint16_t>(value);
  }
  return u;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

std::string HttpResponse::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpResponse HttpClient::request(const std::string& method, const Url& url,
                                 const std::string& target, const std::string& body,
                                 const Headers& headers) const {
  const auto started = std::chrono::steady_clock::now();
  HttpResponse out;
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec) {
      out.error = "cannot resolve " + url.host + ": " + ec.message();
      return out;
    }
    const bool v6 = url.host.find(':') != std::string::npos;
    const std::string host_header =
        (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
    if (url.scheme == "https") {
      ssl::context ctx(ssl::context::tls_client);
      ctx.set_default_verify_paths();
      if (!options_.ca_file.empty()) ctx.load_verify_file(options_.ca_file);
      ctx.set_verify_mode(options_.verify_tls ? ssl::verify_peer : ssl::verify_none);
      beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
      if (options_.verify_tls) stream.set_verify_callback(ssl::host_name_verification(url.host));
      if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
        out.error = "cannot set SNI";
        return out;
      }
      auto& lowest = beast::get_lowest_layer(stream);
      lowest.expires_after(options_.timeout);
      lowest.connect(endpoints, ec);
      if (!ec) stream.handshake(ssl::stream_base::client, ec);
      if (ec) {
        out.error = "cannot connect to " + url.origin() + ": " + ec.message();
        return out;
      }
      out = exchange(stream, lowest, method, host_header, target, body, headers, options_.timeout);
      stream.shutdown(ec);
    } else {
      beast::tcp_stream stream(io);
      stream.expires_after(options_.timeout);
      stream.connect(endpoints, ec);
      if (ec) {
        out.error = "cannot connect to " + url.origin() + ": " + ec.message();
        return out;
      }
      out = exchange(stream, stream, method, host_header, target, body, headers, options_.timeout);
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    }
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  out.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return out;
}

HttpResponse HttpClient::request(const std::string& method, const std::string& absolute_url,
                                 const std::string& body, const Headers& headers) const {
  const auto url = parse_url(absolute_url);
  if (!url) {
    HttpResponse out;
    out.error = "not an absolute http(s) URL: " + absolute_url;
    return out;
  }
  std::string target = url->path.empty() ? "/" : url->path;
  if (const auto q = absolute_url.find('?'); q != std::string::npos)
    target += absolute_url.substr(q, absolute_url.find('#', q) - q);
  return request(method, *url, target, body, headers);
}

}  // namespace ibd::conformance
