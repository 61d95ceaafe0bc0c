#include "server/router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <utility>

namespace ibd::server {
namespace {

// "/a//b/" -> {"a", "b"}: empty segments are dropped, as the listener does for requests.
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_capture(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

std::string join_pattern(const std::vector<std::string>& pattern) {
  std::string out;
  for (const auto& s : pattern) {
    out += '/';
    out += s;
  }
  return out.empty() ? std::string("/") : out;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  const bool guarded = static_cast<bool>(guard_);
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(handler), {}, guarded});
}

bool Router::match(const Route& route, const std::vector<std::string>& segments,
                   PathParams& params) {
  if (route.pattern.size() != segments.size()) return false;
  PathParams captured;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& p = route.pattern[i];
    if (is_capture(p)) {
      captured.insert_or_assign(p.substr(1, p.size() - 2), segments[i]);
    } else if (p != segments[i]) {
      return false;
    }
  }
  params = std::move(captured);
  return true;
}

void Router::add_async(std::string method, std::string pattern, AsyncHandler handler) {
  const bool guarded = static_cast<bool>(guard_);
  routes_.push_back(Route{std::move(method), split_path(pattern), {}, std::move(handler), guarded});
}

Router::Found Router::find(const Request& request) const {
  // The listener always fills `segments`; a hand-built Request may carry only `path`.
  std::vector<std::string> derived;
  const std::vector<std::string>* segments = &request.segments;
  if (request.segments.empty() && !request.path.empty()) {
    derived = split_path(request.path);
    segments = &derived;
  }

  // Routes are tried in the order they were added; the first one that matches path and
  // method wins.
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    PathParams params;
    if (!match(route, *segments, params)) continue;
    if (route.method != request.method) {
      if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
        allowed.push_back(route.method);
      }
      continue;
    }
    return Found{&route, std::move(params), {}};
  }

  if (allowed.empty()) {
    return Found{nullptr, {}, Response::error(ErrorKind::kNotFound, "no resource at this path")};
  }
  std::string allow;
  for (const auto& m : allowed) {
    if (!allow.empty()) allow += ", ";
    allow += m;
  }
  Response response = Response::error(ErrorKind::kMethodNotAllowed,
                                      "method " + request.method + " is not allowed here");
  response.headers.push_back(Header{"Allow", std::move(allow)});
  return Found{nullptr, {}, std::move(response)};
}

Response Router::dispatch(const Request& request) const {
  Found found = find(request);
  if (found.route == nullptr) return std::move(found.answer);
  const Route& route = *found.route;
  if (!route.handler) return Response::error(Error::internal_fault("async route dispatched sync"));
  try {
    return route.handler(request, found.params);
  } catch (const std::exception& e) {
    // The pattern, not the path: a path may carry identifiers that do not belong in a log.
    spdlog::error("handler for {} {} threw: {}", route.method, join_pattern(route.pattern),
                  e.what());
  } catch (...) {
    spdlog::error("handler for {} {} threw a non-standard exception", route.method,
                  join_pattern(route.pattern));
  }
  return Response::error(Error::internal_fault("handler threw"));
}

boost::asio::awaitable<Response> Router::dispatch_async(Request& request) const {
  if (cors_.enabled() && is_preflight(request)) co_return answer_preflight(request, cors_);
  Found found = find(request);
  Response response;
  if (found.route == nullptr) {
    response = std::move(found.answer);
  } else {
    response = co_await run(*found.route, request, std::move(found.params));
  }
  if (cors_.enabled()) add_cors_headers(request, response, cors_);
  co_return response;
}

boost::asio::awaitable<Response> Router::run(const Route& route, Request& request,
                                             PathParams params) const {
  if (route.guarded && guard_) {
    auto caller = co_await guard_(request);
    if (!caller) co_return std::move(caller.error());
    request.caller = std::move(*caller);
  }
  if (route.handler) co_return dispatch(request);
  std::string failure;
  try {
    co_return co_await route.async_handler(request, std::move(params));
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "a non-standard exception";
  }
  spdlog::error("handler for {} {} threw: {}", route.method, join_pattern(route.pattern), failure);
  co_return Response::error(Error::internal_fault("handler threw"));
}

}  // namespace ibd::server
