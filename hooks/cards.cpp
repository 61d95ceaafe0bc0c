#include "hooks/cards.hpp"

#include <cstdio>
#include <set>

#include "mapping/evaluate.hpp"

namespace ibd::hooks {
namespace {

using fhir::Json;

// Markdown table cells: no pipes or line breaks.
// Markdown table cells: FHIR-supplied text, escaped so it shows as text (no links, images
// or HTML) and cannot break the table.
std::string cell(const std::string& s) {
  const std::string out = mapping::escape_markdown(s);
  return out.empty() ? "—" : out;
}

// Cuts at a word boundary so the summary stays under 140 characters (bytes, which is
// stricter for non-ASCII text), never inside a UTF-8 sequence.
std::string fit_summary(const std::string& s) {
  constexpr std::size_t kMax = 139;
  if (s.size() <= kMax) return s;
  std::size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  const auto space = s.rfind(' ', cut);
  if (space != std::string::npos && space > kMax / 2) cut = space;
  return s.substr(0, cut) + "...";
}

Json coding_json(const fhir::Coding& c) {
  Json j = Json::object();
  if (!c.system.empty()) j.set("system", Json::string(c.system));
  if (!c.code.empty()) j.set("code", Json::string(c.code));
  if (!c.display.empty()) j.set("display", Json::string(c.display));
  return j;
}

Json reference_json(const std::string& ref) {
  return Json::object().set("reference", Json::string(ref));
}

Json service_request(const mapping::ProposedOrder& order, const CardContext& ctx) {
  Json sr = Json::object();
  sr.set("resourceType", Json::string("ServiceRequest"));
  sr.set("status", Json::string("draft"));
  sr.set("intent", Json::string("proposal"));
  if (order.category == "laboratory") {
    fhir::Coding c{"http://snomed.info/sct", "108252007", "Laboratory procedure"};
    sr.set("category", Json::array({Json::object().set("coding", Json::array({coding_json(c)}))}));
  } else if (order.category == "procedure") {
    fhir::Coding c{"http://snomed.info/sct", "387713003", "Surgical procedure"};
    sr.set("category", Json::array({Json::object().set("coding", Json::array({coding_json(c)}))}));
  }
  Json code = Json::object();
  if (!order.code.codings.empty()) {
    Json codings = Json::array();
    for (const fhir::Coding& c : order.code.codings) codings.push(coding_json(c));
    code.set("coding", std::move(codings));
  }
  if (!order.code.text.empty()) code.set("text", Json::string(order.code.text));
  sr.set("code", std::move(code));
  sr.set("subject", reference_json("Patient/" + ctx.patient_id));
  if (!ctx.encounter_id.empty())
    sr.set("encounter", reference_json("Encounter/" + ctx.encounter_id));
  if (ctx.user_id.starts_with("Practitioner/") || ctx.user_id.starts_with("PractitionerRole/"))
    sr.set("requester", reference_json(ctx.user_id));
  if (!order.reasons.empty()) {
    Json reasons = Json::array();
    for (const std::string& r : order.reasons) reasons.push(reference_json(r));
    sr.set("reasonReference", std::move(reasons));
  }
  if (!order.note.empty())
    sr.set("note", Json::array({Json::object().set("text", Json::string(order.note))}));
  return sr;
}

Json card_json(const mapping::Advice& a, const CardContext& ctx, const CardStyle& style) {
  Json card = Json::object();
  card.set("uuid", Json::string(style.make_uuid()));
  card.set("summary", Json::string(fit_summary(a.summary)));
  card.set("detail", Json::string(render_detail(a)));
  card.set("indicator", Json::string(mapping::to_string(a.severity)));
  Json source = Json::object();
  source.set("label", Json::string(a.source.label));
  if (!a.source.url.empty()) source.set("url", Json::string(a.source.url));
  if (!a.source.topic.code.empty()) source.set("topic", coding_json(a.source.topic));
  card.set("source", std::move(source));
  if (!a.suggestions.empty()) {
    Json suggestions = Json::array();
    for (const mapping::Suggestion& s : a.suggestions) {
      Json sug = Json::object();
      sug.set("label", Json::string(s.label));
      sug.set("uuid", Json::string(style.make_uuid()));
      sug.set("isRecommended", Json::boolean(s.recommended));
      Json actions = Json::array();
      for (const mapping::ProposedOrder& o : s.orders) {
        Json action = Json::object();
        action.set("type", Json::string("create"));
        action.set("description", Json::string("Propose: " + o.code.label()));
        action.set("resource", service_request(o, ctx));
        actions.push(std::move(action));
      }
      for (const mapping::Removal& r : s.removals) {
        Json action = Json::object();
        action.set("type", Json::string("delete"));
        action.set("description", Json::string(r.description));
        action.set("resourceId", Json::string(r.reference));
        actions.push(std::move(action));
      }
      sug.set("actions", std::move(actions));
      suggestions.push(std::move(sug));
    }
    card.set("suggestions", std::move(suggestions));
    card.set("selectionBehavior", Json::string("at-most-one"));
  }
  if (!a.override_reasons.empty()) {
    Json reasons = Json::array();
    for (const mapping::OverrideReasonDef& r : a.override_reasons)
      reasons.push(coding_json({a.override_reason_system, r.code, r.display}));
    card.set("overrideReasons", std::move(reasons));
  }
  if (!style.smart_app_url.empty()) {
    Json link = Json::object();
    link.set("label", Json::string(style.smart_app_label));
    link.set("url", Json::string(style.smart_app_url));
    link.set("type", Json::string("smart"));
    link.set("appContext", Json::string("rule=" + a.rule_id));
    card.set("links", Json::array({std::move(link)}));
  }
  Json rule = Json::object();
  rule.set("id", Json::string(a.rule_id));
  rule.set("version", Json::string(a.rule_version));
  rule.set("ruleSetVersion", Json::string(a.rule_set_version));
  card.set("extension", Json::object().set(std::string(kRuleExtension), std::move(rule)));
  return card;
}

}  // namespace

std::string render_detail(const mapping::Advice& a) {
  std::string md;
  for (const std::string& p : a.reasoning) md += p + "\n\n";
  if (!a.evidence.empty()) {
    md += "| Date | Test | Result as recorded | Converted | Source |\n|---|---|---|---|---|\n";
    for (const mapping::EvidenceRow& r : a.evidence)
      md += "| " + cell(r.date) + " | " + cell(r.test) + " | " + cell(r.recorded) + " | " +
            cell(r.converted) + " | " + cell(r.source) + " |\n";
    md += "\n";
  }
  if (!a.ignored.empty()) {
    md += "**Not used:**\n\n";
    for (const std::string& i : a.ignored) md += "- " + i + "\n";
    md += "\n";
  }
  if (!a.source.label.empty()) md += "_Source: " + a.source.label + "._ ";
  md += "_Rule `" + a.rule_id + "` " + a.rule_version + ", rule set " + a.rule_set_version + "._";
  return md;
}

Json render_cards(const std::vector<mapping::Advice>& advice, const CardContext& context,
                  const CardStyle& style) {
  Json cards = Json::array();
  std::set<std::pair<std::string, std::string>> seen;
  for (const mapping::Advice& a : advice) {
    if (!seen.emplace(a.rule_id, a.summary).second) continue;
    cards.push(card_json(a, context, style));
  }
  return cards;
}

}  // namespace ibd::hooks
