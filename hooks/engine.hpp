// The hook pipeline without HTTP: body text -> validated request -> prefetch -> IbdModel ->
// rules -> cards. The server's service handler and `ibd-cds evaluate` both call it, so what
// an integrator tries offline is what the server answers.
//
// Two phases so the server can fetch missing data asynchronously in between:
//   prepare()  parses and validates, and plans what must be fetched;
//   finish()   assembles prefetched + fetched data, builds the model, evaluates, renders.
// call() does both with an optional synchronous Fetcher (none: missing keys are reported).
// Immutable after construction; thread-safe if the uuid generator is.
#pragma once

#include <expected>
#include <memory>
#include <string_view>
#include <vector>

#include "fhir/error.hpp"
#include "fhir/json.hpp"
#include "hooks/cards.hpp"
#include "hooks/catalog.hpp"
#include "hooks/prefetch.hpp"
#include "hooks/request.hpp"
#include "mapping/evaluate.hpp"
#include "mapping/model.hpp"
#include "mapping/rule_set.hpp"
#include "mapping/terminology.hpp"

namespace ibd::hooks {

struct EngineConfig {
  mapping::RuleSet rules;
  mapping::Terminology terminology;
  Catalog catalog;
  CardStyle style;
  fhir::ParseOptions json;
};

struct PreparedCall {
  const ServiceDef* service = nullptr;
  HookRequest request;
  PrefetchPlan plan;
};

struct HookResult {
  fhir::Json response;  // {"cards": [...]}
  mapping::IbdModel model;
  mapping::Evaluation evaluation;
};

class Engine {
 public:
  explicit Engine(std::shared_ptr<const EngineConfig> config);

  const Catalog& catalog() const { return config_->catalog; }
  const EngineConfig& config() const { return *config_; }

  // 404 for an unknown service, 400 for malformed JSON or an invalid request.
  std::expected<PreparedCall, Error> prepare(std::string_view service_id,
                                             std::string_view body) const;
  // 412 when required data is missing.
  std::expected<HookResult, Error> finish(const PreparedCall& call,
                                          std::vector<FetchResult> fetched,
                                          fhir::TimePoint now) const;
  std::expected<HookResult, Error> call(std::string_view service_id, std::string_view body,
                                        fhir::TimePoint now, Fetcher* fetcher = nullptr) const;

 private:
  std::shared_ptr<const EngineConfig> config_;
};

}  // namespace ibd::hooks
