#include "server/feedback.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "fhir/datetime.hpp"
#include "server/app.hpp"
#include "server/audit.hpp"
#include "server/store/digest.hpp"

namespace ibd::server {
namespace {

using fhir::Json;

constexpr std::size_t kMaxEntries = 1000;
// How long feedback waits for the audit record of a card that is still being written.
constexpr std::chrono::milliseconds kCardWait{3000};

Error invalid(const std::string& element, const std::string& problem) {
  return Error::invalid(element + ": " + problem);
}

Error unavailable(const std::string& message, const std::string& internal) {
  return {ErrorKind::kUnavailable, message, internal, {}};
}

Error from_store(const store::StoreError& e) {
  if (e.kind == store::StoreError::Kind::kUnavailable)
    return unavailable(
        "the feedback could not be stored: the database is unavailable; nothing was saved, "
        "send it again later",
        e.message);
  return Error::internal_fault(e.message);
}

std::expected<FeedbackReport, Error> parse_entry(const Json& item, const std::string& at) {
  if (!item.is_object()) return std::unexpected(invalid(at, "expected a Feedback object"));
  FeedbackReport r;
  const std::string* card = item.string_at("card");
  if (card == nullptr || card->empty())
    return std::unexpected(invalid(at + ".card", "required: the uuid of a card this service sent"));
  r.card = *card;
  const std::string* outcome = item.string_at("outcome");
  if (outcome == nullptr || (*outcome != "accepted" && *outcome != "overridden"))
    return std::unexpected(invalid(at + ".outcome", "required: accepted or overridden"));
  r.outcome = *outcome;
  const bool accepted = r.outcome == "accepted";
  if (const Json* list = item.find("acceptedSuggestions")) {
    if (!accepted)
      return std::unexpected(
          invalid(at + ".acceptedSuggestions", "only with the outcome accepted"));
    if (!list->is_array()) return std::unexpected(invalid(at + ".acceptedSuggestions",
                                                          "expected an array of {\"id\": ...}"));
    std::size_t j = 0;
    for (const Json& s : list->items()) {
      const std::string where = at + ".acceptedSuggestions[" + std::to_string(j++) + "]";
      const std::string* id = s.string_at("id");
      if (id == nullptr || id->empty())
        return std::unexpected(invalid(where + ".id", "required: the uuid of a suggestion"));
      r.accepted_suggestions.push_back(*id);
    }
  } else if (accepted) {
    return std::unexpected(
        invalid(at + ".acceptedSuggestions", "required when the outcome is accepted"));
  }
  if (const Json* reason = item.find("overrideReason")) {
    if (accepted)
      return std::unexpected(invalid(at + ".overrideReason", "only with the outcome overridden"));
    if (!reason->is_object())
      return std::unexpected(invalid(at + ".overrideReason", "expected an object"));
    if (const Json* coding = reason->find("reason")) {
      const std::string* code = coding->string_at("code");
      if (!coding->is_object() || code == nullptr || code->empty())
        return std::unexpected(
            invalid(at + ".overrideReason.reason", "expected a Coding with a code"));
      r.reason_code = *code;
      for (auto [key, field] : {std::pair{"system", &r.reason_system},
                                std::pair{"display", &r.reason_display}}) {
        if (const Json* v = coding->find(key)) {
          if (!v->is_string())
            return std::unexpected(
                invalid(at + ".overrideReason.reason." + key, "expected a string"));
          *field = *v->as_string();
        }
      }
    }
    if (const Json* comment = reason->find("userComment")) {
      if (!comment->is_string())
        return std::unexpected(invalid(at + ".overrideReason.userComment", "expected a string"));
      r.user_comment = *comment->as_string();
    }
  }
  const std::string* when = item.string_at("outcomeTimestamp");
  const auto parsed = when ? fhir::parse_date_time(*when) : std::nullopt;
  if (!parsed || parsed->precision != fhir::DatePrecision::kSecond)
    return std::unexpected(invalid(at + ".outcomeTimestamp",
                                   "required: an RFC 3339 date-time in UTC, e.g. "
                                   "2026-11-22T10:15:00Z"));
  r.outcome_timestamp = *when;
  r.outcome_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     parsed->start.time_since_epoch())
                     .count();
  return r;
}

}  // namespace

