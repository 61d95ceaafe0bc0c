#include "fhir/bundle.hpp"

namespace ibd::fhir {
namespace {

std::string string_or_empty(const Json* json, std::string_view key) {
  const std::string* s = json ? json->string_at(key) : nullptr;
  return s ? *s : std::string();
}

bool is_bundle(const Json& json) {
  const std::string* type = json.string_at("resourceType");
  return type != nullptr && *type == "Bundle";
}

}  // namespace

std::optional<Bundle> read_bundle(const Json& json) {
  if (!is_bundle(json)) return std::nullopt;
  Bundle out;
  out.type = string_or_empty(&json, "type");
  if (const Json* total = json.find("total")) {
    if (auto n = total->as_int(); n && *n >= 0) out.total = static_cast<std::uint64_t>(*n);
  }
  for (const Json& link : json.items_at("link")) {
    const std::string* relation = link.string_at("relation");
    const std::string* url = link.string_at("url");
    if (relation != nullptr && url != nullptr) out.links.push_back({*relation, *url});
  }
  for (const Json& e : json.items_at("entry")) {
    if (!e.is_object()) continue;
    BundleEntry entry;
    entry.full_url = string_or_empty(&e, "fullUrl");
    if (const Json* r = e.find("resource"); r != nullptr && r->is_object()) entry.resource = r;
    entry.search_mode = string_or_empty(e.find("search"), "mode");
    entry.request_method = string_or_empty(e.find("request"), "method");
    entry.request_url = string_or_empty(e.find("request"), "url");
    entry.response_status = string_or_empty(e.find("response"), "status");
    out.entries.push_back(std::move(entry));
  }
  return out;
}

const std::string* bundle_link(const Json& bundle, std::string_view relation) {
  for (const Json& link : bundle.items_at("link")) {
    const std::string* r = link.string_at("relation");
    const std::string* url = link.string_at("url");
    if (r != nullptr && url != nullptr && *r == relation) return url;
  }
  return nullptr;
}

std::vector<const Json*> bundle_resources(const Json& bundle) {
  std::vector<const Json*> out;
  for (const Json& entry : bundle.items_at("entry")) {
    const Json* resource = entry.find("resource");
    if (resource != nullptr && resource->is_object()) out.push_back(resource);
  }
  return out;
}

}  // namespace ibd::fhir
