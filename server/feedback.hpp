// CDS Hooks 2.0 feedback: POST /cds-services/{id}/feedback with {"feedback": [...]}.
//
// Each entry names a card this server issued for that service (and, when the call is
// authenticated, to that client and tenant), an outcome (accepted | overridden),
// acceptedSuggestions (required with accepted; each id a suggestion of that card),
// overrideReason {reason: Coding, userComment} (only with overridden) and outcomeTimestamp
// (RFC 3339 date-time with a zone).
//
// Answers: 200 {"stored": n, "duplicates": m} once every entry is committed to disk; 400 for
// a malformed body, an unknown card (the endpoint exists, so the fault is in the body, not
// the URL: 404 would read as "no feedback endpoint"; and a card of another client gets the
// same answer, so card ids do not leak) or a suggestion not on the card; 404 unknown
// service; 415 not JSON; 503 when the database cannot take it (nothing of the request is
// stored). All entries of a request are stored in one transaction or none is. The same
// report sent again is recognised by its content (report_key) and stored once.
// The log line holds counts only: no comment, no card or patient identifier.
// Thread safety: FeedbackService is safe to call from many threads.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fhir/error.hpp"
#include "fhir/json.hpp"
#include "hooks/engine.hpp"
#include "server/audit_writer.hpp"
#include "server/http_types.hpp"
#include "server/router.hpp"
#include "server/store/store.hpp"

namespace ibd::server {

struct FeedbackReport {
  std::string card;
  std::string outcome;  // "accepted" | "overridden"
  std::vector<std::string> accepted_suggestions;
  std::string reason_system, reason_code, reason_display;
  std::string user_comment;
  std::string outcome_timestamp;  // as sent
  std::int64_t outcome_ms = 0;
};

// Shape checks only (no database): the error names the element, e.g.
// "feedback[1].outcome: must be accepted or overridden".
std::expected<std::vector<FeedbackReport>, Error> parse_feedback(const fhir::Json& body);

// The identity of a report: a hash of everything it says and who said it about which service.
std::string report_key(const FeedbackReport& report, const std::string& service_id,
                       const Caller& caller);

class FeedbackService {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix ms
  // `writer` may be null (no audit writer: cards are looked up in the store only).
  FeedbackService(std::shared_ptr<const hooks::Engine> engine,
                  std::shared_ptr<store::Store> store, std::shared_ptr<AuditWriter> writer,
                  Clock clock = {});

  // The whole exchange; blocks on the database.
  Response handle(const std::string& service_id, const Request& request) const;

 private:
  std::expected<store::IssuedCard, Error> card_for(const std::string& uuid,
                                                   const std::string& service_id,
                                                   const Caller& caller,
                                                   const std::string& element) const;

  std::shared_ptr<const hooks::Engine> engine_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<AuditWriter> writer_;
  Clock clock_;
};

// Registers POST /cds-services/{id}/feedback; the database work runs on a pool of `threads`
// threads so no I/O thread waits for an fsync.
void add_feedback_routes(Router& router, std::shared_ptr<const FeedbackService> service,
                         unsigned threads = 4);

}  // namespace ibd::server