std::expected<std::vector<FeedbackReport>, Error> parse_feedback(const Json& body) {
  const Json* list = body.is_object() ? body.find("feedback") : nullptr;
  if (list == nullptr || !list->is_array())
    return std::unexpected(invalid("feedback", "required: an array of Feedback objects"));
  if (list->items().empty())
    return std::unexpected(invalid("feedback", "must hold at least one Feedback object"));
  if (list->items().size() > kMaxEntries)
    return std::unexpected(invalid(
        "feedback", "at most " + std::to_string(kMaxEntries) + " entries in one request"));
  std::vector<FeedbackReport> out;
  std::size_t i = 0;
  for (const Json& item : list->items()) {
    auto r = parse_entry(item, "feedback[" + std::to_string(i++) + "]");
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

std::string report_key(const FeedbackReport& r, const std::string& service_id,
                       const Caller& caller) {
  std::vector<std::string> accepted = r.accepted_suggestions;
  std::sort(accepted.begin(), accepted.end());
  Json ids = Json::array();
  for (const auto& id : accepted) ids.push(Json::string(id));
  const Json identity = Json::array({
      Json::string(service_id),
      Json::string(caller.iss),
      Json::string(caller.tenant),
      Json::string(r.card),
      Json::string(r.outcome),
      std::move(ids),
      Json::string(r.reason_system),
      Json::string(r.reason_code),
      Json::string(r.reason_display),
      Json::string(r.user_comment),
      Json::number(r.outcome_ms),
  });
  return store::sha256_hex(identity.dump());
}

FeedbackService::FeedbackService(std::shared_ptr<const hooks::Engine> engine,
                                 std::shared_ptr<store::Store> store,
                                 std::shared_ptr<AuditWriter> writer, Clock clock)
    : engine_(std::move(engine)),
      store_(std::move(store)),
      writer_(std::move(writer)),
      clock_(clock ? std::move(clock)
                   : Clock([] { return unix_ms(std::chrono::system_clock::now()); })) {}

std::expected<store::IssuedCard, Error> FeedbackService::card_for(
    const std::string& uuid, const std::string& service_id, const Caller& caller,
    const std::string& element) const {
  auto found = store_->find_card(uuid);
  if (!found) return std::unexpected(from_store(found.error()));
  if (!*found && writer_) {
    // Its audit record may still be on its way to the database: wait for it, then look again.
    const auto wait = writer_->wait_for_card(uuid, kCardWait);
    if (wait == AuditWriter::CardWait::kTimedOut)
      return std::unexpected(unavailable(
          "the record of that card is not stored yet (the database is failing); nothing was "
          "saved, send the feedback again later",
          "audit record still queued"));
    found = store_->find_card(uuid);
    if (!found) return std::unexpected(from_store(found.error()));
  }
  const std::string caller_iss = caller.authenticated ? caller.iss : "";
  const std::string caller_tenant = caller.authenticated ? caller.tenant : "";
  if (!*found || (*found)->service_id != service_id || (*found)->client_iss != caller_iss ||
      (*found)->tenant != caller_tenant)
    return std::unexpected(invalid(element, "not a card this service sent to this client"));
  return std::move(**found);
}

Response FeedbackService::handle(const std::string& service_id, const Request& request) const {
  const auto started = std::chrono::steady_clock::now();
  std::size_t reports = 0;
  auto answer = [&](Response response, const store::FeedbackSaved* saved,
                    const std::string& internal) {
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    if (saved != nullptr) {
      spdlog::info("feedback service={} status=200 reports={} stored={} duplicates={} ms={:.2f}",
                   service_id, reports, saved->stored, saved->duplicates, ms);
    } else {
      spdlog::info("feedback service={} status={} reports={}{}{} ms={:.2f}", service_id,
                   response.status, reports, internal.empty() ? "" : " internal=", internal, ms);
    }
    return response;
  };
  auto refuse = [&](const Error& e) {
    Response r = Response::error(e);
    if (e.kind == ErrorKind::kUnavailable) r.headers.push_back({"Retry-After", "5"});
    return answer(std::move(r), nullptr, e.kind == ErrorKind::kInvalidRequest ? "" : e.internal);
  };
  if (engine_->catalog().find(service_id) == nullptr)
    return refuse(Error::not_found("no CDS service with that id"));
  const std::string* content_type = request.header("Content-Type");
  if (content_type == nullptr || !is_json_content_type(*content_type))
    return refuse({ErrorKind::kUnsupportedMediaType, "send the feedback as application/json",
                   {}, {}});
  auto body = fhir::parse_json(request.body, engine_->config().json);
  if (!body) return refuse(Error::invalid("malformed JSON: " + body.error().to_string()));
  auto parsed = parse_feedback(*body);
  if (!parsed) return refuse(parsed.error());
  reports = parsed->size();
  const std::int64_t now = clock_();
  std::vector<store::FeedbackRow> rows;
  for (std::size_t i = 0; i < parsed->size(); ++i) {
    const FeedbackReport& r = (*parsed)[i];
    const std::string at = "feedback[" + std::to_string(i) + "]";
    auto card = card_for(r.card, service_id, request.caller, at + ".card");
    if (!card) return refuse(card.error());
    for (std::size_t j = 0; j < r.accepted_suggestions.size(); ++j) {
      const auto& ids = card->suggestion_uuids;
      if (std::find(ids.begin(), ids.end(), r.accepted_suggestions[j]) == ids.end())
        return refuse(invalid(at + ".acceptedSuggestions[" + std::to_string(j) + "].id",
                              "not a suggestion of that card"));
    }
    store::FeedbackRow row;
    row.report_key = report_key(r, service_id, request.caller);
    row.card_uuid = r.card;
    row.service_id = service_id;
    row.outcome = r.outcome;
    row.accepted_suggestions = r.accepted_suggestions;
    row.reason_system = r.reason_system;
    row.reason_code = r.reason_code;
    row.reason_display = r.reason_display;
    row.user_comment = r.user_comment;
    row.outcome_timestamp = r.outcome_timestamp;
    row.outcome_ms = r.outcome_ms;
    row.client_iss = request.caller.authenticated ? request.caller.iss : "";
    row.tenant = request.caller.authenticated ? request.caller.tenant : "";
    row.received_ms = now;
    rows.push_back(std::move(row));
  }
  auto saved = store_->save_feedback(rows);
  if (!saved) return refuse(from_store(saved.error()));
  Json out = Json::object();
  out.set("stored", Json::number(static_cast<std::int64_t>(saved->stored)));
  out.set("duplicates", Json::number(static_cast<std::int64_t>(saved->duplicates)));
  return answer(Response::json(200, out), &*saved, "");
}

void add_feedback_routes(Router& router, std::shared_ptr<const FeedbackService> service,
                         unsigned threads) {
  auto pool = std::make_shared<boost::asio::thread_pool>(threads == 0 ? 1 : threads);
  router.add_async(
      "POST", "/cds-services/{id}/feedback",
      [service, pool](const Request& request,
                      PathParams params) -> boost::asio::awaitable<Response> {
        const std::string id = params.at("id");
        co_return co_await boost::asio::co_spawn(
            pool->get_executor(),
            [&]() -> boost::asio::awaitable<Response> { co_return service->handle(id, request); },
            boost::asio::use_awaitable);
      });
}

}  // namespace ibd::server
