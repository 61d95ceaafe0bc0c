// What a run produces: a table for a person (terminal), JUnit XML and JSON for CI and tests,
// the coverage report, and the exit code (0 no failed SHALL check, 1 some failed).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conformance/checks.hpp"
#include "conformance/coverage.hpp"

namespace ibd::conformance {

struct RunSummary {
  std::string base;
  double seconds = 0;
  int pass = 0, fail = 0, warn = 0, skip = 0;
};

RunSummary summarise(const std::vector<CheckResult>& results, const std::string& base,
                     double seconds);
int exit_code(const RunSummary& summary);

std::string render_table(const std::vector<CheckResult>& results, const RunSummary& summary,
                         bool color);
std::string render_coverage(const Coverage& coverage, bool list_covered);
std::string render_junit(const std::vector<CheckResult>& results, const RunSummary& summary);
std::string render_json(const std::vector<CheckResult>& results, const RunSummary& summary,
                        const std::optional<Coverage>& coverage);
std::string render_check_list();

}  // namespace ibd::conformance
