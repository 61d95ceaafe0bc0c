#include "hooks/request.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <string_view>

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

// FHIR id: [A-Za-z0-9\-\.]{1,64}.
bool is_fhir_id(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

// "Practitioner/123": a resource type and a FHIR id.
bool is_reference(std::string_view s) {
  const auto slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  const std::string_view type = s.substr(0, slash);
  const bool type_ok = type.front() >= 'A' && type.front() <= 'Z' &&
                       std::all_of(type.begin(), type.end(), [](char c) {
                         return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
                       });
  return type_ok && is_fhir_id(s.substr(slash + 1));
}

// http:// carries the access token in clear text: only to this machine (development, tests).
bool is_loopback_http(std::string_view url) {
  if (!url.starts_with("http://")) return false;
  std::string_view rest = url.substr(7);
  // "http://localhost:x@evil.example/" names evil.example: userinfo is never loopback.
  if (rest.substr(0, rest.find_first_of("/?#")).find('@') != std::string_view::npos) return false;
  std::string_view host = rest.starts_with("[") ? rest.substr(0, rest.find(']') + 1)
                                                : rest.substr(0, rest.find_first_of(":/?#"));
  if (host == "localhost" || host == "[::1]") return true;
  in_addr v4{};
  const std::string h(host);
  return inet_pton(AF_INET, h.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
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
  if (!is_reference(out.user_id))
    return invalid("context.userId must be a reference like \"Practitioner/123\"");
  auto patient = required_string(ctx, "patientId", "context.patientId");
  if (!patient) return std::unexpected(patient.error());
  out.patient_id = std::move(*patient);
  if (!is_fhir_id(out.patient_id))
    return invalid("context.patientId must be a FHIR id ([A-Za-z0-9-.], 1-64 characters)");
  auto encounter = optional_string(ctx, "encounterId", "context.encounterId");
  if (!encounter) return std::unexpected(encounter.error());
  out.encounter_id = std::move(*encounter);
  if (!out.encounter_id.empty() && !is_fhir_id(out.encounter_id))
    return invalid("context.encounterId must be a FHIR id ([A-Za-z0-9-.], 1-64 characters)");

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

// RFC 9562 §4 textual form: 8-4-4-4-12 hexadecimal digits, either case.
bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::expected<HookRequest, Error> parse_request(const Json& body, const ServiceDef& service) {
  if (!body.is_object()) return invalid("the request body must be a JSON object");
  HookRequest out;
  auto hook = required_string(body, "hook", "hook");
  if (!hook) return std::unexpected(hook.error());
  out.hook = std::move(*hook);
  if (out.hook != service.hook)
    return invalid("hook does not match this service's hook \"" + service.hook + "\"");
  auto instance = required_string(body, "hookInstance", "hookInstance");
  if (!instance) return std::unexpected(instance.error());
  // CDS Hooks 2.0: "A universally unique identifier (UUID) for this particular hook call".
  // Only the textual UUID form is accepted, so nothing else (control characters, markup,
  // long text) reaches the log or the audit trail through it.
  if (!is_uuid(*instance)) return invalid("hookInstance must be a UUID");
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
    if (!out.fhir_server.starts_with("https://") && !is_loopback_http(out.fhir_server))
      return invalid("fhirServer must use https when fhirAuthorization is given");
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
      // Keys this service did not ask for are ignored, and never repeated back.
      if (service.find_prefetch(m.key) == nullptr) continue;
      if (!m.value.is_null() && !m.value.is_object())
        return invalid("prefetch." + m.key + " must be a FHIR resource or null");
      out.prefetch.emplace(m.key, m.value);
    }
  }
  return out;
}

}  // namespace ibd::hooks
