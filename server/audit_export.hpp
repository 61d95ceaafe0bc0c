// Reading the audit trail back: `ibd-cds audit verify` (recompute the hash chain) and
// `ibd-cds audit export` (NDJSON of the records, or of FHIR R4 AuditEvent resources).
// Read-only; safe to run while servers append (the chain is checked up to the head read
// first). Thread-compatible.
#pragma once

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>

#include "fhir/json.hpp"
#include "server/audit.hpp"
#include "server/store/store.hpp"

namespace ibd::server {

struct ChainCheck {
  bool ok = false;
  std::int64_t records = 0;  // records checked
  std::int64_t head_seq = 0;
  std::string head_hash;
  std::int64_t broken_at = 0;  // first bad seq, 0 when ok
  std::string problem;         // what is wrong, "" when ok
};

store::Result<ChainCheck> verify_chain(store::Store& store);

enum class ExportFormat { kNdjson, kFhirAuditEvent };

struct ExportRange {
  std::int64_t from_ms = std::numeric_limits<std::int64_t>::min();  // inclusive
  std::int64_t to_ms = std::numeric_limits<std::int64_t>::max();    // exclusive
};

// One line per record: {"seq","prevHash","hash","record"} (NDJSON), or an AuditEvent.
// Returns how many lines were written.
store::Result<std::int64_t> export_audit(store::Store& store, ExportFormat format,
                                         const ExportRange& range, std::ostream& out);

fhir::Json audit_event(const store::AuditRow& row, const HookAuditRecord& record);

}  // namespace ibd::server
