// Every check the harness can run, each keyed to the CDS Hooks 2.0 requirements it proves
// (IDs of ../shared/conformance/cds-hooks-requirements.csv, Req Set cds-hooks_2.0), and the
// Recorder that collects evaluations while the families run.
//
// A check is evaluated many times (once per card, per service, per token…). Its outcome:
// fail when any evaluation failed, else pass when any passed, else skip (with the reason
// given, or "not reached"). A failed check of level SHOULD or MAY is reported as warn: it
// does not fail the run unless --strict.
// Thread safety: the registry is immutable; a Recorder is used from one thread.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ibd::conformance {

enum class Level { kShall, kShould, kMay };
enum class Outcome { kPass, kFail, kWarn, kSkip };

const char* to_string(Level level);
const char* to_string(Outcome outcome);

struct CheckDef {
  std::string_view id;      // "cards.summary"
  std::string_view family;  // "cards"
  Level level;
  std::vector<int> requirements;  // cds-hooks_2.0 IDs
  std::string_view title;         // what a pass proves
};

std::span<const CheckDef> all_checks();
const CheckDef* find_check(std::string_view id);
std::string requirement_label(int id);  // "cds-hooks_2.0#83"

struct CheckResult {
  const CheckDef* def = nullptr;
  Outcome outcome = Outcome::kSkip;
  int passes = 0;
  int failures = 0;
  std::vector<std::string> messages;  // failures first (at most a few), else skip reason/notes
};

class Recorder {
 public:
  void pass(std::string_view id, const std::string& note = {});
  void fail(std::string_view id, const std::string& why);
  // Records a reason for a check that could not be evaluated; ignored once it has an outcome.
  void skip(std::string_view id, const std::string& why);
  // fail() when !ok, else pass().
  void expect(std::string_view id, bool ok, const std::string& why_not);
  // The check is not run (--skip): later evaluations are ignored, it reports skip with `why`.
  void disable(std::string_view id, const std::string& why);

  // One result per registered check, in registry order.
  std::vector<CheckResult> results(bool strict) const;
  bool evaluated(std::string_view id) const;

 private:
  struct Tally {
    bool disabled = false;
    int passes = 0, failures = 0;
    std::vector<std::string> failures_seen, notes, skips;
  };
  Tally& tally(std::string_view id);
  std::map<std::string, Tally, std::less<>> tallies_;
};

}  // namespace ibd::conformance
