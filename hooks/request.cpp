#include "hooks/request.hpp"

namespace ibd::hooks {
namespace {

using fhir::Json;

std::unexpected<Error> invalid(std::string message) {
  return std::unexpected(Error::invalid(std::move(message)));
}

// A required non-empty string member; the message names `path`.
std::expected<std::string, Error> required_string(const Json& obj, std::string_view key,
                                                  std::string_view path) {
  const Json* v = obj.find(key);
  if (v == nullptr) return invalid(std::string(path) + " is required");
  if (!v->is_string() || v->as_string()->empty())
    return invalid(std::string(path) + " must be a non-empty string");
  return *v->as_string();
}

std::expected<std::string, Error> optional_string(const Json& obj, std::string_view key,
                                                  std::string_view path) {
  const Json* v = obj.find(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return invalid(std::string(path) + " must be a string");
  return *v->as_string();
}

bool is_http_url(std::string_view s) {
  return (s.starts_with("https://") && s.size() > 8) || (s.starts_with("http://") && s.size() > 7);
}

std::expected<FhirAuthorization, Error> parse_authorization(const Json& a) {
  if (!a.is_object()) return invalid("fhirAuthorization must be an object");
  FhirAuthorization out;
  auto token = required_string(a, "access_token", "fhirAuthorization.access_token");
  if (!token) return std::unexpected(token.error());
  out.access_token = std::move(*token);
  auto type = required_string(a, "token_type", "fhirAuthorization.token_type");
  if (!type) return std::unexpected(type.error());
  if (*type != "Bearer") return invalid("fhirAuthorization.token_type must be \"Bearer\"");
  out.token_type = *type;
  const Json* expires = a.find("expires_in");
  if (expires == nullptr) return invalid("fhirAuthorization.expires_in is required");
  if (!expires->as_int() || *expires->as_int() < 0)
    return invalid("fhirAuthorization.expires_in must be a non-negative integer");
  out.expires_in = *expires->as_int();
  auto scope = required_string(a, "scope", "fhirAuthorization.scope");
  if (!scope) return std::unexpected(scope.error());
  out.scope = std::move(*scope);
  auto subject = required_string(a, "subject", "fhirAuthorization.subject");
  if (!subject) return std::unexpected(subject.error());
  out.subject = std::move(*subject);
  auto patient = optional_string(a, "patient", "fhirAuthorization.patient");
  if (!patient) return std::unexpected(patient.error());
  out.patient = std::move(*patient);
  return out;
}

std::expected<void, Error> parse_context(const Json& ctx, HookRequest& out) {
  auto user = required_string(ctx, "userId", "context.userId");
  if (!user) return std::unexpected(user.error());
  out.user_id = std::move(*user);
  auto patient = required_string(ctx, "patientId", "context.patientId");
  if (!patient) return std::unexpected(patient.error());
  out.patient_id = std::move(*patient);
  auto encounter = optional_string(ctx, "encounterId", "context.encounterId");
  if (!encounter) return std::unexpected(encounter.error());
  out.encounter_id = std::move(*encounter);

  if (out.hook == "order-select") {
    const Json::Array* selections = ctx.array_at("selections");
    if (selections == nullptr)
      return invalid("context.selections is required and must be an array");
    for (const Json& s : *selections) {
      if (!s.is_string()) return invalid("context.selections must hold strings (\"Type/id\")");
      out.selections.push_back(*s.as_string());
    }
  }
  if (out.hook == "order-select" || out.hook == "order-sign") {
    const Json* draft = ctx.find("draftOrders");
    if (draft == nullptr) return invalid("context.draftOrders is required");
    const std::string* type = draft->is_object() ? draft->string_at("resourceType") : nullptr;
    if (type == nullptr || *type != "Bundle")
      return invalid("context.draftOrders must be a FHIR Bundle");
    out.draft_orders = *draft;
  }
  return {};
}

}  // namespace

std::expected<HookRequest, Error> parse_request(const Json& body, const ServiceDef& service) {
  if (!body.is_object()) return invalid("the request body must be a JSON object");
  HookRequest out;
  auto hook = required_string(body, "hook", "hook");
  if (!hook) return std::unexpected(hook.error());
  out.hook = std::move(*hook);
  if (out.hook != service.hook)
    return invalid("hook \"" + out.hook.substr(0, 40) + "\" does not match this service's hook \"" +
                   service.hook + "\"");
  auto instance = required_string(body, "hookInstance", "hookInstance");
  if (!instance) return std::unexpected(instance.error());
  if (instance->size() > 128) return invalid("hookInstance is longer than 128 characters");
  out.hook_instance = std::move(*instance);

  auto server = optional_string(body, "fhirServer", "fhirServer");
  if (!server) return std::unexpected(server.error());
  out.fhir_server = std::move(*server);
  if (!out.fhir_server.empty() && !is_http_url(out.fhir_server))
    return invalid("fhirServer must be an absolute http(s) URL");
  if (const Json* auth = body.find("fhirAuthorization"); auth != nullptr && !auth->is_null()) {
    auto parsed = parse_authorization(*auth);
    if (!parsed) return std::unexpected(parsed.error());
    if (out.fhir_server.empty())
      return invalid("fhirServer is required when fhirAuthorization is given");
    out.fhir_authorization = std::move(*parsed);
  }

  const Json* context = body.find("context");
  if (context == nullptr) return invalid("context is required");
  if (!context->is_object()) return invalid("context must be an object");
  out.context = *context;
  if (auto ok = parse_context(*context, out); !ok) return std::unexpected(ok.error());

  if (const Json* prefetch = body.find("prefetch"); prefetch != nullptr && !prefetch->is_null()) {
    if (!prefetch->is_object()) return invalid("prefetch must be an object");
    for (const fhir::JsonMember& m : *prefetch->as_object()) {
      if (!m.value.is_null() && !m.value.is_object())
        return invalid("prefetch." + m.key.substr(0, 64) + " must be a FHIR resource or null");
      out.prefetch.emplace(m.key, m.value);
    }
  }
  return out;
}

}  // namespace ibd::hooks
