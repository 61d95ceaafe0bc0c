// Maps (method, path) to a handler. Paths are patterns of segments where "{name}" matches
// one segment: "/cds-services/{id}". Pure: no sockets, no threads of its own.
//
// dispatch() answers 404 for an unknown path and 405 (with an Allow header) for a known path
// with another method. HEAD is not special-cased. A handler that throws is answered with a
// generic 500; the exception text goes to the log only.
// Async routes (add_async) return an awaitable so a handler can wait on the network (the FHIR
// client) without holding a thread; only dispatch_async() runs them.
// Thread safety: add routes before serving; dispatch() is then safe from many threads.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/cors.hpp"
#include "server/http_types.hpp"

namespace ibd::server {

using PathParams = std::map<std::string, std::string, std::less<>>;
using Handler = std::function<Response(const Request&, const PathParams&)>;
// The request outlives the returned awaitable; the params are the handler's own copy.
using AsyncHandler = std::function<boost::asio::awaitable<Response>(const Request&, PathParams)>;

// Authenticates a request: the caller, or the response to send instead (401 / 403).
using Guard =
    std::function<boost::asio::awaitable<std::expected<Caller, Response>>(const Request&)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  void add_async(std::string method, std::string pattern, AsyncHandler handler);
  // Routes added after this call need the guard's approval (dispatch_async only); routes
  // added before it (health) stay open. CORS preflights never need it.
  void require(Guard guard) { guard_ = std::move(guard); }
  void set_cors(CorsPolicy policy) { cors_ = std::move(policy); }
  // Synchronous routes only; an async route answers 500 here (tests of plain routes use it).
  Response dispatch(const Request& request) const;
  // What the listener calls: every route, with CORS and the guard. Fills request.caller.
  boost::asio::awaitable<Response> dispatch_async(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> pattern;  // segments; "{x}" captures
    Handler handler;
    AsyncHandler async_handler;
    bool guarded = false;
  };
  struct Found {
    const Route* route = nullptr;  // nullptr: `answer` holds the 404 / 405
    PathParams params;
    Response answer;
  };
  Found find(const Request& request) const;
  static bool match(const Route& route, const std::vector<std::string>& segments,
                    PathParams& params);
  boost::asio::awaitable<Response> run(const Route& route, Request& request,
                                       PathParams params) const;
  std::vector<Route> routes_;
  Guard guard_;
  CorsPolicy cors_;
};

}  // namespace ibd::server
