#include "hooks/catalog.hpp"

namespace ibd::hooks {

using fhir::Json;

const PrefetchDef* ServiceDef::find_prefetch(std::string_view key) const {
  for (const PrefetchDef& p : prefetch)
    if (p.key == key) return &p;
  return nullptr;
}

Catalog::Catalog(std::vector<ServiceDef> services, std::string rule_set_version)
    : services_(std::move(services)), rule_set_version_(std::move(rule_set_version)) {}

const ServiceDef* Catalog::find(std::string_view id) const {
  for (const ServiceDef& s : services_)
    if (s.id == id) return &s;
  return nullptr;
}

Json Catalog::discovery() const {
  Json list = Json::array();
  for (const ServiceDef& s : services_) {
    Json service = Json::object();
    service.set("hook", Json::string(s.hook));
    service.set("title", Json::string(s.title));
    service.set("description", Json::string(s.description));
    service.set("id", Json::string(s.id));
    if (!s.prefetch.empty()) {
      Json prefetch = Json::object();
      for (const PrefetchDef& p : s.prefetch) prefetch.set(p.key, Json::string(p.query));
      service.set("prefetch", std::move(prefetch));
    }
    Json ext = Json::object();
    ext.set("version", Json::string(rule_set_version_));
    service.set("extension", Json::object().set(std::string(kRuleSetExtension), std::move(ext)));
    list.push(std::move(service));
  }
  return Json::object().set("services", std::move(list));
}

bool is_supported_hook(std::string_view hook) {
  return hook == "patient-view" || hook == "order-select" || hook == "order-sign";
}

}  // namespace ibd::hooks
