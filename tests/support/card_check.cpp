#include "tests/support/card_check.hpp"

#include <set>

namespace ibd::testing {
namespace {

using fhir::Json;

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

void need_string(const Json& obj, const char* key, const std::string& path,
                 std::vector<std::string>& out) {
  const Json* v = obj.find(key);
  if (v == nullptr || !v->is_string() || v->as_string()->empty())
    out.push_back(path + "." + key + ": required non-empty string");
}

void check_coding(const Json& c, const std::string& path, std::vector<std::string>& out) {
  if (!c.is_object()) {
    out.push_back(path + ": must be a Coding object");
    return;
  }
  need_string(c, "code", path, out);
  need_string(c, "system", path, out);
}

void check_action(const Json& a, const std::string& path, std::vector<std::string>& out) {
  const std::string* type = a.string_at("type");
  if (type == nullptr || (*type != "create" && *type != "update" && *type != "delete")) {
    out.push_back(path + ".type: must be create, update or delete");
    return;
  }
  need_string(a, "description", path, out);
  if (*type == "delete") {
    if (a.find("resourceId") == nullptr) out.push_back(path + ".resourceId: required for delete");
    return;
  }
  const Json* r = a.find("resource");
  if (r == nullptr || !r->is_object() || r->string_at("resourceType") == nullptr) {
    out.push_back(path + ".resource: a FHIR resource is required for " + *type);
    return;
  }
  if (*r->string_at("resourceType") == "ServiceRequest") {
    for (const char* key : {"status", "intent"}) need_string(*r, key, path + ".resource", out);
    const Json* code = r->find("code");
    if (code == nullptr ||
        (code->array_at("coding") == nullptr && code->string_at("text") == nullptr))
      out.push_back(path + ".resource.code: required, coded or with text");
    const Json* subject = r->find("subject");
    if (subject == nullptr || subject->string_at("reference") == nullptr)
      out.push_back(path + ".resource.subject: a reference is required");
  }
}

}  // namespace

std::string rule_of(const Json& card) {
  const Json* ext = card.find("extension");
  const Json* rule = ext ? ext->find("org.ibd-cds.rule") : nullptr;
  const std::string* id = rule ? rule->string_at("id") : nullptr;
  return id ? *id : "";
}

const Json* card_of(const Json& response, const std::string& rule) {
  for (const Json& c : response.items_at("cards"))
    if (rule_of(c) == rule) return &c;
  return nullptr;
}

std::vector<std::string> check_card(const Json& card, const std::string& path) {
  std::vector<std::string> out;
  if (!card.is_object()) return {path + ": must be an object"};
  need_string(card, "uuid", path, out);
  need_string(card, "summary", path, out);
  if (const std::string* s = card.string_at("summary"); s && utf8_length(*s) >= 140)
    out.push_back(path + ".summary: " + std::to_string(utf8_length(*s)) +
                  " characters, must be under 140");
  const std::string* indicator = card.string_at("indicator");
  if (indicator == nullptr ||
      (*indicator != "info" && *indicator != "warning" && *indicator != "critical"))
    out.push_back(path + ".indicator: must be info, warning or critical");
  const Json* source = card.find("source");
  if (source == nullptr || !source->is_object()) {
    out.push_back(path + ".source: required object");
  } else {
    need_string(*source, "label", path + ".source", out);
    if (const Json* topic = source->find("topic"))
      check_coding(*topic, path + ".source.topic", out);
  }
  if (const Json* detail = card.find("detail"); detail && !detail->is_string())
    out.push_back(path + ".detail: must be a string");
  if (const Json* suggestions = card.find("suggestions")) {
    if (!suggestions->is_array()) {
      out.push_back(path + ".suggestions: must be an array");
    } else {
      const std::string* behavior = card.string_at("selectionBehavior");
      if (!suggestions->as_array()->empty() &&
          (behavior == nullptr || (*behavior != "at-most-one" && *behavior != "any")))
        out.push_back(path + ".selectionBehavior: required with suggestions (at-most-one or any)");
      std::size_t i = 0;
      for (const Json& s : *suggestions->as_array()) {
        const std::string sp = path + ".suggestions[" + std::to_string(i++) + "]";
        need_string(s, "label", sp, out);
        if (const Json* actions = s.find("actions")) {
          std::size_t j = 0;
          for (const Json& a : actions->items())
            check_action(a, sp + ".actions[" + std::to_string(j++) + "]", out);
        }
      }
    }
  }
  if (const Json* reasons = card.find("overrideReasons")) {
    std::size_t i = 0;
    for (const Json& r : reasons->items()) {
      const std::string rp = path + ".overrideReasons[" + std::to_string(i++) + "]";
      check_coding(r, rp, out);
      need_string(r, "display", rp, out);
    }
  }
  if (const Json* links = card.find("links")) {
    std::size_t i = 0;
    for (const Json& l : links->items()) {
      const std::string lp = path + ".links[" + std::to_string(i++) + "]";
      need_string(l, "label", lp, out);
      need_string(l, "url", lp, out);
      const std::string* type = l.string_at("type");
      if (type == nullptr || (*type != "absolute" && *type != "smart"))
        out.push_back(lp + ".type: absolute or smart");
    }
  }
  if (rule_of(card).empty())
    out.push_back(path + ".extension: org.ibd-cds.rule with the rule id is required");
  return out;
}

std::vector<std::string> check_response(const Json& response) {
  const Json::Array* cards = response.array_at("cards");
  if (cards == nullptr) return {"cards: required array"};
  std::vector<std::string> out;
  std::set<std::string> uuids;
  for (std::size_t i = 0; i < cards->size(); ++i) {
    auto problems = check_card((*cards)[i], "cards[" + std::to_string(i) + "]");
    out.insert(out.end(), problems.begin(), problems.end());
    if (const std::string* u = (*cards)[i].string_at("uuid"); u && !uuids.insert(*u).second)
      out.push_back("cards[" + std::to_string(i) + "].uuid: repeated");
  }
  return out;
}

std::vector<std::string> check_discovery(const Json& discovery) {
  const Json::Array* services = discovery.array_at("services");
  if (services == nullptr) return {"services: required array"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < services->size(); ++i) {
    const std::string p = "services[" + std::to_string(i) + "]";
    for (const char* key : {"hook", "description", "id"}) need_string((*services)[i], key, p, out);
    if (const Json* prefetch = (*services)[i].find("prefetch")) {
      if (!prefetch->is_object()) out.push_back(p + ".prefetch: must be an object");
    }
  }
  return out;
}

}  // namespace ibd::testing
