#include "hooks/prefetch.hpp"

#include <algorithm>

#include "fhir/bundle.hpp"
#include "fhir/resource.hpp"

namespace ibd::hooks {
namespace {

using fhir::Json;

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// userId "Practitioner/123" -> "123" when the type matches.
std::optional<std::string> user_of_type(const HookRequest& r, std::string_view type) {
  auto ref = fhir::parse_reference(r.user_id);
  if (!ref || ref->type != type) return std::nullopt;
  return ref->id;
}

std::optional<std::string> token_value(std::string_view token, const HookRequest& r) {
  if (token.starts_with("context.")) {
    const Json* v = r.context.find(token.substr(8));
    if (v != nullptr && v->is_string()) return *v->as_string();
    return std::nullopt;
  }
  if (token == "userPractitionerId") return user_of_type(r, "Practitioner");
  if (token == "userPractitionerRoleId") return user_of_type(r, "PractitionerRole");
  if (token == "userPatientId") return user_of_type(r, "Patient");
  if (token == "userRelatedPersonId") return user_of_type(r, "RelatedPerson");
  return std::nullopt;
}

bool is_operation_outcome(const Json& v) {
  const std::string* type = fhir::resource_type(v);
  return type != nullptr && *type == "OperationOutcome";
}

std::string outcome_text(const Json& outcome) {
  if (const Json::Array* issues = outcome.array_at("issue"); issues && !issues->empty()) {
    const Json& issue = issues->front();
    // Only a well-formed FHIR code is repeated (it reaches cards and logs).
    const std::string* code = issue.string_at("code");
    const bool plain = code != nullptr && !code->empty() && code->size() <= 32 &&
                       std::all_of(code->begin(), code->end(),
                                   [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
    if (plain) return "the EHR sent an OperationOutcome (" + *code + ") instead of data";
  }
  return "the EHR sent an OperationOutcome instead of data";
}

void add_resources(const std::string& key, const Json& value, mapping::PatientData& out) {
  const std::string* type = fhir::resource_type(value);
  if (type != nullptr && *type == "Bundle") {
    for (const Json* r : fhir::bundle_resources(value))
      if (!is_operation_outcome(*r)) out.resources.push_back({key, *r});
  } else {
    out.resources.push_back({key, value});
  }
}

}  // namespace

std::expected<std::string, std::string> render_template(std::string_view query,
                                                        const HookRequest& request) {
  std::string out;
  std::size_t pos = 0;
  while (pos < query.size()) {
    const auto open = query.find("{{", pos);
    if (open == std::string_view::npos) break;
    const auto close = query.find("}}", open + 2);
    if (close == std::string_view::npos) return std::unexpected("unterminated {{ in the template");
    out.append(query.substr(pos, open - pos));
    std::string_view token = query.substr(open + 2, close - open - 2);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    auto value = token_value(token, request);
    if (!value || value->empty())
      return std::unexpected("{{" + std::string(token) + "}} has no value in this request");
    out += percent_encode(*value);
    pos = close + 2;
  }
  out.append(query.substr(pos));
  return out;
}

PrefetchPlan plan_prefetch(const HookRequest& request, const ServiceDef& service) {
  PrefetchPlan plan;
  for (const PrefetchDef& p : service.prefetch) {
    auto sent = request.prefetch.find(p.key);
    const bool absent = sent == request.prefetch.end();
    if (!absent && !is_operation_outcome(sent->second)) {  // data, or null = no data
      // A searchset sent with a next link is only its first page(s).
      const std::string* type = fhir::resource_type(sent->second);
      if (type == nullptr || *type != "Bundle") continue;
      const std::string* link = fhir::bundle_link(sent->second, "next");
      if (link == nullptr || link->empty()) continue;
      std::string next = *link;
      if (request.fhir_server.empty()) {
        plan.unfetchable.push_back({p.key, p.description,
                                    "only part was prefetched (the Bundle has a next link), and "
                                    "there is no fhirServer to fetch the rest from"});
        continue;
      }
      plan.needs.push_back({p.key, std::move(next), true});
      continue;
    }
    if (request.fhir_server.empty()) {
      plan.unfetchable.push_back(
          {p.key, p.description,
           absent ? "not prefetched, and the request names no fhirServer to fetch it from"
                  : outcome_text(sent->second) + ", and there is no fhirServer to ask"});
      continue;
    }
    auto query = render_template(p.query, request);
    if (!query) {
      plan.unfetchable.push_back(
          {p.key, p.description, "cannot build the query: " + query.error()});
      continue;
    }
    plan.needs.push_back({p.key, std::move(*query)});
  }
  return plan;
}

std::expected<mapping::PatientData, Error> assemble_patient_data(const HookRequest& request,
                                                                 const ServiceDef& service,
                                                                 const PrefetchPlan& plan,
                                                                 std::vector<FetchResult> fetched) {
  mapping::PatientData data;
  data.patient_id = request.patient_id;
  data.missing = plan.unfetchable;
  if (request.draft_orders) {
    for (const Json* r : fhir::bundle_resources(*request.draft_orders))
      data.draft_orders.push_back(*r);
  }
  data.selections = request.selections;
  for (const PrefetchDef& p : service.prefetch) {
    auto fetched_it = std::find_if(fetched.begin(), fetched.end(),
                                   [&](const FetchResult& f) { return f.key == p.key; });
    auto sent = request.prefetch.find(p.key);
    const bool continuation =
        std::any_of(plan.needs.begin(), plan.needs.end(),
                    [&](const FetchNeed& n) { return n.key == p.key && n.continuation; });
    if (continuation && sent != request.prefetch.end()) add_resources(p.key, sent->second, data);
    if (fetched_it != fetched.end()) {
      if (fetched_it->resource && is_operation_outcome(*fetched_it->resource)) {
        data.missing.push_back({p.key, p.description, outcome_text(*fetched_it->resource)});
      } else if (fetched_it->resource) {
        add_resources(p.key, *fetched_it->resource, data);
        if (!fetched_it->incomplete.empty())
          data.missing.push_back({p.key, p.description, "incomplete: " + fetched_it->incomplete});
      } else if (continuation) {
        data.missing.push_back(
            {p.key, p.description,
             "only the prefetched page(s): the rest could not be fetched: " +
                 (fetched_it->error.empty() ? std::string("no result") : fetched_it->error)});
      } else {
        data.missing.push_back(
            {p.key, p.description,
             fetched_it->error.empty() ? "could not be fetched" : fetched_it->error});
      }
    } else if (!continuation && sent != request.prefetch.end() && !sent->second.is_null() &&
               !is_operation_outcome(sent->second)) {
      add_resources(p.key, sent->second, data);
    } else {
      const bool planned = std::any_of(plan.needs.begin(), plan.needs.end(),
                                       [&](const FetchNeed& n) { return n.key == p.key; });
      if (planned) data.missing.push_back({p.key, p.description, "the fetch returned no result"});
    }
  }
  // The Patient goes first so that facts that need the birth date can use it.
  std::stable_partition(data.resources.begin(), data.resources.end(),
                        [](const mapping::SourcedResource& r) {
                          const std::string* type = fhir::resource_type(r.resource);
                          return type != nullptr && *type == "Patient";
                        });
  for (const PrefetchDef& p : service.prefetch) {
    if (!p.required) continue;
    const bool have = std::any_of(
        data.resources.begin(), data.resources.end(), [&](const mapping::SourcedResource& r) {
          if (r.key != p.key) return false;
          const std::string* type = fhir::resource_type(r.resource);
          const std::string* id = fhir::resource_id(r.resource);
          // Only a real resource counts, and a Patient only when it is the
          // patient in context.
          if (type == nullptr) return false;
          return *type != "Patient" || (id != nullptr && *id == request.patient_id);
        });
    if (have) continue;
    std::string reason = "no data";
    for (const mapping::MissingSource& m : data.missing)
      if (m.key == p.key) reason = m.reason;
    Error e{ErrorKind::kPreconditionFailed,
            "required prefetch '" + p.key + "' (" + p.description + ") is not available: " + reason,
            {},
            {}};
    e.resource = fhir::operation_outcome("error", "not-found", e.message);
    return std::unexpected(std::move(e));
  }
  return data;
}

}  // namespace ibd::hooks
