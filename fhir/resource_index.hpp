// Resolving FHIR R4 references to the resources that arrived with them: a contained resource
// ("#id"), a Bundle entry by its fullUrl (absolute "https://…/Medication/1" or "urn:uuid:…"),
// or a resource by "Type/id" (relative, or the tail of an absolute URL).
//
// Contract: never throws; a reference that cannot be resolved gives nullptr. The index keeps
// pointers to the resources added: they must outlive it and must not move (do not add the
// elements of a vector that still grows). When two resources claim the same key, the first
// added wins. Thread safety: const member functions may be called from many threads;
// add() needs exclusive access.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "fhir/datatypes.hpp"
#include "fhir/json.hpp"

namespace ibd::fhir {

// The contained resource of `resource` with this id (without '#'); nullptr when none.
const Json* find_contained(const Json& resource, std::string_view id);

class ResourceIndex {
 public:
  // Indexes `resource` under "Type/id" (when it has both) and under `full_url` (when given).
  void add(const Json& resource, std::string_view full_url = {});
  // Every entry of a Bundle that has a resource, with its fullUrl.
  void add_bundle(const Json& bundle);

  // The resource `reference` points to. `from` is the resource holding the reference (for
  // "#id"); `from_full_url` its entry's fullUrl, against whose base a relative reference is
  // resolved first (FHIR R4 §2.36.4.1), before any resource of that Type/id. nullptr when the
  // reference is not to anything here.
  const Json* resolve(const Reference& reference, const Json* from = nullptr,
                      std::string_view from_full_url = {}) const;
  const Json* resolve(std::string_view reference, const Json* from = nullptr,
                      std::string_view from_full_url = {}) const;

 private:
  const Json* by_full_url(std::string_view url) const;
  const Json* by_type_id(std::string_view type_id) const;

  std::map<std::string, const Json*, std::less<>> by_full_url_;
  std::map<std::string, const Json*, std::less<>> by_type_id_;
};

// Whose record a resource is: the target of its `subject` (or `patient`) reference, followed
// through the index when it is a bundle-local "urn:uuid:…" or a contained "#id".
struct SubjectTarget {
  std::string element;  // "subject", "patient"; "" when the resource has neither
  std::string type;     // "Patient", "Group"; "" when unknown
  std::string id;
  // A reference that could not be followed: no reference at all, or a urn: / contained one
  // that is not here.
  bool unknown() const { return type.empty() || id.empty(); }
  bool unresolved = false;  // a reference was there, to nothing here
};
SubjectTarget subject_target(const Json& resource, const ResourceIndex& index,
                             std::string_view full_url = {});

}  // namespace ibd::fhir
