// fuzz_http_request: raw bytes as they would arrive on one keep-alive connection, read the way
// server/http_server.cpp reads them: a Beast request_parser with the server's header and body
// limits over a flat_buffer bounded like the server's, the framing guards of
// server/http_framing.hpp (framing_problem, the Content-Length check, the origin-form target),
// the answers for read errors, then the server's own routes (add_routes with no FHIR client,
// so nothing is fetched) for every request that gets through. Pipelined requests are read
// one after another while the client keeps the connection alive.
// The input is read twice: once with config/ibd-cds.yaml's limits, delivered as the socket
// would (up to 64 KiB per read), routed; once with tight limits (header 512, body 1024) in
// small reads, framing only, so the limit and partial-read paths are reached by small inputs.
// Properties:
//  - a read error is answered with 400, 413 or 431, or the connection is just closed;
//  - a request that passes framing_problem with a Transfer-Encoding is chunked-only HTTP/1.1
//    without Content-Length; a body read is no larger than the body limit and, with a
//    Content-Length, exactly that long;
//  - the logged path has no query, fragment or control byte and is bounded;
//  - a routed response has a valid status, no header a handler may not set, and a JSON body
//    that parses whenever its content type says JSON.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/system/system_error.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/app.hpp"
#include "server/http_framing.hpp"
#include "server/router.hpp"
#include "tests/fuzz/fuzz_config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace framing = ibd::server::framing;
using ibd::server::Request;
using ibd::server::Response;

// server/http_server.cpp sizes its read buffer as header_limit + this slack (kBufferSlack).
constexpr std::size_t kBufferSlack = 8 * 1024;
// The most one read asks for (beast::read_size(buffer, 65536) in the server).
constexpr std::size_t kReadSize = 65536;

// A SyncReadStream over the input: each read_some hands over at most `chunk` bytes, then eof.
class Wire {
 public:
  Wire(std::string_view bytes, std::size_t chunk) : bytes_(bytes), chunk_(chunk) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    if (pos_ == bytes_.size()) {
      ec = asio::error::eof;
      return 0;
    }
    const std::size_t n = asio::buffer_copy(
        buffers, asio::buffer(bytes_.data() + pos_, std::min(chunk_, bytes_.size() - pos_)));
    pos_ += n;
    ec = {};
    return n;
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view bytes_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

struct Limits {
  std::size_t header;
  std::size_t body;
  std::size_t chunk;  // bytes per read
  bool route;         // hand accepted requests to the server's routes
};

ibd::fhir::TimePoint fixed_now() {
  using namespace std::chrono;
  return sys_days{year{2026} / June / 1} + hours{9};
}

const ibd::server::Router& router() {
  static const auto instance = [] {
    spdlog::set_level(spdlog::level::off);  // one log line per request is not a finding
    auto r = std::make_unique<ibd::server::Router>();
    auto engine = std::make_shared<const ibd::hooks::Engine>(ibd::fuzz::shipped_config().engine);
    ibd::server::add_routes(*r, engine, [] { return fixed_now(); }, nullptr, {});
    return r;
  }();
  return *instance;
}

void check_answer(const std::optional<Response>& answer) {
  if (!answer) return;
  FUZZ_CHECK(answer->status == 400 || answer->status == 413 || answer->status == 431);
}

void check_logged_path(std::string_view target) {
  const std::string path = framing::loggable_path(target);
  FUZZ_CHECK(path.size() <= 203);
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    FUZZ_CHECK(c != '?' && c != '#' && c >= 0x20 && c != 0x7F);
  }
}

bool says_json(std::string_view content_type) {
  return content_type.starts_with("application/json") ||
         content_type.starts_with("application/fhir+json");
}

void check_response(const Response& response) {
  FUZZ_CHECK(response.status >= 100 && response.status <= 599);
  FUZZ_CHECK(response.content_type.find_first_of("\r\n") == std::string::npos);
  for (const auto& h : response.headers) FUZZ_CHECK(!framing::is_unsafe_header(h));
  if (says_json(response.content_type) && !response.body.empty()) {
    auto body = ibd::fhir::parse_json(response.body);
    FUZZ_CHECK(body.has_value());
  }
}

Response dispatch(Request& request) {
  static asio::io_context io;
  std::optional<Response> out;
  std::exception_ptr failure;
  asio::co_spawn(io, router().dispatch_async(request),
                 [&](std::exception_ptr e, Response r) {
                   failure = e;
                   out = std::move(r);
                 });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);  // the router promises to answer, not throw
  FUZZ_CHECK(out.has_value());
  return std::move(*out);
}

// One connection, as HttpServer::Impl::serve reads it.
void serve(std::string_view bytes, const Limits& limits) {
  Wire wire(bytes, limits.chunk);
  beast::flat_buffer buffer(limits.header + kBufferSlack);
  for (;;) {
    if (buffer.size() == 0) {
      boost::system::error_code ec;
      const std::size_t n = wire.read_some(buffer.prepare(beast::read_size(buffer, kReadSize)), ec);
      if (ec) return;
      buffer.commit(n);
    }
    framing::Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.header, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(limits.body);

    boost::system::error_code ec;
    http::read_header(wire, buffer, parser, ec);
    if (ec) {
      check_answer(framing::answer_for_read_error(ec, false));
      check_logged_path(parser.get().target());
      return;
    }
    const auto& header = parser.get();
    const std::string target(header.target());
    check_logged_path(target);

    auto url = boost::urls::parse_origin_form(target);
    if (auto problem = framing::framing_problem(parser)) {
      FUZZ_CHECK(!problem->empty());
      return;  // 400 and close
    }
    if (header.count(http::field::transfer_encoding) > 0) {
      FUZZ_CHECK(parser.chunked());
      FUZZ_CHECK(header.count(http::field::content_length) == 0);
      FUZZ_CHECK(header.version() >= 11);
    }
    if (auto length = parser.content_length(); length && *length > limits.body) return;  // 413
    if (!url) return;                                                                // 400

    if (!parser.is_done()) {
      http::read(wire, buffer, parser, ec);
      if (ec) {
        check_answer(framing::answer_for_read_error(ec, true));
        return;
      }
    }
    FUZZ_CHECK(parser.is_done());
    const std::string& body = parser.get().body();
    FUZZ_CHECK(body.size() <= limits.body);
    if (auto length = parser.content_length(); length && !parser.chunked())
      FUZZ_CHECK(body.size() == *length);

    if (limits.route) {
      Request request;
      request.method = std::string(header.method_string());
      request.target = target;
      request.path = url->path();
      for (const std::string segment : url->segments())
        if (!segment.empty()) request.segments.push_back(segment);
      for (const auto& field : header)
        request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
      request.body = body;
      request.received = std::chrono::steady_clock::now();
      check_response(dispatch(request));
    }
    if (!header.keep_alive()) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = ibd::fuzz::as_text(data, size);
  const auto& server = ibd::fuzz::shipped_config().server;
  serve(bytes, {server.header_limit_bytes, server.body_limit_bytes, kReadSize, true});
  serve(bytes, {512, 1024, 1 + size % 61, false});
  return 0;
}
