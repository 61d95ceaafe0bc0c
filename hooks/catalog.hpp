// The services this server offers (one per hook) and the discovery document that lists them.
// Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/json.hpp"

namespace ibd::hooks {

struct PrefetchDef {
  std::string key;          // "observations"
  std::string query;        // "Observation?patient={{context.patientId}}&category=laboratory"
  std::string description;  // "laboratory results", for the data-incomplete card
  bool required = false;    // without it the service answers 412
};

struct ServiceDef {
  std::string id;    // "ibd-patient-view"
  std::string hook;  // "patient-view"
  std::string title;
  std::string description;
  std::vector<PrefetchDef> prefetch;
  const PrefetchDef* find_prefetch(std::string_view key) const;
};

class Catalog {
 public:
  Catalog() = default;
  Catalog(std::vector<ServiceDef> services, std::string rule_set_version);
  const std::vector<ServiceDef>& services() const { return services_; }
  const ServiceDef* find(std::string_view id) const;
  // {"services": [...]} per CDS Hooks 2.0, each service carrying the rule-set version in an
  // extension.
  fhir::Json discovery() const;

 private:
  std::vector<ServiceDef> services_;
  std::string rule_set_version_;
};

// Card and discovery extension keys (reverse-domain, as CDS Hooks 2.0 asks).
inline constexpr std::string_view kRuleExtension = "org.ibd-cds.rule";
inline constexpr std::string_view kRuleSetExtension = "org.ibd-cds.rule-set";

// The hooks this server understands.
bool is_supported_hook(std::string_view hook);

}  // namespace ibd::hooks
