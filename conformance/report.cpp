#include "conformance/report.hpp"

#include <cstdio>
#include <map>

#include "fhir/json.hpp"

namespace ibd::conformance {
namespace {

using fhir::Json;

std::string requirement_list(const CheckDef& def, bool short_form) {
  std::string out;
  for (int id : def.requirements)
    out +=
        (out.empty() ? "" : " ") + (short_form ? "#" + std::to_string(id) : requirement_label(id));
  return out.empty() ? "-" : out;
}

std::string pad(std::string s, std::size_t width) {
  std::size_t chars = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++chars;
  if (chars < width) s.append(width - chars, ' ');
  return s;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

const char* paint(Outcome o, bool color) {
  if (!color) return "";
  switch (o) {
    case Outcome::kPass:
      return "\x1b[32m";
    case Outcome::kFail:
      return "\x1b[1;31m";
    case Outcome::kWarn:
      return "\x1b[33m";
    case Outcome::kSkip:
      return "\x1b[2m";
  }
  return "";
}

}  // namespace

RunSummary summarise(const std::vector<CheckResult>& results, const std::string& base,
                     double seconds) {
  RunSummary s{base, seconds};
  for (const CheckResult& r : results) {
    switch (r.outcome) {
      case Outcome::kPass:
        ++s.pass;
        break;
      case Outcome::kFail:
        ++s.fail;
        break;
      case Outcome::kWarn:
        ++s.warn;
        break;
      case Outcome::kSkip:
        ++s.skip;
        break;
    }
  }
  return s;
}

int exit_code(const RunSummary& summary) { return summary.fail > 0 ? 1 : 0; }

std::string render_table(const std::vector<CheckResult>& results, const RunSummary& summary,
                         bool color) {
  std::string out;
  const char* reset = color ? "\x1b[0m" : "";
  out +=
      pad("RESULT", 7) + pad("CHECK", 32) + pad("LEVEL", 7) + pad("REQUIREMENTS", 24) + "DETAIL\n";
  for (const CheckResult& r : results) {
    const std::string reqs = requirement_list(*r.def, true);
    std::string detail = r.messages.empty() ? "" : r.messages.front();
    if (r.outcome == Outcome::kPass && r.passes > 1)
      detail = std::to_string(r.passes) + " evaluations" + (detail.empty() ? "" : "; " + detail);
    if (detail.size() > 110) detail = detail.substr(0, 107) + "...";
    out += std::string(paint(r.outcome, color)) + pad(to_string(r.outcome), 7) + reset +
           pad(std::string(r.def->id), 32) + pad(to_string(r.def->level), 7) +
           pad(reqs.size() > 23 ? reqs.substr(0, 20) + "..." : reqs, 24) + detail + "\n";
    if (r.outcome == Outcome::kFail || r.outcome == Outcome::kWarn)
      for (std::size_t i = 1; i < r.messages.size(); ++i)
        out += std::string(70, ' ') + r.messages[i] + "\n";
  }
  char line[256];
  std::snprintf(line, sizeof line, "\n%d pass, %d FAIL, %d warn, %d skip in %.1f s against %s\n",
                summary.pass, summary.fail, summary.warn, summary.skip, summary.seconds,
                summary.base.c_str());
  out += line;
  return out;
}

std::string render_coverage(const Coverage& coverage, bool list_covered) {
  std::string out;
  const int total = static_cast<int>(coverage.rows.size());
  std::map<std::string, int> by_level;
  for (const CoverageRow& r : coverage.rows) ++by_level[r.requirement->conformance];
  std::string levels;
  for (const auto& [level, n] : by_level)
    levels += (levels.empty() ? "" : ", ") + std::to_string(n) + " " + level;
  out += "Coverage: " + std::to_string(coverage.covered()) + " of " + std::to_string(total) +
         " CDS Hooks 2.0 Service requirements (" + levels + ") have a check; " +
         std::to_string(coverage.proven()) + " were proven by a passing check in this run.\n";
  for (const CoverageRow& r : coverage.rows) {
    const std::string head =
        "  " + pad(requirement_label(r.requirement->id), 19) + pad(r.requirement->conformance, 11);
    if (r.checks.empty()) {
      out += head + "no check: " + r.reason + "\n";
    } else if (list_covered) {
      std::string checks;
      for (const std::string& c : r.checks) checks += (checks.empty() ? "" : ", ") + c;
      out += head + (r.proven ? "proven  " : "        ") + checks + "\n";
    }
  }
  return out;
}

std::string render_junit(const std::vector<CheckResult>& results, const RunSummary& summary) {
  std::map<std::string, std::vector<const CheckResult*>> families;
  std::vector<std::string> order;
  for (const CheckResult& r : results) {
    const std::string f(r.def->family);
    if (!families.contains(f)) order.push_back(f);
    families[f].push_back(&r);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  char head[512];
  std::snprintf(head, sizeof head,
                "<testsuites name=\"cds-conformance\" tests=\"%zu\" failures=\"%d\" "
                "skipped=\"%d\" time=\"%.3f\">\n",
                results.size(), summary.fail, summary.skip, summary.seconds);
  out += head;
  for (const std::string& family : order) {
    const auto& list = families[family];
    int failures = 0, skipped = 0;
    for (const CheckResult* r : list) {
      failures += r->outcome == Outcome::kFail;
      skipped += r->outcome == Outcome::kSkip;
    }
    out += "  <testsuite name=\"cds-conformance." + family + "\" tests=\"" +
           std::to_string(list.size()) + "\" failures=\"" + std::to_string(failures) +
           "\" skipped=\"" + std::to_string(skipped) + "\">\n";
    for (const CheckResult* r : list) {
      out += "    <testcase classname=\"cds-conformance." + family + "\" name=\"" +
             xml_escape(std::string(r->def->id) + " [" + requirement_list(*r->def, false) + "]") +
             "\">\n";
      out += "      <properties>\n";
      out += "        <property name=\"level\" value=\"" + std::string(to_string(r->def->level)) +
             "\"/>\n";
      for (int id : r->def->requirements)
        out += "        <property name=\"requirement\" value=\"" + requirement_label(id) + "\"/>\n";
      out += "        <property name=\"description\" value=\"" +
             xml_escape(std::string(r->def->title)) + "\"/>\n";
      out += "      </properties>\n";
      const std::string first = r->messages.empty() ? "" : r->messages.front();
      if (r->outcome == Outcome::kFail) {
        out += "      <failure message=\"" + xml_escape(first) + "\" type=\"" +
               to_string(r->def->level) + "\">" + xml_escape(joined(r->messages)) + "</failure>\n";
      } else if (r->outcome == Outcome::kSkip) {
        out += "      <skipped message=\"" + xml_escape(first) + "\"/>\n";
      } else if (r->outcome == Outcome::kWarn) {
        out += "      <system-out>WARNING (" + std::string(to_string(r->def->level)) +
               "): " + xml_escape(joined(r->messages)) + "</system-out>\n";
      }
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

std::string render_json(const std::vector<CheckResult>& results, const RunSummary& summary,
                        const std::optional<Coverage>& coverage) {
  Json checks = Json::array();
  for (const CheckResult& r : results) {
    Json reqs = Json::array();
    for (int id : r.def->requirements) reqs.push(Json::string(requirement_label(id)));
    Json messages = Json::array();
    for (const std::string& m : r.messages) messages.push(Json::string(m));
    checks.push(Json::object()
                    .set("id", Json::string(std::string(r.def->id)))
                    .set("family", Json::string(std::string(r.def->family)))
                    .set("level", Json::string(to_string(r.def->level)))
                    .set("outcome", Json::string(to_string(r.outcome)))
                    .set("requirements", std::move(reqs))
                    .set("passes", Json::number(std::int64_t{r.passes}))
                    .set("failures", Json::number(std::int64_t{r.failures}))
                    .set("messages", std::move(messages)));
  }
  Json out = Json::object()
                 .set("base", Json::string(summary.base))
                 .set("seconds", Json::number(summary.seconds))
                 .set("pass", Json::number(std::int64_t{summary.pass}))
                 .set("fail", Json::number(std::int64_t{summary.fail}))
                 .set("warn", Json::number(std::int64_t{summary.warn}))
                 .set("skip", Json::number(std::int64_t{summary.skip}))
                 .set("checks", std::move(checks));
  if (coverage) {
    Json uncovered = Json::array();
    for (const CoverageRow& r : coverage->rows)
      if (r.checks.empty())
        uncovered.push(Json::object()
                           .set("requirement", Json::string(requirement_label(r.requirement->id)))
                           .set("reason", Json::string(r.reason)));
    out.set("coverage",
            Json::object()
                .set("inScope",
                     Json::number(std::int64_t{static_cast<std::int64_t>(coverage->rows.size())}))
                .set("covered", Json::number(std::int64_t{coverage->covered()}))
                .set("proven", Json::number(std::int64_t{coverage->proven()}))
                .set("uncovered", std::move(uncovered)));
  }
  return out.dump(true) + "\n";
}

std::string render_check_list() {
  std::string out;
  for (const CheckDef& c : all_checks())
    out += pad(std::string(c.id), 32) + pad(to_string(c.level), 7) +
           pad(requirement_list(c, true), 30) + std::string(c.title) + "\n";
  return out;
}

}  // namespace ibd::conformance
