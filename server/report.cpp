#include "server/report.hpp"

#include <cstdio>
#include <unordered_map>

#include "server/audit.hpp"

namespace ibd::server {
namespace {

using fhir::Json;

std::string reason_label(const store::FeedbackRow& f) {
  if (f.reason_code.empty()) return "(none given)";
  return f.reason_display.empty() ? f.reason_code : f.reason_code + " (" + f.reason_display + ")";
}

void add(RuleOutcomes& into, const RuleOutcomes& from) {
  into.shown += from.shown;
  into.accepted += from.accepted;
  into.overridden += from.overridden;
  into.no_feedback += from.no_feedback;
  into.comments += from.comments;
  for (const auto& [reason, n] : from.override_reasons) into.override_reasons[reason] += n;
}

std::string percent(std::int64_t part, std::int64_t whole) {
  if (whole == 0) return "-";
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", 100.0 * static_cast<double>(part) /
                                                 static_cast<double>(whole));
  return text;
}

Json outcomes_json(const RuleOutcomes& r) {
  Json reasons = Json::array();
  for (const auto& [reason, n] : r.override_reasons)
    reasons.push(Json::object().set("reason", Json::string(reason)).set("count", Json::number(n)));
  return Json::object()
      .set("rule", Json::string(r.rule_id))
      .set("shown", Json::number(r.shown))
      .set("accepted", Json::number(r.accepted))
      .set("overridden", Json::number(r.overridden))
      .set("noFeedback", Json::number(r.no_feedback))
      .set("overrideReasons", std::move(reasons))
      .set("overridesWithComment", Json::number(r.comments));
}

}  // namespace

store::Result<SafetyReport> build_report(store::Store& store, std::int64_t from_ms,
                                         std::int64_t to_ms) {
  auto cards = store.cards_issued(from_ms, to_ms);
  if (!cards) return std::unexpected(cards.error());
  auto feedback = store.feedback_for_cards_issued(from_ms, to_ms);
  if (!feedback) return std::unexpected(feedback.error());
  // The latest feedback per card; rows come in insertion order, so a tie keeps the later one.
  std::unordered_map<std::string, const store::FeedbackRow*> latest;
  for (const auto& f : *feedback) {
    const store::FeedbackRow*& slot = latest[f.feedback.card_uuid];
    if (slot == nullptr || f.feedback.outcome_ms >= slot->outcome_ms) slot = &f.feedback;
  }
  std::map<std::string, RuleOutcomes> rules;
  for (const store::IssuedCard& card : *cards) {
    RuleOutcomes& r = rules[card.rule_id];
    r.rule_id = card.rule_id;
    ++r.shown;
    const auto it = latest.find(card.uuid);
    if (it == latest.end()) {
      ++r.no_feedback;
    } else if (it->second->outcome == "accepted") {
      ++r.accepted;
    } else {
      ++r.overridden;
      ++r.override_reasons[reason_label(*it->second)];
      if (!it->second->user_comment.empty()) ++r.comments;
    }
  }
  SafetyReport report;
  report.from_ms = from_ms;
  report.to_ms = to_ms;
  report.total.rule_id = "all rules";
  for (auto& [id, r] : rules) {
    add(report.total, r);
    report.rules.push_back(std::move(r));
  }
  return report;
}

std::string report_text(const SafetyReport& report) {
  std::string out = "Safety report: cards issued from " + format_time_ms(report.from_ms) +
                    " to " + format_time_ms(report.to_ms) +
                    "\n(outcome = the latest feedback on each card; acceptance rate = accepted "
                    "of the cards with feedback)\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-26s %7s %9s %11s %12s %11s\n", "rule", "shown", "accepted",
                "overridden", "no feedback", "acceptance");
  out += line;
  auto row = [&](const RuleOutcomes& r) {
    std::snprintf(line, sizeof line, "%-26s %7lld %9lld %11lld %12lld %11s\n", r.rule_id.c_str(),
                  static_cast<long long>(r.shown), static_cast<long long>(r.accepted),
                  static_cast<long long>(r.overridden), static_cast<long long>(r.no_feedback),
                  percent(r.accepted, r.accepted + r.overridden).c_str());
    out += line;
    for (const auto& [reason, n] : r.override_reasons)
      out += "    overridden: " + reason + ": " + std::to_string(n) + "\n";
    if (r.comments > 0)
      out += "    overrides with a comment: " + std::to_string(r.comments) + "\n";
  };
  for (const RuleOutcomes& r : report.rules) row(r);
  if (report.rules.empty()) out += "(no cards were issued in this period)\n";
  out += "\n";
  row(report.total);
  return out;
}

Json report_json(const SafetyReport& report) {
  Json rules = Json::array();
  for (const RuleOutcomes& r : report.rules) rules.push(outcomes_json(r));
  return Json::object()
      .set("from", Json::string(format_time_ms(report.from_ms)))
      .set("to", Json::string(format_time_ms(report.to_ms)))
      .set("rules", std::move(rules))
      .set("total", outcomes_json(report.total));
}

}  // namespace ibd::server
