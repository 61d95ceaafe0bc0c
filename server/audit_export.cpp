#include "server/audit_export.hpp"

#include "server/store/digest.hpp"

namespace ibd::server {
namespace {

using fhir::Json;

constexpr std::size_t kPage = 1000;

Json coding(const char* system, const std::string& code, const std::string& display = "") {
  Json c = Json::object().set("system", Json::string(system)).set("code", Json::string(code));
  if (!display.empty()) c.set("display", Json::string(display));
  return c;
}

Json detail(const char* type, const std::string& value) {
  return Json::object().set("type", Json::string(type)).set("valueString", Json::string(value));
}

}  // namespace

store::Result<ChainCheck> verify_chain(store::Store& store) {
  // The head first: records appended while we read are beyond it and not checked.
  auto head = store.chain_head();
  if (!head) return std::unexpected(head.error());
  ChainCheck check;
  check.head_seq = head->seq;
  check.head_hash = head->hash;
  std::string prev(store::kGenesisHash);
  std::int64_t expected = 1;
  auto fail = [&](std::int64_t seq, std::string problem) {
    check.ok = false;
    check.broken_at = seq;
    check.problem = std::move(problem);
    return check;
  };
  while (expected <= head->seq) {
    auto page = store.audit_page(expected - 1, kPage);
    if (!page) return std::unexpected(page.error());
    if (page->empty()) break;
    for (const store::AuditRow& row : *page) {
      if (row.seq > head->seq) break;
      const std::string n = std::to_string(expected);
      if (row.seq != expected)
        return fail(expected, "record " + n + " is missing (the next one is " +
                                  std::to_string(row.seq) + ")");
      if (row.prev_hash != prev)
        return fail(row.seq, "record " + n + " does not name the hash of the record before it");
      if (store::chain_hash(prev, row.seq, row.body) != row.hash)
        return fail(row.seq, "record " + n + " was changed after it was written (hash mismatch)");
      auto record = parse_audit_body(row.body);
      if (!record) return fail(row.seq, "record " + n + " is not a valid record: " + record.error());
      if (record->time_ms != row.time_ms || record->service_id != row.service_id)
        return fail(row.seq, "record " + n + ": its time or service columns differ from its body");
      prev = row.hash;
      ++expected;
      ++check.records;
    }
  }
  if (expected - 1 != head->seq)
    return fail(expected, "the chain head says " + std::to_string(head->seq) +
                              " records but only " + std::to_string(expected - 1) + " are there");
  if (prev != head->hash)
    return fail(head->seq, "the chain head's hash is not the hash of the last record");
  check.ok = true;
  return check;
}

Json audit_event(const store::AuditRow& row, const HookAuditRecord& r) {
  Json event = Json::object();
  event.set("resourceType", Json::string("AuditEvent"));
  event.set("id", Json::string("ibd-cds-audit-" + std::to_string(row.seq)));
  event.set("type", coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest",
                           "RESTful Operation"));
  event.set("subtype",
            Json::array({coding("urn:ibd-cds:cds-hooks", r.hook.empty() ? "unknown" : r.hook)}));
  event.set("action", Json::string("E"));
  event.set("recorded", Json::string(format_time_ms(r.time_ms)));
  // R4 outcome: 0 success, 4 minor failure (the caller's fault), 8 serious failure (ours).
  event.set("outcome", Json::string(r.status < 400 ? "0" : r.status < 500 ? "4" : "8"));
  if (!r.error.empty())
    event.set("outcomeDesc", Json::string("HTTP " + std::to_string(r.status) + " " + r.error));
  Json who = Json::object();
  if (!r.client_iss.empty()) {
    who.set("identifier", Json::object()
                              .set("system", Json::string("urn:ietf:rfc:3986"))
                              .set("value", Json::string(r.client_iss)));
  } else {
    who.set("display", Json::string("unauthenticated CDS client"));
  }
  Json agent = Json::object();
  agent.set("type",
            Json::object().set("coding", Json::array({coding(
                                             "http://terminology.hl7.org/CodeSystem/v3-RoleClass",
                                             "PROV", "healthcare provider")})));
  agent.set("who", std::move(who));
  agent.set("requestor", Json::boolean(true));
  if (!r.tenant.empty())
    agent.set("altId", Json::string(r.tenant));
  event.set("agent", Json::array({std::move(agent)}));
  Json source = Json::object();
  source.set("site", Json::string(r.service_id));
  source.set("observer", Json::object().set("display", Json::string("ibd-cds")));
  source.set("type", Json::array({coding("http://terminology.hl7.org/CodeSystem/security-source-type",
                                         "4", "Application Server")}));
  event.set("source", std::move(source));
  Json entities = Json::array();
  if (!r.patient.empty()) {
    Json patient = Json::object();
    patient.set("what", Json::object().set(
                            "identifier", Json::object()
                                              .set("system", Json::string("urn:ibd-cds:patient-hmac:" +
                                                                          r.key_id))
                                              .set("value", Json::string(r.patient))));
    patient.set("type", coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1",
                               "Person"));
    patient.set("role",
                coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"));
    entities.push(std::move(patient));
  }
  Json call = Json::object();
  call.set("what", Json::object().set("identifier",
                                      Json::object()
                                          .set("system", Json::string("urn:ibd-cds:hookInstance"))
                                          .set("value", Json::string(r.hook_instance))));
  call.set("type", coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2",
                          "System Object"));
  call.set("description", Json::string("CDS Hooks call to " + r.service_id));
  Json details = Json::array();
  details.push(detail("ruleSetVersion", r.rule_set_version));
  details.push(detail("inputFingerprint", r.input));
  Json cards = Json::array();
  for (const AuditedCard& c : r.cards)
    cards.push(Json::object()
                   .set("uuid", Json::string(c.uuid))
                   .set("rule", Json::string(c.rule_id))
                   .set("ruleVersion", Json::string(c.rule_version)));
  details.push(detail("cards", cards.dump()));
  details.push(detail("latencyMs", Json::number(r.latency_ms).dump()));
  details.push(detail("chain", std::to_string(row.seq) + " " + row.prev_hash + " " + row.hash));
  call.set("detail", std::move(details));
  entities.push(std::move(call));
  event.set("entity", std::move(entities));
  return event;
}

store::Result<std::int64_t> export_audit(store::Store& store, ExportFormat format,
                                         const ExportRange& range, std::ostream& out) {
  std::int64_t after = 0, written = 0;
  while (true) {
    auto page = store.audit_page(after, kPage);
    if (!page) return std::unexpected(page.error());
    if (page->empty()) break;
    for (const store::AuditRow& row : *page) {
      after = row.seq;
      if (row.time_ms < range.from_ms || row.time_ms >= range.to_ms) continue;
      auto record = parse_audit_body(row.body);
      if (!record)
        return std::unexpected(store::StoreError{
            store::StoreError::Kind::kInvalid,
            "audit record " + std::to_string(row.seq) + " is not valid: " + record.error()});
      if (format == ExportFormat::kFhirAuditEvent) {
        out << audit_event(row, *record).dump() << '\n';
      } else {
        auto body = fhir::parse_json(row.body);
        out << Json::object()
                   .set("seq", Json::number(row.seq))
                   .set("prevHash", Json::string(row.prev_hash))
                   .set("hash", Json::string(row.hash))
                   .set("record", std::move(*body))
                   .dump()
            << '\n';
      }
      ++written;
    }
  }
  return written;
}

}  // namespace ibd::server
