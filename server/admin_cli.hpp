// The administration commands of ibd-cds, on the database a configuration names:
//   ibd-cds audit verify [--config FILE]
//       recomputes the audit hash chain; exit 0 when intact, 1 with the first broken record.
//   ibd-cds audit export [--config FILE] [--format ndjson|fhir] [--from DATE] [--to DATE]
//                        [--out FILE]
//       NDJSON of the records ({"seq","prevHash","hash","record"}) or of FHIR R4 AuditEvents.
//   ibd-cds report [--config FILE] [--from DATE] [--to DATE] [--json]
//       per rule: cards shown, accepted, overridden (with reasons), no feedback.
// DATE is a FHIR date or dateTime; a date `--to` includes that whole day. Exit 2 for a bad
// option, configuration or an unreachable database.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace ibd::server {

class AdminCommands {
 public:
  // Registers the subcommands on `app`.
  explicit AdminCommands(CLI::App& app);
  // The exit code of the command chosen, or -1 when none of these was chosen.
  int run() const;

 private:
  CLI::App* verify_ = nullptr;
  CLI::App* export_ = nullptr;
  CLI::App* report_ = nullptr;
  std::string config_ = "config/ibd-cds.yaml";
  std::string format_ = "ndjson";
  std::string from_, to_, out_;
  bool json_ = false;
};

}  // namespace ibd::server
