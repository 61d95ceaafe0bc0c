// Requirement coverage: which CDS Hooks 2.0 Service requirements (SHALL, SHOULD and their NOT
// forms, Actors naming Service) a check proves, and for the rest why not.
// Reads ../shared/conformance/cds-hooks-requirements.csv (Req Set, ID, URL, Requirement,
// Conformance, Actors, Conditionality; RFC 4180 quoting).
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "conformance/checks.hpp"

namespace ibd::conformance {

struct Requirement {
  std::string set;
  int id = 0;
  std::string url, text, conformance, actors;
};

std::expected<std::vector<Requirement>, std::string> load_requirements(const std::string& path);

struct CoverageRow {
  const Requirement* requirement = nullptr;
  std::vector<std::string> checks;  // ids of the checks naming it
  bool proven = false;              // one of them passed in this run
  std::string reason;               // why no check, when `checks` is empty
};

struct Coverage {
  std::vector<CoverageRow> rows;  // the in-scope requirements, by id
  int covered() const;
  int proven() const;
};

// `results` may be empty (no run: nothing proven).
Coverage compute_coverage(const std::vector<Requirement>& requirements,
                          const std::vector<CheckResult>& results);

}  // namespace ibd::conformance
