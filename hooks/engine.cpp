#include "hooks/engine.hpp"

namespace ibd::hooks {

Engine::Engine(std::shared_ptr<const EngineConfig> config) : config_(std::move(config)) {}

std::expected<PreparedCall, Error> Engine::prepare(std::string_view service_id,
                                                   std::string_view body) const {
  const ServiceDef* service = config_->catalog.find(service_id);
  if (service == nullptr) return std::unexpected(Error::not_found("no CDS service with that id"));
  auto json = fhir::parse_json(body, config_->json);
  if (!json)
    return std::unexpected(Error::invalid("malformed JSON at " + json.error().to_string()));
  auto request = parse_request(*json, *service);
  if (!request) return std::unexpected(request.error());
  PreparedCall call;
  call.service = service;
  call.plan = plan_prefetch(*request, *service);
  call.request = std::move(*request);
  return call;
}

std::expected<HookResult, Error> Engine::finish(const PreparedCall& call,
                                                std::vector<FetchResult> fetched,
                                                fhir::TimePoint now) const {
  auto data = assemble_patient_data(call.request, *call.service, call.plan, std::move(fetched));
  if (!data) return std::unexpected(data.error());
  HookResult result;
  result.model = mapping::build_model(*data, config_->terminology, config_->rules);
  result.evaluation = mapping::evaluate(result.model, {call.request.hook}, config_->rules, now);
  const CardContext context{call.request.patient_id, call.request.encounter_id,
                            call.request.user_id};
  result.response = fhir::Json::object().set(
      "cards", render_cards(result.evaluation.advice, context, config_->style));
  return result;
}

std::expected<HookResult, Error> Engine::call(std::string_view service_id, std::string_view body,
                                              fhir::TimePoint now, Fetcher* fetcher) const {
  auto prepared = prepare(service_id, body);
  if (!prepared) return std::unexpected(prepared.error());
  std::vector<FetchResult> fetched;
  if (fetcher != nullptr && !prepared->plan.needs.empty()) {
    fetched = fetcher->fetch(prepared->request, prepared->plan.needs);
  } else {
    for (const FetchNeed& need : prepared->plan.needs)
      fetched.push_back(
          {need.key, std::nullopt,
           "not prefetched, and fetching from fhirServer is not enabled on this server", {}});
  }
  return finish(*prepared, std::move(fetched), now);
}

}  // namespace ibd::hooks
