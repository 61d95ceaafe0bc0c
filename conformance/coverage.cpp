#include "conformance/coverage.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace ibd::conformance {
namespace {

// Why the in-scope requirements without a check have none.
const std::map<int, std::string>& reasons() {
  static const std::map<int, std::string> kReasons{
      {78, "client behaviour: removing the cards of an earlier call when the hook fires again"},
      {110,
       "whether a card offers a drill-down is the service's choice; the harness checks only "
       "that source.url is not one (cards.source-drilldown, #109)"},
      {125, "client behaviour: the client applies a suggestion's actions together"},
      {200, "advice to implementers (refer to RFC 7518): no behaviour to observe"},
      {206, "advice to keep re-evaluating algorithms over time: no behaviour to observe"},
      {211,
       "needs a service that deliberately advertises the same id twice to replace cards; "
       "discovery with unique ids (#10) cannot show it from outside"},
      {212, "client behaviour: replacing the cards of a previous invocation"},
      {213,
       "a negotiation between the organisations running service and client: not "
       "observable"},
  };
  return kReasons;
}

bool in_scope(const Requirement& r) {
  const bool level = r.conformance == "SHALL" || r.conformance == "SHOULD" ||
                     r.conformance == "SHALL NOT" || r.conformance == "SHOULD NOT";
  return r.set == "cds-hooks_2.0" && level && r.actors.find("Service") != std::string::npos;
}

// RFC 4180 rows: quoted fields may hold commas, doubled quotes and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::expected<std::vector<Requirement>, std::string> load_requirements(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  const auto rows = parse_csv(text.str());
  if (rows.empty() || rows.front().size() < 7 || rows.front()[0] != "Req Set")
    return std::unexpected(path + ": not the requirements table (Req Set,ID,URL,...)");
  std::vector<Requirement> out;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.size() < 7) continue;
    Requirement q{r[0], 0, r[2], r[3], r[4], r[5]};
    const auto [p, ec] = std::from_chars(r[1].data(), r[1].data() + r[1].size(), q.id);
    if (ec != std::errc())
      return std::unexpected(path + ": row " + std::to_string(i + 1) + ": ID is not a number");
    out.push_back(std::move(q));
  }
  return out;
}

int Coverage::covered() const {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(),
                                        [](const CoverageRow& r) { return !r.checks.empty(); }));
}

int Coverage::proven() const {
  return static_cast<int>(
      std::count_if(rows.begin(), rows.end(), [](const CoverageRow& r) { return r.proven; }));
}

Coverage compute_coverage(const std::vector<Requirement>& requirements,
                          const std::vector<CheckResult>& results) {
  Coverage c;
  for (const Requirement& r : requirements) {
    if (!in_scope(r)) continue;
    CoverageRow row;
    row.requirement = &r;
    for (const CheckDef& def : all_checks())
      if (std::find(def.requirements.begin(), def.requirements.end(), r.id) !=
          def.requirements.end())
        row.checks.emplace_back(def.id);
    for (const CheckResult& res : results)
      if (res.outcome == Outcome::kPass &&
          std::find(row.checks.begin(), row.checks.end(), res.def->id) != row.checks.end())
        row.proven = true;
    if (row.checks.empty()) {
      const auto it = reasons().find(r.id);
      row.reason = it != reasons().end() ? it->second : "no check yet";
    }
    c.rows.push_back(std::move(row));
  }
  return c;
}

}  // namespace ibd::conformance
