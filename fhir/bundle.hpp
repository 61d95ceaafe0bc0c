// A read-only view of an R4 Bundle: searchset, collection, transaction, batch (and their
// responses), history, document, message; its entries and its paging links.
//
// Contract: lenient and never throws. Entries that are not objects are skipped; an entry
// element of the wrong JSON type reads as empty. The view holds pointers into the Bundle's
// JSON (BundleEntry::resource): the Json must outlive it and must not be modified meanwhile.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.hpp"

namespace ibd::fhir {

struct BundleEntry {
  std::string full_url;            // absolute URL or "urn:uuid:…"; "" when absent
  const Json* resource = nullptr;  // nullptr when the entry has no resource object
  std::string search_mode;         // searchset: "match", "include", "outcome"; ""
  std::string request_method;      // transaction / batch: "GET", "POST", "PUT", ...; ""
  std::string request_url;         // transaction / batch: "Patient", "Patient/1"; ""
  std::string response_status;     // a response Bundle: "201 Created"; ""
};

struct BundleLink {
  std::string relation;  // "self", "next", "previous", "first", "last"
  std::string url;
};

struct Bundle {
  std::string type;                    // "searchset", "collection", "transaction", ...; ""
  std::optional<std::uint64_t> total;  // searchset: matches in all pages; nullopt when absent
  std::vector<BundleLink> links;
  std::vector<BundleEntry> entries;  // document order
};

// nullopt when `json` is not a resource of type Bundle.
std::optional<Bundle> read_bundle(const Json& json);

// The URL of the link with this relation ("next" for the following page); nullptr when the
// Bundle has none. Points into `bundle`.
const std::string* bundle_link(const Json& bundle, std::string_view relation);

// The resources of a Bundle's entries (entry[].resource), in order; mistyped entries skipped.
std::vector<const Json*> bundle_resources(const Json& bundle);

}  // namespace ibd::fhir
