#include "server/app.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "server/audit.hpp"
#include "server/audit_writer.hpp"
#include "server/fetch_missing.hpp"

namespace ibd::server {

fhir::TimePoint system_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

bool is_json_content_type(std::string_view value) {
  const auto semi = value.find(';');
  std::string_view type = value.substr(0, semi);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  constexpr std::string_view kJson = "application/json";
  return type.size() == kJson.size() &&
         std::equal(type.begin(), type.end(), kJson.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

void add_routes(Router& router, std::shared_ptr<const hooks::Engine> engine, Clock clock,
                std::shared_ptr<fhir::client::FhirClient> client, Guard guard,
                std::shared_ptr<const Auditor> auditor) {
  // Open to load balancers without a token: says only that the server is up.
  router.add("GET", "/health", [engine, auditor](const Request&, const PathParams&) {
    fhir::Json body = fhir::Json::object();
    body.set("status", fhir::Json::string("ok"));
    if (auditor) {
      const AuditHealth h = auditor->writer().health();
      if (!h.ok) body.set("status", fhir::Json::string("degraded"));
      body.set("audit", fhir::Json::object()
                            .set("ok", fhir::Json::boolean(h.ok))
                            .set("pending", fhir::Json::number(static_cast<std::int64_t>(h.pending)))
                            .set("written", fhir::Json::number(static_cast<std::int64_t>(h.written)))
                            .set("failedAttempts", fhir::Json::number(
                                                       static_cast<std::int64_t>(h.failed_attempts)))
                            .set("lost", fhir::Json::number(static_cast<std::int64_t>(h.lost))));
    }
    body.set("ruleSetVersion", fhir::Json::string(engine->config().rules.version));
    body.set("services",
             fhir::Json::number(static_cast<std::int64_t>(engine->catalog().services().size())));
    return Response::json(200, body);
  });

  // Everything below needs a client's JWT when a guard is given (production profile).
  if (guard) router.require(std::move(guard));

  // The discovery document never changes while the server runs: render it once.
  const std::string discovery = engine->catalog().discovery().dump();
  router.add("GET", "/cds-services", [discovery](const Request&, const PathParams&) {
    Response r;
    r.body = discovery;
    return r;
  });

  router.add_async(
      "POST", "/cds-services/{id}",
      [engine, clock, client, auditor](const Request& request,
                                       PathParams params) -> boost::asio::awaitable<Response> {
        const std::string& id = params.at("id");
        AuditCall audit(auditor, id, request);  // records the call on every way out
        if (engine->catalog().find(id) == nullptr)
          co_return audit.done(
              Response::error(ErrorKind::kNotFound, "no CDS service with that id"));
        const std::string* content_type = request.header("Content-Type");
        if (content_type == nullptr || !is_json_content_type(*content_type))
          co_return audit.done(Response::error(ErrorKind::kUnsupportedMediaType,
                                               "send the hook request as application/json"));
        const auto started = std::chrono::steady_clock::now();
        auto elapsed_ms = [&] {
          return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                           started)
              .count();
        };
        // The message describes the sender's input; it never holds a token or a patient id.
        auto refuse = [&](const Error& e) {
          spdlog::info("hook service={} status={} error=\"{}\" ms={:.2f}", id, http_status(e.kind),
                       e.message, elapsed_ms());
          return audit.done(Response::error(e));
        };
        auto prepared = engine->prepare(id, request.body);
        if (!prepared) co_return refuse(prepared.error());
        audit.prepared(*prepared);
        auto fetched = co_await fetch_missing(client, *prepared, request.caller);
        if (!fetched) co_return refuse(fetched.error());
        audit.input(*prepared, *fetched);
        auto result = engine->finish(*prepared, std::move(*fetched), clock());
        if (!result) co_return refuse(result.error());
        std::string rules;
        for (const auto& a : result->evaluation.advice)
          rules += (rules.empty() ? "" : ",") + a.rule_id;
        spdlog::info(
            "hook service={} status=200 cards={} rules=[{}] missing={} fetched={} ms={:.2f}", id,
            result->evaluation.advice.size(), rules, result->model.missing.size(),
            prepared->plan.needs.size(), elapsed_ms());
        audit.cards(result->response);
        Response response = audit.done(Response::json(200, result->response));
        co_await audit.written();  // the cards' record on disk first (audit.response_wait_ms)
        co_return response;
      });
}

}  // namespace ibd::server
