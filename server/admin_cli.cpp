#include "server/admin_cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "fhir/datetime.hpp"
#include "server/audit_export.hpp"
#include "server/config.hpp"
#include "server/persistence.hpp"
#include "server/report.hpp"

namespace ibd::server {
namespace {

// Opens the configured store for reading; a missing SQLite file is an error, not a new
// database.
std::unique_ptr<store::Store> open_for_admin(const std::string& config_path) {
  auto config = config::load_config(config_path);
  if (!config) {
    std::fprintf(stderr, "ibd-cds: configuration error: %s\n", config.error().c_str());
    return nullptr;
  }
  const std::string sqlite = store::sqlite_path_of(config->storage.url);
  std::error_code ec;
  if (!sqlite.empty() && !std::filesystem::exists(sqlite, ec)) {
    std::fprintf(stderr, "ibd-cds: no database at %s (the server creates it on first start)\n",
                 sqlite.c_str());
    return nullptr;
  }
  auto options = store_options(*config);
  if (!options) {
    std::fprintf(stderr, "ibd-cds: %s\n", options.error().c_str());
    return nullptr;
  }
  auto opened = store::open_store(*options);
  if (!opened) {
    std::fprintf(stderr, "ibd-cds: storage: %s\n", opened.error().message.c_str());
    return nullptr;
  }
  return std::move(*opened);
}

// A FHIR date or dateTime as Unix ms; `end` makes a date mean the end of that day (exclusive).
std::optional<std::int64_t> parse_when(const std::string& text, bool end, const char* option) {
  auto parsed = fhir::parse_date_time(text);
  if (!parsed) {
    std::fprintf(stderr, "ibd-cds: %s %s is not a FHIR date or dateTime\n", option, text.c_str());
    return std::nullopt;
  }
  const auto t = end && parsed->precision != fhir::DatePrecision::kSecond
                     ? parsed->latest() + std::chrono::seconds(1)
                     : parsed->start;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

int verify(const std::string& config_path) {
  auto store = open_for_admin(config_path);
  if (!store) return 2;
  auto check = verify_chain(*store);
  if (!check) {
    std::fprintf(stderr, "ibd-cds: audit verify: %s\n", check.error().message.c_str());
    return 2;
  }
  if (!check->ok) {
    std::printf("audit chain BROKEN at record %lld: %s (%lld records before it are intact)\n",
                static_cast<long long>(check->broken_at), check->problem.c_str(),
                static_cast<long long>(check->records));
    return 1;
  }
  std::printf("audit chain OK: %lld records, head %s\n", static_cast<long long>(check->records),
              check->head_hash.c_str());
  return 0;
}

}  // namespace

AdminCommands::AdminCommands(CLI::App& app) {
  auto* audit = app.add_subcommand("audit", "Check or export the audit trail");
  audit->require_subcommand(1);
  verify_ = audit->add_subcommand("verify", "Recompute the audit hash chain (exit 1 if broken)");
  verify_->add_option("--config", config_, "Configuration file")->capture_default_str();
  export_ = audit->add_subcommand("export", "Write the audit trail as NDJSON or FHIR AuditEvents");
  export_->add_option("--config", config_, "Configuration file")->capture_default_str();
  export_->add_option("--format", format_, "ndjson (the records) or fhir (AuditEvent resources)")
      ->check(CLI::IsMember({"ndjson", "fhir"}))
      ->capture_default_str();
  export_->add_option("--from", from_, "First date or dateTime (inclusive)");
  export_->add_option("--to", to_, "Last date (inclusive) or dateTime (exclusive)");
  export_->add_option("--out", out_, "Output file (default: standard output)");
  report_ = app.add_subcommand(
      "report", "Per rule: cards shown, accepted and overridden (with reasons) over a period");
  report_->add_option("--config", config_, "Configuration file")->capture_default_str();
  report_->add_option("--from", from_, "First date or dateTime (default: 30 days before --to)");
  report_->add_option("--to", to_, "Last date (inclusive) or dateTime (default: now)");
  report_->add_flag("--json", json_, "Print JSON instead of a table");
}

int AdminCommands::run() const {
  if (verify_->parsed()) return verify(config_);
  if (!export_->parsed() && !report_->parsed()) return -1;
  std::optional<std::int64_t> from, to;
  if (!from_.empty() && !(from = parse_when(from_, false, "--from"))) return 2;
  if (!to_.empty() && !(to = parse_when(to_, true, "--to"))) return 2;
  if (export_->parsed()) {
    auto store = open_for_admin(config_);
    if (!store) return 2;
    ExportRange range;
    if (from) range.from_ms = *from;
    if (to) range.to_ms = *to;
    std::ofstream file;
    if (!out_.empty()) {
      file.open(out_, std::ios::binary | std::ios::trunc);
      if (!file) {
        std::fprintf(stderr, "ibd-cds: cannot write %s\n", out_.c_str());
        return 2;
      }
    }
    std::ostream& out = out_.empty() ? std::cout : file;
    auto n = export_audit(*store,
                          format_ == "fhir" ? ExportFormat::kFhirAuditEvent : ExportFormat::kNdjson,
                          range, out);
    out.flush();
    if (!n) {
      std::fprintf(stderr, "ibd-cds: audit export: %s\n", n.error().message.c_str());
      return 2;
    }
    std::fprintf(stderr, "ibd-cds: exported %lld audit record(s)\n", static_cast<long long>(*n));
    return out ? 0 : 2;
  }
  const std::int64_t to_ms =
      to ? *to : unix_ms(std::chrono::system_clock::now()) + 1;
  const std::int64_t from_ms = from ? *from : to_ms - std::int64_t{30} * 24 * 3600 * 1000;
  auto store = open_for_admin(config_);
  if (!store) return 2;
  auto report = build_report(*store, from_ms, to_ms);
  if (!report) {
    std::fprintf(stderr, "ibd-cds: report: %s\n", report.error().message.c_str());
    return 2;
  }
  if (json_) {
    std::printf("%s\n", report_json(*report).dump(true).c_str());
  } else {
    std::fputs(report_text(*report).c_str(), stdout);
  }
  return 0;
}

}  // namespace ibd::server
