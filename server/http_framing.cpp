#include "server/http_framing.hpp"

#include <algorithm>
#include <vector>

namespace ibd::server::framing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Longest path written to the log; a path is logged raw (percent-encoded) and never decoded,
// so it cannot carry a line break into the log.
constexpr std::size_t kMaxLoggedPath = 200;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && beast::iequals(a, b);
}

Response header_too_large() {
  fhir::Json body = fhir::Json::object();
  body.set("error", fhir::Json::string("header_too_large"));
  body.set("message", fhir::Json::string("request line and headers are too large"));
  return Response::json(431, body);
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

}  // namespace

// Path part of the raw target, for the log: no query, no fragment, bounded.
std::string loggable_path(std::string_view target) {
  auto end = target.find_first_of("?#");
  std::string_view path = target.substr(0, end);
  if (path.size() > kMaxLoggedPath) return std::string(path.substr(0, kMaxLoggedPath)) + "...";
  return std::string(path);
}

// A header a handler may not set or whose text would break the framing.
bool is_unsafe_header(const Header& h) {
  if (h.name.empty()) return true;
  auto bad_char = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  if (std::any_of(h.name.begin(), h.name.end(), bad_char) ||
      std::any_of(h.value.begin(), h.value.end(), bad_char)) {
    return true;
  }
  return iequals(h.name, "Content-Length") || iequals(h.name, "Transfer-Encoding") ||
         iequals(h.name, "Connection");
}

Response bad_request(std::string message) {
  return Response::error(ErrorKind::kInvalidRequest, std::move(message));
}

Response too_large() {
  return Response::error(ErrorKind::kPayloadTooLarge, "request body is too large");
}

// What to answer when reading a request failed; nullopt = just close.
std::optional<Response> answer_for_read_error(const beast::error_code& ec, bool in_body) {
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == beast::error::timeout || ec == asio::error::operation_aborted) {
    return std::nullopt;
  }
  if (ec == http::error::header_limit) return header_too_large();
  if (ec == http::error::buffer_overflow) {
    return in_body ? bad_request("malformed chunked body") : header_too_large();
  }
  if (ec == http::error::body_limit) return too_large();
  if (is_http_parse_error(ec)) return bad_request("malformed HTTP request");
  return std::nullopt;  // connection reset and other transport errors
}

// Request smuggling guards on top of what Beast checks (Beast refuses some CL + TE
// combinations by itself, but accepts e.g. "Transfer-Encoding: gzip" with a Content-Length,
// and treats a request whose Transfer-Encoding does not end in chunked as having no body).
std::optional<std::string> framing_problem(const Parser& parser) {
  const auto& h = parser.get();
  auto te = h.equal_range(http::field::transfer_encoding);
  if (te.first == te.second) return std::nullopt;
  if (h.count(http::field::content_length) > 0) {
    return "Content-Length and Transfer-Encoding must not both be present";
  }
  if (h.version() < 11) return "Transfer-Encoding is not allowed in HTTP/1.0";
  std::vector<std::string_view> codings;
  for (auto it = te.first; it != te.second; ++it) {
    for (auto token : http::token_list{it->value()}) codings.push_back(token);
  }
  if (codings.empty() || !iequals(codings.back(), "chunked")) {
    return "Transfer-Encoding must end in chunked";
  }
  // Any other coding ("gzip, chunked") would hand the handler bytes it cannot read.
  if (codings.size() != 1 || !parser.chunked()) return "unsupported transfer coding";
  return std::nullopt;
}

std::optional<std::string> header_problem(const Parser& parser) {
  const auto& h = parser.get();
  const std::size_t hosts = h.count(http::field::host);
  if (hosts > 1) return "more than one Host header";
  if (hosts == 0 && h.version() >= 11) return "an HTTP/1.1 request needs a Host header";
  if (h.count(http::field::authorization) > 1) return "more than one Authorization header";
  return std::nullopt;
}

}  // namespace ibd::server::framing
