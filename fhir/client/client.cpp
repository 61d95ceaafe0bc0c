#include "fhir/client/client.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <charconv>
#include <random>
#include <set>

#include "fhir/bundle.hpp"
#include "fhir/resource.hpp"

namespace ibd::fhir::client {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, std::size_t,
                                                            FetchOutcome)>;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

std::string status_message(int status) {
  const std::string code = " (" + std::to_string(status) + ")";
  if (status == 401) return "the FHIR server refused the access token" + code;
  if (status == 403) return "the FHIR server denied access" + code;
  if (status == 404) return "not found on the FHIR server" + code;
  if (status == 410) return "gone from the FHIR server" + code;
  if (status == 429) return "the FHIR server is rate-limiting this client" + code;
  if (status >= 300 && status < 400)
    return "the FHIR server redirected" + code + "; redirects are not followed";
  if (status >= 500) return "the FHIR server failed" + code;
  return "the FHIR server answered" + code;
}

// The media type without parameters, reduced to token characters (it is shown to users).
std::string media_type(std::string_view content_type) {
  std::string out;
  for (char c : content_type.substr(0, content_type.find(';'))) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '/' || c == '+' || c == '-' || c == '.')
      out.push_back(static_cast<char>(std::tolower(u)));
    if (out.size() >= 64) break;
  }
  return out;
}

bool is_json_media(std::string_view type) {
  return type.empty() || type == "application/fhir+json" || type == "application/json" ||
         type == "application/json+fhir";
}

std::chrono::milliseconds retry_pause(std::string_view retry_after) {
  static thread_local std::minstd_rand random{std::random_device{}()};
  std::chrono::milliseconds pause{100 + static_cast<int>(random() % 200)};
  unsigned seconds = 0;
  auto [end, err] =
      std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
  if (err == std::errc{} && end == retry_after.data() + retry_after.size() && seconds <= 5)
    pause = std::max(pause, std::chrono::milliseconds(seconds * 1000));
  return pause;
}

void append_entries(Json& merged, Json page) {
  Json* entries = merged.find("entry");
  if (entries == nullptr || !entries->is_array()) {
    merged.set("entry", Json::array());
    entries = merged.find("entry");
  }
  if (Json* more = page.find("entry"); more != nullptr && more->is_array()) {
    for (Json& e : *more->as_array()) entries->push(std::move(e));
  }
}

}  // namespace

struct FhirClient::Call {
  BaseUrl base;
  std::string origin_key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<tcp::endpoint> endpoints;
  Deadline deadline;
};

FhirClient::FhirClient(ClientOptions options)
    : options_(std::move(options)), pool_(options_.max_idle_per_origin, options_.idle_timeout) {}

std::expected<std::shared_ptr<FhirClient>, std::string> FhirClient::create(ClientOptions options) {
  auto tls = make_tls_context(options.ca_file);
  if (!tls) return std::unexpected(tls.error());
  std::shared_ptr<FhirClient> client(new FhirClient(std::move(options)));
  client->tls_ = std::move(*tls);
  return client;
}

asio::awaitable<std::expected<std::shared_ptr<FhirClient::Call>, std::string>>
FhirClient::prepare_call(BaseUrl base, const std::string& token, Deadline deadline,
                         std::string_view accept) {
  using namespace asio::experimental::awaitable_operators;
  auto executor = co_await asio::this_coro::executor;
  if (auto allowed = check_origin(base.origin, options_.policy); !allowed)
    co_return std::unexpected(allowed.error());
  auto call = std::make_shared<Call>();
  call->deadline = deadline;
  call->origin_key = base.origin.to_string();
  call->headers = {{"Accept", std::string(accept)}, {"User-Agent", options_.user_agent}};
  if (!token.empty()) call->headers.emplace_back("Authorization", "Bearer " + token);

  // Resolve once for all fetches, and connect only to addresses the policy allows.
  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor, call->deadline);
  auto resolved = co_await (
      resolver.async_resolve(base.origin.host, std::to_string(base.origin.port), kAwait) ||
      timer.async_wait(kAwait));
  if (resolved.index() == 1) co_return std::unexpected("the server's name did not resolve in time");
  auto& [rec, results] = std::get<0>(resolved);
  if (rec) co_return std::unexpected("the server's name does not resolve");
  bool refused = false;
  for (const auto& entry : results) {
    if (is_address_allowed(entry.endpoint().address(), options_.policy))
      call->endpoints.push_back(entry.endpoint());
    else
      refused = true;
  }
  if (call->endpoints.empty())
    co_return std::unexpected(refused ? "the server's name resolves to a forbidden address"
                                      : "the server's name does not resolve");
  call->base = std::move(base);
  co_return call;
}

