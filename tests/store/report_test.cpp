// The safety report: per rule, cards shown and what was done with them.
#include <gtest/gtest.h>

#include "server/report.hpp"
#include "tests/store/test_db.hpp"

namespace ibd::testing {
namespace {

store::AuditAppend issue(std::int64_t time_ms, const std::string& card, const std::string& rule) {
  store::AuditAppend a;
  a.time_ms = time_ms;
  a.service_id = "ibd-patient-view";
  a.body = R"({"timeMs":)" + std::to_string(time_ms) + R"(,"service":"ibd-patient-view"})";
  a.cards.push_back({card, "ibd-patient-view", rule, "1.0.0", {card + "-s"}, "", "", time_ms, 0});
  return a;
}

store::FeedbackRow outcome(const std::string& card, const std::string& what, std::int64_t when,
                           const std::string& reason = "", const std::string& comment = "") {
  store::FeedbackRow f;
  f.report_key = card + what + std::to_string(when) + reason;
  f.card_uuid = card;
  f.service_id = "ibd-patient-view";
  f.outcome = what;
  if (what == "accepted") f.accepted_suggestions = {card + "-s"};
  f.reason_code = reason;
  f.reason_display = reason.empty() ? "" : "Display of " + reason;
  f.user_comment = comment;
  f.outcome_timestamp = "2026-11-22T10:00:00Z";
  f.outcome_ms = when;
  return f;
}

TEST(ReportTest, CountsCardsByRuleAndTheirLatestOutcome) {
  TestDatabase db;
  ASSERT_TRUE(db.ok()) << db.why_not();
  auto store = db.open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->append_audit({issue(100, "a1", "tdm-reactive"), issue(110, "a2", "tdm-reactive"),
                                   issue(120, "a3", "tdm-reactive"), issue(130, "b1", "cmv-exclusion"),
                                   issue(500, "late", "cmv-exclusion")}));
  ASSERT_TRUE(store->save_feedback({
      outcome("a1", "accepted", 1000),
      outcome("a2", "accepted", 1000),
      outcome("a2", "overridden", 2000, "measured", "done elsewhere"),  // the latest counts
      outcome("b1", "overridden", 1000),
      outcome("late", "overridden", 1000, "x"),
  }));
  auto report = server::build_report(*store, 0, 200);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->rules.size(), 2u);
  const auto& cmv = report->rules[0];
  EXPECT_EQ(cmv.rule_id, "cmv-exclusion");
  EXPECT_EQ(cmv.shown, 1);
  EXPECT_EQ(cmv.overridden, 1);
  EXPECT_EQ(cmv.override_reasons.at("(none given)"), 1);
  const auto& tdm = report->rules[1];
  EXPECT_EQ(tdm.shown, 3);
  EXPECT_EQ(tdm.accepted, 1);
  EXPECT_EQ(tdm.overridden, 1);
  EXPECT_EQ(tdm.no_feedback, 1);
  EXPECT_EQ(tdm.override_reasons.at("measured (Display of measured)"), 1);
  EXPECT_EQ(tdm.comments, 1);
  EXPECT_EQ(report->total.shown, 4);
  const std::string text = server::report_text(*report);
  EXPECT_NE(text.find("tdm-reactive"), std::string::npos) << text;
  EXPECT_NE(text.find("overridden: measured (Display of measured): 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("done elsewhere"), std::string::npos) << "comments are never printed";
  const auto json = server::report_json(*report);
  EXPECT_EQ(json.items_at("rules").size(), 2u);
  EXPECT_EQ(*json.find("total")->find("shown")->as_int(), 4);
  auto empty = server::build_report(*store, 1000, 2000);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->rules.empty());
  EXPECT_NE(server::report_text(*empty).find("no cards were issued"), std::string::npos);
}

}  // namespace
}  // namespace ibd::testing
