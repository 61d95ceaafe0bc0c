#include "fhir/resource_index.hpp"

#include "fhir/bundle.hpp"
#include "fhir/resource.hpp"

namespace ibd::fhir {
namespace {

// "https://x/fhir" from "https://x/fhir/Observation/1" (a RESTful fullUrl); "" otherwise.
std::string_view rest_base(std::string_view full_url) {
  if (!full_url.starts_with("http://") && !full_url.starts_with("https://")) return {};
  if (auto h = full_url.find("/_history/"); h != std::string_view::npos)
    full_url = full_url.substr(0, h);
  const auto id_slash = full_url.rfind('/');
  if (id_slash == std::string_view::npos || id_slash == 0) return {};
  const auto type_slash = full_url.rfind('/', id_slash - 1);
  if (type_slash == std::string_view::npos) return {};
  return full_url.substr(0, type_slash);
}

}  // namespace

const Json* find_contained(const Json& resource, std::string_view id) {
  for (const Json& c : resource.items_at("contained")) {
    const std::string* cid = c.string_at("id");
    if (cid != nullptr && *cid == id && c.is_object()) return &c;
  }
  return nullptr;
}

void ResourceIndex::add(const Json& resource, std::string_view full_url) {
  if (!resource.is_object()) return;
  const std::string* type = resource.string_at("resourceType");
  const std::string* id = resource.string_at("id");
  if (type != nullptr && id != nullptr && !type->empty() && !id->empty())
    by_type_id_.emplace(*type + "/" + *id, &resource);
  if (!full_url.empty()) by_full_url_.emplace(std::string(full_url), &resource);
}

void ResourceIndex::add_bundle(const Json& bundle) {
  for (const Json& e : bundle.items_at("entry")) {
    const Json* r = e.find("resource");
    if (r == nullptr || !r->is_object()) continue;
    const std::string* url = e.string_at("fullUrl");
    add(*r, url ? std::string_view(*url) : std::string_view());
  }
}

const Json* ResourceIndex::by_full_url(std::string_view url) const {
  auto it = by_full_url_.find(url);
  return it == by_full_url_.end() ? nullptr : it->second;
}

const Json* ResourceIndex::by_type_id(std::string_view type_id) const {
  auto it = by_type_id_.find(type_id);
  return it == by_type_id_.end() ? nullptr : it->second;
}

const Json* ResourceIndex::resolve(const Reference& ref, const Json* from,
                                   std::string_view from_full_url) const {
  if (ref.contained) return from ? find_contained(*from, ref.id) : nullptr;
  const std::string type_id = ref.type.empty() ? std::string() : ref.type + "/" + ref.id;
  if (ref.absolute()) {
    // The exact URL first, then without its version.
    if (const Json* r = by_full_url(ref.url)) return r;
    if (auto h = ref.url.find("/_history/"); h != std::string::npos)
      if (const Json* r = by_full_url(std::string_view(ref.url).substr(0, h))) return r;
  } else if (std::string_view base = rest_base(from_full_url); !base.empty()) {
    if (const Json* r = by_full_url(std::string(base) + "/" + type_id)) return r;
  }
  if (type_id.empty()) return nullptr;  // a urn: that is no entry's fullUrl
  if (const Json* r = by_type_id(type_id)) return r;
  // A relative reference may also match an entry known only by its fullUrl.
  for (const auto& [url, r] : by_full_url_)
    if (url.ends_with("/" + type_id) && rest_base(url).size() + type_id.size() + 1 == url.size())
      return r;
  return nullptr;
}

const Json* ResourceIndex::resolve(std::string_view reference, const Json* from,
                                   std::string_view from_full_url) const {
  auto ref = parse_reference(reference);
  return ref ? resolve(*ref, from, from_full_url) : nullptr;
}

SubjectTarget subject_target(const Json& resource, const ResourceIndex& index,
                             std::string_view full_url) {
  SubjectTarget out;
  const SubjectRef subject = subject_of(resource);
  out.element = subject.element;
  if (!subject.reference) return out;
  const Reference& ref = *subject.reference;
  if (!ref.type.empty()) {
    out.type = ref.type;
    out.id = ref.id;
    return out;
  }
  const Json* target = index.resolve(ref, &resource, full_url);
  const std::string* type = target ? resource_type(*target) : nullptr;
  const std::string* id = target ? resource_id(*target) : nullptr;
  if (type != nullptr && id != nullptr) {
    out.type = *type;
    out.id = *id;
  } else {
    out.unresolved = true;
  }
  return out;
}

}  // namespace ibd::fhir
