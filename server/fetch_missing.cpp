#include "server/fetch_missing.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace ibd::server {

boost::asio::awaitable<std::expected<std::vector<hooks::FetchResult>, Error>> fetch_missing(
    std::shared_ptr<fhir::client::FhirClient> client, const hooks::PreparedCall& call,
    const Caller& caller) {
  const std::vector<hooks::FetchNeed>& needs = call.plan.needs;
  std::vector<hooks::FetchResult> results;
  // An authenticated client may only name the FHIR servers configured for it, whether or
  // not anything has to be fetched: its token is meant for those and no others.
  if (caller.authenticated && !call.request.fhir_server.empty()) {
    auto named = fhir::client::parse_base_url(call.request.fhir_server);
    const bool listed = named && std::find(caller.fhir_servers.begin(), caller.fhir_servers.end(),
                                           named->origin.to_string()) != caller.fhir_servers.end();
    if (!listed)
      co_return std::unexpected(
          Error{ErrorKind::kForbidden, "this client may not name that fhirServer", {}, {}});
  }
  if (needs.empty()) co_return results;
  if (!client) {
    for (const hooks::FetchNeed& need : needs)
      results.push_back(
          {need.key,
           std::nullopt,
           "not prefetched, and fetching from fhirServer is not enabled on this server",
           {}});
    co_return results;
  }
  auto base = fhir::client::parse_base_url(call.request.fhir_server);
  if (!base)
    co_return std::unexpected(
        Error::invalid("fhirServer is not a usable FHIR base URL: " + base.error()));
  if (auto allowed = fhir::client::check_origin(base->origin, client->options().policy); !allowed) {
    spdlog::warn("hook service={} refused to fetch: {}", call.service->id, allowed.error());
    co_return std::unexpected(Error{ErrorKind::kForbidden,
                                    allowed.error() + "; send the data as prefetch, or ask the "
                                                      "operator to allow this FHIR server",
                                    {},
                                    {}});
  }
  std::string token;
  if (call.request.fhir_authorization) token = call.request.fhir_authorization->access_token;
  std::vector<std::string> targets;
  targets.reserve(needs.size());
  for (const hooks::FetchNeed& need : needs) targets.push_back(need.query);

  const auto started = std::chrono::steady_clock::now();
  std::vector<fhir::client::FetchOutcome> outcomes =
      co_await client->fetch_all(std::move(*base), std::move(token), std::move(targets));
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  for (std::size_t i = 0; i < needs.size(); ++i) {
    fhir::client::FetchOutcome& o = outcomes[i];
    spdlog::info("fetch service={} key={} status={} pages={} bytes={} retried={} ok={}{}",
                 call.service->id, needs[i].key, o.status, o.pages, o.bytes, o.retried,
                 o.resource.has_value(), o.incomplete.empty() ? "" : " incomplete");
    results.push_back(
        {needs[i].key, std::move(o.resource), std::move(o.error), std::move(o.incomplete)});
  }
  spdlog::info("fetch service={} keys={} total_ms={:.1f}", call.service->id, needs.size(), ms);
  co_return results;
}

}  // namespace ibd::server
