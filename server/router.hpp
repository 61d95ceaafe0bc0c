// Maps (method, path) to a handler. Paths are patterns of segments where "{name}" matches
// one segment: "/cds-services/{id}". Pure: no sockets, no threads of its own.
//
// dispatch() answers 404 for an unknown path and 405 (with an Allow header) for a known path
// with another method. HEAD is not special-cased. A handler that throws is answered with a
// generic 500; the exception text goes to the log only.
// Thread safety: add routes before serving; dispatch() is then safe from many threads.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_types.hpp"

namespace ibd::server {

using PathParams = std::map<std::string, std::string, std::less<>>;
using Handler = std::function<Response(const Request&, const PathParams&)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  Response dispatch(const Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> pattern;  // segments; "{x}" captures
    Handler handler;
  };
  static bool match(const Route& route, const std::vector<std::string>& segments,
                    PathParams& params);
  std::vector<Route> routes_;
};

}  // namespace ibd::server
