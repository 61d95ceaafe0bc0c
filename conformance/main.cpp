// cds-conformance: a black-box CDS Hooks 2.0 test harness. It calls a service from outside
// (discovery, hook calls built from fixture patients, cards, prefetch against its own
// fixture FHIR server, 412, authentication with its own key and JWKS, CORS, feedback), keys
// every check to the requirement it proves, and reports a table, JUnit XML, JSON, the
// requirement coverage and an exit code: 0 all SHALL checks passed, 1 one failed, 2 the
// harness could not run.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "conformance/coverage.hpp"
#include "conformance/report.hpp"
#include "conformance/session.hpp"

namespace {

using namespace ibd::conformance;

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cds-conformance: tests a CDS Hooks 2.0 service from outside"};
  Options o;
  o.fixtures_dir = IBD_CONFORMANCE_FIXTURES;
  std::string requirements = IBD_CONFORMANCE_REQUIREMENTS;
  std::string junit, json;
  bool list_checks = false, coverage_only = false, no_feedback = false, insecure = false;
  bool no_color = false;
  int timeout_ms = 10000;
  app.add_option("--base", o.base, "the service's base URL (discovery is BASE/cds-services)");
  app.add_option("--audience", o.audience,
                 "the URL the service knows itself by, for token aud (default: --base)");
  app.add_flag("--auth", o.auth,
               "send signed JWTs and test authentication; the service must trust --issuer with "
               "the JWKS printed at start (see --jwks-port)");
  app.add_option("--issuer", o.issuer, "iss of the harness's tokens")->capture_default_str();
  app.add_option("--alg", o.alg, "signing algorithm: ES384 (recommended) or ES256")
      ->capture_default_str();
  app.add_option("--tenant", o.tenant, "tenant claim to send");
  app.add_option("--jwks-port", o.jwks_port,
                 "loopback port for the JWKS server (http://127.0.0.1:PORT/jwks.json); 0 = any");
  app.add_option("--fhir-port", o.fhir_port,
                 "loopback port for the fixture FHIR server (http://127.0.0.1:PORT/fhir); 0 = any");
  app.add_option("--origin", o.origin, "an origin the service allows, for the CORS checks");
  app.add_flag("--no-feedback", no_feedback, "the service has no feedback endpoint (MAY)");
  app.add_option("--skip", o.skip, "skip a family (e.g. cors) or a check (e.g. request.latency)");
  app.add_flag("--strict", o.strict, "SHOULD and MAY failures fail the run too");
  app.add_option("--junit", junit, "write JUnit XML here");
  app.add_option("--json", json, "write the results as JSON here");
  app.add_option("--fixtures", o.fixtures_dir, "folder of fixture patients")->capture_default_str();
  app.add_option("--requirements", requirements, "the CDS Hooks requirements CSV")
      ->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "per-request timeout")->capture_default_str();
  app.add_flag("--insecure", insecure, "do not verify the service's TLS certificate");
  app.add_option("--ca-file", o.ca_file, "extra trusted CA certificates (PEM)");
  app.add_flag("--list-checks", list_checks, "print every check and its requirements, and exit");
  app.add_flag("--coverage", coverage_only, "print the requirement coverage, and exit");
  app.add_flag("--no-color", no_color, "plain terminal output");
  app.add_flag("-v,--verbose", o.verbose, "log every request to stderr");
  CLI11_PARSE(app, argc, argv);
  o.feedback = !no_feedback;
  o.verify_tls = !insecure;
  o.timeout = std::chrono::milliseconds(timeout_ms);

  if (list_checks) {
    std::cout << render_check_list();
    return 0;
  }
  auto reqs = load_requirements(requirements);
  if (coverage_only) {
    if (!reqs) {
      std::fprintf(stderr, "cds-conformance: %s\n", reqs.error().c_str());
      return 2;
    }
    std::cout << render_coverage(compute_coverage(*reqs, {}), true);
    return 0;
  }
  if (o.base.empty()) {
    std::fprintf(stderr, "cds-conformance: --base is required\n%s", app.help().c_str());
    return 2;
  }
  if (!parse_url(o.base)) {
    std::fprintf(stderr, "cds-conformance: --base %s is not an absolute http(s) URL\n",
                 o.base.c_str());
    return 2;
  }
  if (o.alg != "ES256" && o.alg != "ES384") {
    std::fprintf(stderr, "cds-conformance: --alg must be ES256 or ES384\n");
    return 2;
  }

  const auto started = std::chrono::steady_clock::now();
  Session session(o);
  if (auto failed = session.set_up()) {
    std::fprintf(stderr, "cds-conformance: cannot set up: %s\n", failed->c_str());
    return 2;
  }
  std::printf("cds-conformance: testing %s\n", session.options().base.c_str());
  std::printf("  fixture FHIR server: %s (%zu fixture patients)\n", session.fhir().base().c_str(),
              session.fixtures().size());
  if (ClientIdentity* id = session.identity())
    std::printf("  client identity: iss %s, JWKS %s (kid %s, %s)\n", o.issuer.c_str(),
                id->jwks_url().c_str(), id->trusted.kid().c_str(), o.alg.c_str());
  std::fflush(stdout);

  session.note_disabled();
  const std::vector<std::pair<const char*, void (*)(Session&)>> families{
      {"transport", run_transport}, {"discovery", run_discovery},       {"request", run_hook_calls},
      {"prefetch", run_prefetch},   {"precondition", run_precondition}, {"auth", run_auth},
      {"cors", run_cors},           {"feedback", run_feedback}};
  bool discovered = true;
  for (const auto& [family, run] : families) {
    // Discovery always runs: every other family works from the services it lists.
    if (std::string(family) != "discovery" && !session.enabled(family)) continue;
    if (!discovered) break;
    run(session);
    if (std::string(family) == "discovery") discovered = !session.services.empty();
  }
  if (!discovered)
    for (const CheckDef& c : all_checks())
      session.rec().skip(c.id, "not reached: discovery listed no usable service");

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto results = session.rec().results(o.strict);
  const RunSummary summary = summarise(results, session.options().base, seconds);
  std::cout << "\n" << render_table(results, summary, !no_color && isatty(STDOUT_FILENO) != 0);
  std::optional<Coverage> coverage;
  if (reqs) {
    coverage = compute_coverage(*reqs, results);
    std::cout << "\n" << render_coverage(*coverage, false);
  } else {
    std::cout << "\nCoverage: not computed (" << reqs.error() << "; see --requirements)\n";
  }
  if (!junit.empty() && !write_file(junit, render_junit(results, summary))) {
    std::fprintf(stderr, "cds-conformance: cannot write %s\n", junit.c_str());
    return 2;
  }
  if (!json.empty() && !write_file(json, render_json(results, summary, coverage))) {
    std::fprintf(stderr, "cds-conformance: cannot write %s\n", json.c_str());
    return 2;
  }
  return exit_code(summary);
}
