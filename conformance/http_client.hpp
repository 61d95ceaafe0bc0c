// The harness's HTTP/1.1 client: one request per fresh connection (http or https), blocking,
// with a deadline. A transport failure is reported in HttpResponse::error (status 0), never
// thrown, so a check can say "the service did not answer" instead of aborting the run.
// Thread safety: an HttpClient may be used from one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ibd::conformance {

struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string path;  // "/..." without query; "" when none
  std::string origin() const;
  std::string to_string() const { return origin() + path; }
};

// Absolute http(s) URLs only; nullopt otherwise.
std::optional<Url> parse_url(const std::string& text);
bool is_loopback(const std::string& host);

struct HttpResponse {
  int status = 0;                              // 0 = no HTTP answer (see error)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string error;
  double ms = 0;
  std::string header(const std::string& lower_name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  struct Options {
    std::chrono::milliseconds timeout{10000};
    bool verify_tls = true;
    std::string ca_file;  // extra trusted CA (PEM), "" = system store only
  };
  explicit HttpClient(Options options) : options_(std::move(options)) {}

  // `target` is the request target ("/cds-services?x=1"); the Host header comes from `url`.
  HttpResponse request(const std::string& method, const Url& url, const std::string& target,
                       const std::string& body, const Headers& headers) const;
  // Shorthand: url + path.
  HttpResponse request(const std::string& method, const std::string& absolute_url,
                       const std::string& body = "", const Headers& headers = {}) const;

 private:
  Options options_;
};

}  // namespace ibd::conformance
