// HTTP/1.1 framing rules for the listener (http_server.cpp): which requests are refused
// before a handler sees them, and how read errors are answered. Internal to server/.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "server/http_types.hpp"

namespace ibd::server::framing {

using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Path part of the raw target, for the log: no query, no fragment, bounded, never decoded.
std::string loggable_path(std::string_view target);
// A header a handler may not set, or whose text would break the framing.
bool is_unsafe_header(const Header& h);
Response bad_request(std::string message);
Response too_large();
// What to answer when reading a request failed; nullopt = just close.
std::optional<Response> answer_for_read_error(const boost::beast::error_code& ec, bool in_body);
// Request smuggling guards on top of Beast's: the reason to refuse, or nullopt.
std::optional<std::string> framing_problem(const Parser& parser);
// Fields that must not be ambiguous: HTTP/1.1 needs exactly one Host (RFC 9112 §3.2), no
// request may carry two Host or two Authorization fields. The reason to refuse, or nullopt.
std::optional<std::string> header_problem(const Parser& parser);

}  // namespace ibd::server::framing