asio::awaitable<std::expected<Json, std::string>> FhirClient::fetch_document(
    std::string url, std::optional<Deadline> deadline) {
  auto document = co_await fetch_document_with_headers(std::move(url), deadline);
  if (!document) co_return std::unexpected(document.error());
  co_return std::move(document->json);
}

asio::awaitable<std::expected<FhirClient::Document, std::string>>
FhirClient::fetch_document_with_headers(std::string url, std::optional<Deadline> deadline) {
  auto parsed = parse_url_target(url);
  if (!parsed) co_return std::unexpected(parsed.error());
  auto call = co_await prepare_call(std::move(parsed->first), "",
                                    deadline.value_or(SteadyClock::now() + options_.budget),
                                    "application/json");
  if (!call) co_return std::unexpected(call.error());
  auto response = co_await exchange(**call, parsed->second);
  if (!response) co_return std::unexpected(response.error().message);
  if (response->status != 200) co_return std::unexpected(status_message(response->status));
  auto json = parse_json(response->body, options_.json);
  if (!json) co_return std::unexpected("malformed JSON (" + json.error().to_string() + ")");
  co_return Document{std::move(*json), response->cache_control};
}

asio::awaitable<std::vector<FetchOutcome>> FhirClient::fetch_all(BaseUrl base, std::string token,
                                                                 std::vector<std::string> targets,
                                                                 std::optional<Deadline> deadline) {
  using namespace asio::experimental::awaitable_operators;
  auto executor = co_await asio::this_coro::executor;
  std::vector<FetchOutcome> outcomes(targets.size());
  if (targets.empty()) co_return outcomes;
  auto prepared = co_await prepare_call(std::move(base), token,
                                        deadline.value_or(SteadyClock::now() + options_.budget),
                                        "application/fhir+json");
  if (!prepared) {
    for (FetchOutcome& o : outcomes)
      o.error = "the FHIR server cannot be called: " + prepared.error();
    co_return outcomes;
  }
  std::shared_ptr<Call> call = std::move(*prepared);

  auto channel = std::make_shared<Channel>(executor, targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    asio::co_spawn(
        executor,
        [self = shared_from_this(), call, channel, i,
         target = std::move(targets[i])]() -> asio::awaitable<void> {
          FetchOutcome outcome = co_await self->fetch_one(call, target);
          channel->try_send(boost::system::error_code{}, i, std::move(outcome));
        },
        asio::detached);
  }
  // Every fetch ends by the deadline on its own; the extra second only guards against a
  // fetch that never reports.
  asio::steady_timer guard(executor, call->deadline + std::chrono::seconds(1));
  std::vector<bool> done(outcomes.size(), false);
  for (std::size_t received = 0; received < outcomes.size(); ++received) {
    auto got = co_await (channel->async_receive(kAwait) || guard.async_wait(kAwait));
    if (got.index() == 1) break;
    auto& [ec, index, outcome] = std::get<0>(got);
    if (ec) break;
    outcomes[index] = std::move(outcome);
    done[index] = true;
  }
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    if (!done[i]) outcomes[i].error = "no answer within the time allowed";
  co_return outcomes;
}

