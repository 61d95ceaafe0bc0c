// The shape of a CDS Hooks 2.0 feedback request, and the identity of a report.
#include <gtest/gtest.h>

#include "fhir/json.hpp"
#include "server/feedback.hpp"

namespace ibd::testing {
namespace {

fhir::Json json(const std::string& text) {
  auto j = fhir::parse_json(text);
  EXPECT_TRUE(j) << text;
  return j ? *j : fhir::Json();
}

TEST(FeedbackParseTest, ReadsAcceptedAndOverriddenReports) {
  auto parsed = server::parse_feedback(json(R"({"feedback":[
    {"card":"c1","outcome":"accepted","acceptedSuggestions":[{"id":"s1"},{"id":"s2"}],
     "outcomeTimestamp":"2026-11-22T10:15:00Z"},
    {"card":"c2","outcome":"overridden","outcomeTimestamp":"2026-11-22T11:15:00+01:00",
     "overrideReason":{"reason":{"system":"urn:r","code":"measured","display":"Measured"},
                       "userComment":"done last week"},
     "extension":{"org.example":1}},
    {"card":"c3","outcome":"overridden","outcomeTimestamp":"2026-11-22T10:15:00.250Z"}]})"));
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 3u);
  const auto& a = parsed->at(0);
  EXPECT_EQ(a.card, "c1");
  EXPECT_EQ(a.outcome, "accepted");
  EXPECT_EQ(a.accepted_suggestions, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(a.outcome_ms, 1795342500000);
  const auto& o = parsed->at(1);
  EXPECT_EQ(o.reason_system, "urn:r");
  EXPECT_EQ(o.reason_code, "measured");
  EXPECT_EQ(o.reason_display, "Measured");
  EXPECT_EQ(o.user_comment, "done last week");
  EXPECT_EQ(o.outcome_ms, a.outcome_ms) << "the offset is honoured";
  EXPECT_TRUE(parsed->at(2).reason_code.empty());
}

TEST(FeedbackParseTest, NamesTheElementThatIsWrong) {
  const std::string ts = R"("outcomeTimestamp":"2026-11-22T10:15:00Z")";
  struct Case {
    std::string body;
    std::string element;
  };
  for (const Case& c : std::vector<Case>{
           {R"([])", "feedback: required"},
           {R"({"feedback":{}})", "feedback: required"},
           {R"({"feedback":[]})", "feedback: must hold at least one"},
           {R"({"feedback":[7]})", "feedback[0]: expected a Feedback object"},
           {R"({"feedback":[{"outcome":"accepted","acceptedSuggestions":[],)" + ts + "}]}",
            "feedback[0].card: required"},
           {R"({"feedback":[{"card":"c","outcome":"ignored",)" + ts + "}]}",
            "feedback[0].outcome: required: accepted or overridden"},
           {R"({"feedback":[{"card":"c","outcome":"accepted",)" + ts + "}]}",
            "feedback[0].acceptedSuggestions: required when the outcome is accepted"},
           {R"({"feedback":[{"card":"c","outcome":"accepted","acceptedSuggestions":[{"uuid":"s"}],)" +
                ts + "}]}",
            "feedback[0].acceptedSuggestions[0].id: required"},
           {R"({"feedback":[{"card":"c","outcome":"overridden","acceptedSuggestions":[],)" + ts +
                "}]}",
            "feedback[0].acceptedSuggestions: only with the outcome accepted"},
           {R"({"feedback":[{"card":"c","outcome":"accepted","acceptedSuggestions":[],"overrideReason":{},)" +
                ts + "}]}",
            "feedback[0].overrideReason: only with the outcome overridden"},
           {R"({"feedback":[{"card":"c","outcome":"overridden","overrideReason":{"reason":{"system":"x"}},)" +
                ts + "}]}",
            "feedback[0].overrideReason.reason: expected a Coding with a code"},
           {R"({"feedback":[{"card":"c","outcome":"overridden","overrideReason":{"userComment":5},)" +
                ts + "}]}",
            "feedback[0].overrideReason.userComment: expected a string"},
           {R"({"feedback":[{"card":"c","outcome":"overridden"}]})",
            "feedback[0].outcomeTimestamp: required"},
           {R"({"feedback":[{"card":"c","outcome":"overridden","outcomeTimestamp":"2026-11-22"}]})",
            "feedback[0].outcomeTimestamp: required"},
           {R"({"feedback":[{"card":"c","outcome":"overridden",)" + ts +
                R"(},{"card":"d","outcome":"x",)" + ts + "}]}",
            "feedback[1].outcome"},
       }) {
    auto parsed = server::parse_feedback(json(c.body));
    ASSERT_FALSE(parsed) << c.body;
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidRequest);
    EXPECT_TRUE(parsed.error().message.starts_with(c.element))
        << c.body << "\n  -> " << parsed.error().message;
  }
}

TEST(FeedbackParseTest, AReportIsKnownByWhatItSaysAndWhoSaidIt) {
  server::FeedbackReport r;
  r.card = "c1";
  r.outcome = "accepted";
  r.accepted_suggestions = {"s1", "s2"};
  r.outcome_ms = 1;
  const server::Caller anonymous;
  const std::string key = server::report_key(r, "ibd-patient-view", anonymous);
  EXPECT_EQ(key.size(), 64u);
  server::FeedbackReport reordered = r;
  reordered.accepted_suggestions = {"s2", "s1"};
  EXPECT_EQ(server::report_key(reordered, "ibd-patient-view", anonymous), key);
  server::FeedbackReport later = r;
  later.outcome_ms = 2;
  EXPECT_NE(server::report_key(later, "ibd-patient-view", anonymous), key);
  server::Caller ehr;
  ehr.iss = "https://ehr.example.org";
  ehr.authenticated = true;
  EXPECT_NE(server::report_key(r, "ibd-patient-view", ehr), key);
  EXPECT_NE(server::report_key(r, "ibd-order-sign", anonymous), key);
}

}  // namespace
}  // namespace ibd::testing
