#include "conformance/card_rules.hpp"

#include <cctype>
#include <set>

namespace ibd::conformance {
namespace {

using fhir::Json;

// Characters, not bytes: the summary limit is about what a user reads.
std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_string(const Json* v) { return v != nullptr && v->is_string(); }

std::string kind_name(const Json& v) {
  switch (v.kind()) {
    case Json::Kind::kNull:
      return "null";
    case Json::Kind::kBool:
      return "a boolean";
    case Json::Kind::kNumber:
      return "a number";
    case Json::Kind::kString:
      return "a string";
    case Json::Kind::kArray:
      return "an array";
    case Json::Kind::kObject:
      return "an object";
  }
  return "?";
}

// A CDS Hooks Coding: system and code strings; display a string when present (required when
// `display_required`).
std::string coding_problem(const Json& c, bool display_required) {
  if (!c.is_object()) return "is " + kind_name(c) + ", not a Coding object";
  if (!is_string(c.find("system"))) return "has no `system` string";
  if (!is_string(c.find("code"))) return "has no `code` string";
  const Json* display = c.find("display");
  if (display != nullptr && !display->is_string()) return "has a `display` that is not a string";
  if (display_required && (display == nullptr || display->as_string()->empty()))
    return "has no human-readable `display`";
  return {};
}

void check_actions(const Json& actions, const std::string& where, Recorder& rec) {
  if (!actions.is_array()) {
    rec.fail("actions.shape", where + ": `actions` is " + kind_name(actions) + ", not an array");
    return;
  }
  std::size_t i = 0;
  for (const Json& a : actions.items()) {
    const std::string at = where + " action " + std::to_string(++i);
    if (!a.is_object()) {
      rec.fail("actions.shape", at + " is " + kind_name(a) + ", not an object");
      continue;
    }
    const std::string* type = a.string_at("type");
    const bool known = type && (*type == "create" || *type == "update" || *type == "delete");
    if (!known) {
      rec.fail("actions.shape", at + ": `type` is " +
                                    (type ? "\"" + *type + "\"" : std::string("missing")) +
                                    ", not create, update or delete");
    } else if (!is_string(a.find("description"))) {
      rec.fail("actions.shape", at + ": no `description` string");
    } else {
      rec.pass("actions.shape");
    }
    if (!known) continue;
    const Json* resource = a.find("resource");
    const auto is_resource = [&] {
      return resource != nullptr && resource->is_object() &&
             is_string(resource->find("resourceType"));
    };
    if (*type == "create") {
      rec.expect("actions.resource", is_resource(),
                 at + ": a create action without a FHIR resource (object with resourceType)");
    } else if (*type == "update") {
      rec.expect("actions.resource", is_resource() && is_string(resource->find("id")),
                 at + ": an update action must carry the whole resource, with its id");
    } else {
      const Json* id = a.find("resourceId");
      if (resource != nullptr && resource->is_string()) {
        rec.fail("actions.resource", at + ": a delete action names its target in `resource` "
                                          "(a string); that is what `resourceId` is for");
      } else if (id == nullptr) {
        rec.fail("actions.resource", at + ": a delete action without `resourceId`");
      } else {
        // 2.0 allows a string; 2.0's examples also show an array of relative references.
        bool ok = id->is_string();
        if (const Json::Array* ids = id->as_array()) {
          ok = !ids->empty();
          for (const Json& x : *ids) ok = ok && x.is_string();
        }
        rec.expect("actions.resource", ok, at + ": `resourceId` is " + kind_name(*id));
      }
    }
  }
}

void check_suggestions(const Json& card, const std::string& where, Recorder& rec) {
  const Json* suggestions = card.find("suggestions");
  if (suggestions == nullptr) return;
  if (!suggestions->is_array()) {
    rec.fail("suggestions.shape",
             where + ": `suggestions` is " + kind_name(*suggestions) + ", not an array");
    return;
  }
  const std::string* behavior = card.string_at("selectionBehavior");
  if (!suggestions->items().empty()) {
    if (behavior == nullptr) {
      rec.fail("suggestions.selection-behavior",
               where + ": has suggestions but no `selectionBehavior` string");
    } else {
      rec.expect("suggestions.selection-behavior", *behavior == "at-most-one" || *behavior == "any",
                 where + ": selectionBehavior \"" + *behavior + "\" is not at-most-one or any");
    }
  }
  std::size_t i = 0;
  for (const Json& s : suggestions->items()) {
    const std::string at = where + " suggestion " + std::to_string(++i);
    if (!s.is_object()) {
      rec.fail("suggestions.shape", at + " is " + kind_name(s) + ", not an object");
      continue;
    }
    std::string problem;
    if (!is_string(s.find("label"))) problem = "no `label` string";
    if (const Json* u = s.find("uuid"); u && !u->is_string()) problem = "`uuid` is not a string";
    if (const Json* r = s.find("isRecommended"); r && !r->is_bool())
      problem = "`isRecommended` is not a boolean";
    rec.expect("suggestions.shape", problem.empty(), at + ": " + problem);
    if (const Json* actions = s.find("actions")) check_actions(*actions, at, rec);
  }
}

void check_links(const Json& card, const std::string& where, Recorder& rec) {
  const Json* links = card.find("links");
  if (links == nullptr) return;
  if (!links->is_array()) {
    rec.fail("links.shape", where + ": `links` is " + kind_name(*links) + ", not an array");
    return;
  }
  std::size_t i = 0;
  for (const Json& l : links->items()) {
    const std::string at = where + " link " + std::to_string(++i);
    if (!l.is_object()) {
      rec.fail("links.shape", at + " is " + kind_name(l) + ", not an object");
      continue;
    }
    const std::string* url = l.string_at("url");
    const std::string* type = l.string_at("type");
    std::string problem;
    if (!is_string(l.find("label")))
      problem = "no `label` string";
    else if (url == nullptr)
      problem = "no `url` string";
    else if (!is_absolute_url(*url))
      problem = "`url` \"" + *url + "\" is not an absolute URL";
    else if (type == nullptr)
      problem = "no `type` string";
    rec.expect("links.shape", problem.empty(), at + ": " + problem);
    if (type != nullptr)
      rec.expect("links.type", *type == "absolute" || *type == "smart",
                 at + ": type \"" + *type + "\" is not absolute or smart");
    if (const Json* app = l.find("appContext")) {
      if (!app->is_string()) {
        rec.fail("links.app-context", at + ": `appContext` is " + kind_name(*app));
      } else {
        rec.expect("links.app-context", type != nullptr && *type == "smart",
                   at + ": `appContext` on a link that is not smart");
      }
    }
  }
}

void check_source(const Json& card, const std::string& where, const std::string& patient_id,
                  Recorder& rec, std::vector<std::string>& icons) {
  const Json* source = card.find("source");
  if (source == nullptr || !source->is_object()) {
    rec.fail("cards.source", where + ": `source` is " +
                                 (source ? kind_name(*source) : std::string("missing")) +
                                 ", not an object");
    return;
  }
  std::string problem;
  if (!is_string(source->find("label"))) problem = "source has no `label` string";
  for (const char* key : {"url", "icon"}) {
    if (const Json* v = source->find(key);
        v && (!v->is_string() || !is_absolute_url(*v->as_string())))
      problem = std::string("source.") + key + " is not an absolute URL";
  }
  if (const Json* topic = source->find("topic")) {
    if (const std::string p = coding_problem(*topic, false); !p.empty())
      problem = "source.topic " + p;
  }
  rec.expect("cards.source", problem.empty(), where + ": " + problem);
  if (const std::string* url = source->string_at("url")) {
    rec.expect("cards.source-drilldown",
               patient_id.empty() || url->find(patient_id) == std::string::npos,
               where + ": source.url carries the patient id: a drill-down belongs in a link");
  }
  if (const std::string* icon = source->string_at("icon")) icons.push_back(*icon);
}

void check_card(const Json& card, const std::string& where, const std::string& patient_id,
                Recorder& rec, std::vector<std::string>& icons) {
  if (!card.is_object()) {
    rec.fail("cards.summary", where + " is " + kind_name(card) + ", not an object");
    return;
  }
  const Json* summary = card.find("summary");
  if (summary == nullptr || !summary->is_string()) {
    rec.fail("cards.summary", where + ": no `summary` string");
  } else {
    const std::size_t n = utf8_length(*summary->as_string());
    rec.expect("cards.summary", n < 140,
               where + ": summary is " + std::to_string(n) + " characters (must be < 140)");
  }
  if (const Json* detail = card.find("detail"))
    rec.expect("cards.detail", detail->is_string(),
               where + ": `detail` is " + kind_name(*detail) + ", not a Markdown string");
  const std::string* indicator = card.string_at("indicator");
  rec.expect(
      "cards.indicator",
      indicator && (*indicator == "info" || *indicator == "warning" || *indicator == "critical"),
      where + ": indicator " + (indicator ? "\"" + *indicator + "\"" : "missing") +
          " is not info, warning or critical");
  check_source(card, where, patient_id, rec, icons);
  if (const Json* reasons = card.find("overrideReasons")) {
    if (!reasons->is_array()) {
      rec.fail("cards.override-reasons", where + ": `overrideReasons` is " + kind_name(*reasons) +
                                             ", not an array of Codings");
    } else {
      std::size_t i = 0;
      for (const Json& r : reasons->items()) {
        ++i;
        const std::string p = coding_problem(r, true);
        rec.expect("cards.override-reasons", p.empty(),
                   where + " overrideReasons[" + std::to_string(i) + "]" + " " + p);
      }
    }
  }
  check_suggestions(card, where, rec);
  check_links(card, where, rec);
}

// Inside a FHIR resource (an object with resourceType) `extension` is FHIR's array, not the
// CDS Hooks extension object.
void walk(const Json& v, const std::string& path, const std::string& where, Recorder& rec,
          int& problems, bool in_fhir) {
  const auto report = [&](const std::string& what) {
    if (++problems <= 3) rec.fail("json.no-null", where + ": " + path + " is " + what);
  };
  if (v.is_null()) {
    report("null");
  } else if (const std::string* s = v.as_string(); s && s->empty()) {
    report("an empty string");
  } else if (const Json::Array* a = v.as_array()) {
    if (a->empty() && path != "cards") report("an empty array");
    std::size_t i = 0;
    for (const Json& x : *a)
      walk(x, path + "[" + std::to_string(i++) + "]", where, rec, problems, in_fhir);
  } else if (const Json::Object* o = v.as_object()) {
    if (o->empty()) report("an empty object");
    in_fhir = in_fhir || v.find("resourceType") != nullptr;
    for (const fhir::JsonMember& m : *o) {
      const std::string child = path.empty() ? m.key : path + "." + m.key;
      if (m.key == "extension" && !in_fhir) {
        if (!m.value.is_object()) {
          rec.fail("json.extensions", where + ": " + child + " is " + kind_name(m.value));
        } else {
          rec.pass("json.extensions");
          for (const fhir::JsonMember& e : *m.value.as_object())
            rec.expect("json.extension-names", e.key.find('.') != std::string::npos,
                       where + ": extension \"" + e.key +
                           "\" is not named for global uniqueness (e.g. org.example.name)");
        }
      }
      walk(m.value, child, where, rec, problems, in_fhir);
    }
  }
}

}  // namespace

bool is_absolute_url(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(text[0])))
    return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = text[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  std::string scheme = text.substr(0, colon);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "http" || scheme == "https")
    return text.compare(colon, 3, "://") == 0 && text.size() > colon + 3 && text[colon + 3] != '/';
  return text.size() > colon + 1;
}