asio::awaitable<std::expected<HttpResponse, TransportError>> FhirClient::exchange(
    const Call& call, const std::string& target) {
  // A pooled connection the server has closed fails before any byte of an answer: the
  // request then goes again on a new connection (GET is idempotent).
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> connection = attempt < 2 ? pool_.take(call.origin_key) : nullptr;
    const Deadline deadline =
        std::min(call.deadline, SteadyClock::now() + options_.request_timeout);
    if (!connection) {
      auto opened =
          co_await Connection::open(call.base.origin, call.endpoints, tls_.get(), deadline);
      if (!opened) co_return std::unexpected(opened.error());
      connection = std::move(*opened);
    }
    auto response =
        co_await connection->get(target, call.headers, options_.max_response_bytes, deadline);
    if (!response && connection->reused() && response.error().reused_stale) continue;
    if (response && response->keep_alive) pool_.give_back(call.origin_key, std::move(connection));
    co_return response;
  }
}

asio::awaitable<FetchOutcome> FhirClient::fetch_one(std::shared_ptr<const Call> call,
                                                    std::string target) {
  FetchOutcome out;
  const bool absolute = target.starts_with("https://") || target.starts_with("http://");
  std::string page_target;
  if (absolute) {
    auto t = same_origin_target(call->base, target);
    if (!t) {
      out.error = "cannot fetch: " + t.error();
      co_return out;
    }
    page_target = std::move(*t);
  } else {
    page_target = target_for(call->base, target);
  }

  std::optional<Json> merged;
  std::set<std::string> seen;
  auto stop = [&](std::string why) {
    if (merged)
      out.incomplete = "only " + std::to_string(out.pages) + " page(s) read: " + why;
    else
      out.error = std::move(why);
  };
  while (true) {
    if (!seen.insert(page_target).second) {
      stop("the server's next link leads back to a page already read");
      break;
    }
    auto response = co_await exchange(*call, page_target);
    if (response && (response->status == 429 || response->status == 503) && !out.retried) {
      const auto pause = retry_pause(response->retry_after);
      if (SteadyClock::now() + pause + std::chrono::milliseconds(50) < call->deadline) {
        out.retried = true;
        asio::steady_timer wait(co_await asio::this_coro::executor, pause);
        co_await wait.async_wait(kAwait);
        response = co_await exchange(*call, page_target);
      }
    }
    if (!response) {
      stop(response.error().timed_out ? "the FHIR server did not answer within the time allowed"
                                      : response.error().message);
      break;
    }
    out.status = response->status;
    out.bytes += response->body.size();
    if (response->status != 200) {
      stop(status_message(response->status));
      break;
    }
    const std::string type = media_type(response->content_type);
    if (!is_json_media(type)) {
      stop("the FHIR server answered with " + type + ", not FHIR JSON");
      break;
    }
    auto json = parse_json(response->body, options_.json);
    if (!json || !json->is_object() || resource_type(*json) == nullptr) {
      stop(json ? "the FHIR server's answer is not a FHIR resource"
                : "the FHIR server sent malformed JSON (" + json.error().to_string() + ")");
      break;
    }
    ++out.pages;
    const std::string* link = bundle_link(*json, "next");
    const std::string next = link != nullptr ? *link : std::string();
    if (!merged) {
      merged = std::move(*json);
    } else {
      append_entries(*merged, std::move(*json));
    }
    if (next.empty() || *resource_type(*merged) != "Bundle") break;
    if (out.pages >= options_.max_pages) {
      stop("stopped at the limit of " + std::to_string(options_.max_pages) + " pages");
      break;
    }
    auto next_target = same_origin_target(call->base, next);
    if (!next_target) {
      stop("a next link was not followed: " + next_target.error());
      break;
    }
    page_target = std::move(*next_target);
  }
  if (merged) {
    merged->erase("link");  // the pages are merged: no link leads anywhere further
    out.resource = std::move(merged);
  }
  co_return out;
}

}  // namespace ibd::fhir::client