void check_hook_answer(const Json& body, const std::string& where, const std::string& patient_id,
                       Recorder& rec, std::vector<std::string>& icons) {
  const Json* cards = body.is_object() ? body.find("cards") : nullptr;
  if (cards == nullptr || !cards->is_array()) {
    rec.fail("request.cards-array", where + ": the answer has no `cards` array");
    return;
  }
  rec.pass("request.cards-array");
  std::set<std::string> uuids;
  std::size_t i = 0;
  for (const Json& card : cards->items()) {
    const std::string at = where + " card " + std::to_string(++i);
    if (const Json* uuid = card.is_object() ? card.find("uuid") : nullptr) {
      if (!uuid->is_string()) {
        rec.fail("cards.uuid", at + ": `uuid` is " + kind_name(*uuid));
      } else {
        rec.expect("cards.uuid", uuids.insert(*uuid->as_string()).second,
                   at + ": uuid " + *uuid->as_string() + " repeats another card's");
      }
    }
    check_card(card, at, patient_id, rec, icons);
  }
  if (const Json* actions = body.find("systemActions")) {
    rec.expect("request.system-actions", actions->is_array(),
               where + ": `systemActions` is " + kind_name(*actions) + ", not an array");
    if (actions->is_array()) check_actions(*actions, where + " systemActions", rec);
  }
}

void check_json_elements(const Json& document, const std::string& where, Recorder& rec) {
  int problems = 0;
  walk(document, "", where, rec, problems, false);
  if (problems == 0) rec.pass("json.no-null");
  if (problems > 3)
    rec.fail("json.no-null", where + ": … " + std::to_string(problems - 3) + " more");
}

std::pair<unsigned, unsigned> png_size(const std::string& bytes) {
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (bytes.size() < 24 || bytes.compare(0, 8, kSignature) != 0 ||
      bytes.compare(12, 4, "IHDR") != 0)
    return {0, 0};
  const auto be32 = [&](std::size_t at) {
    unsigned v = 0;
    for (std::size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(bytes[at + k]);
    return v;
  };
  return {be32(16), be32(20)};
}

}  // namespace ibd::conformance
