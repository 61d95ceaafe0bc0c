// ibd-cds: the CDS Hooks server (serve) and the offline evaluator (evaluate).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "fhir/datetime.hpp"
#include "fhir/json.hpp"
#include "hooks/engine.hpp"
#include "mapping/rule_doc.hpp"
#include "server/admin_cli.hpp"
#include "server/app.hpp"
#include "server/auth/authenticator.hpp"
#include "server/config.hpp"
#include "server/http_server.hpp"
#include "server/persistence.hpp"

namespace {

using namespace ibd;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<config::AppConfig> load_or_report(const std::string& path) {
  auto cfg = config::load_config(path);
  if (!cfg) {
    std::fprintf(stderr, "ibd-cds: configuration error: %s\n", cfg.error().c_str());
    return std::nullopt;
  }
  return std::move(*cfg);
}

int serve(const std::string& config_path, const std::string& listen_override,
          const std::string& profile_override) {
  auto cfg = load_or_report(config_path);
  if (!cfg) return 2;
  // A closed stderr (the log's pipe) must not end the server: a write to it fails with EPIPE
  // instead of raising SIGPIPE, and the server keeps serving. SIGHUP (no reload yet),
  // SIGUSR1 and SIGUSR2 are ignored until the listener takes them over (it logs them).
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGUSR1, SIG_IGN);
  std::signal(SIGUSR2, SIG_IGN);
  spdlog::set_default_logger(spdlog::stderr_color_mt("ibd-cds"));
  spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  if (!listen_override.empty()) {
    auto listen = config::parse_listen(listen_override);
    if (!listen) {
      std::fprintf(stderr, "ibd-cds: --listen %s: %s\n", listen_override.c_str(),
                   listen.error().c_str());
      return 2;
    }
    cfg->server.listen = *listen;
  }
  if (!profile_override.empty()) {
    if (profile_override != "production" && profile_override != "development") {
      std::fprintf(stderr, "ibd-cds: --profile must be production or development\n");
      return 2;
    }
    cfg->development = profile_override == "development";
  }
  if (cfg->development) {
    if (!config::is_loopback_host(cfg->server.listen.host)) {
      std::fprintf(stderr,
                   "ibd-cds: refusing to listen on %s: the development profile has no "
                   "authentication, so only loopback addresses (127.0.0.1, ::1, localhost) are "
                   "allowed\n",
                   cfg->server.listen.host.c_str());
      return 2;
    }
    spdlog::warn("*** DEVELOPMENT PROFILE: CDS clients are NOT authenticated. Never use this with "
                 "real patients or a real EHR. ***");
  } else {
    if (cfg->auth.external_url.empty() || cfg->auth.clients.empty()) {
      std::fprintf(stderr,
                   "ibd-cds: the production profile authenticates every CDS client, so "
                   "auth.external_url and at least one auth.clients entry are required in %s "
                   "(or run with --profile development on loopback)\n",
                   config_path.c_str());
      return 2;
    }
    // A client's own FHIR servers are ones the FHIR client may call.
    for (const auto& c : cfg->auth.clients)
      for (const auto& origin : c.fhir_servers)
        cfg->fhir_client.options.policy.allowed.push_back(origin);
  }
  auto engine = std::make_shared<const hooks::Engine>(cfg->engine);
  server::Router router;
  router.set_cors({cfg->cors.allowed_origins, cfg->cors.any_origin, cfg->cors.max_age});
  std::shared_ptr<fhir::client::FhirClient> client;
  if (cfg->fhir_client.enabled) {
    auto created = fhir::client::FhirClient::create(cfg->fhir_client.options);
    if (!created) {
      std::fprintf(stderr, "ibd-cds: fhir_client: %s\n", created.error().c_str());
      return 2;
    }
    client = std::move(*created);
  }
  server::Guard guard;
  std::function<boost::asio::awaitable<void>()> key_refresh;
  if (!cfg->development) {
    fhir::client::ClientOptions jwks_options = cfg->fhir_client.options;
    jwks_options.policy = server::auth::jwks_policy(cfg->auth);
    auto jwks_client = fhir::client::FhirClient::create(jwks_options);
    if (!jwks_client) {
      std::fprintf(stderr, "ibd-cds: auth: %s\n", jwks_client.error().c_str());
      return 2;
    }
    auto authenticator = server::auth::Authenticator::create(cfg->auth, std::move(*jwks_client));
    if (!authenticator) {
      std::fprintf(stderr, "ibd-cds: auth: %s\n", authenticator.error().c_str());
      return 2;
    }
    // JWKS URLs are fetched at start-up and refreshed in the background before they expire.
    key_refresh = [a = *authenticator] { return a->refresh_loop(); };
    guard = [a = std::move(*authenticator)](const server::Request& request) {
      return a->authenticate(request);
    };
  }
  // Feedback, issued cards and the audit trail (storage:, audit:). A file size limit must
  // come back as a write error (503), not kill the server.
  std::signal(SIGXFSZ, SIG_IGN);
  auto persistence = server::open_persistence(*cfg, engine);
  if (!persistence) {
    std::fprintf(stderr, "ibd-cds: %s\n", persistence.error().c_str());
    return 2;
  }
  server::add_routes(router, engine, server::system_now, client, std::move(guard),
                     persistence->auditor);
  server::add_feedback_routes(router, persistence->feedback);

  server::HttpServerOptions options;
  options.host = cfg->server.listen.host;
  options.port = cfg->server.listen.port;
  options.threads = cfg->server.threads;
  options.limits = {cfg->server.body_limit_bytes, cfg->server.header_limit_bytes,
                    cfg->server.read_timeout,     cfg->server.write_timeout,
                    cfg->server.idle_timeout,     cfg->server.shutdown_grace,
                    cfg->server.handshake_timeout};
  options.max_connections = cfg->server.max_connections;
  options.background = std::move(key_refresh);
  if (!cfg->server.tls_cert_file.empty()) {
    auto tls = server::make_server_tls(cfg->server.tls_cert_file, cfg->server.tls_key_file,
                                       cfg->server.tls_client_ca_file);
    if (!tls) {
      std::fprintf(stderr, "ibd-cds: server.tls: %s\n", tls.error().c_str());
      return 2;
    }
    options.tls = std::move(*tls);
  }
  server::HttpServer http(options, router);
  if (auto started = http.start(); !started) {
    std::fprintf(stderr, "ibd-cds: %s\n", started.error().c_str());
    return 1;
  }
  const bool v6 = options.host.find(':') != std::string::npos;
  std::printf("ibd-cds listening on %s://%s%s%s:%u (rule set %s, %zu service%s)\n",
              options.tls ? "https" : "http", v6 ? "[" : "",
              options.host.c_str(), v6 ? "]" : "", static_cast<unsigned>(http.bound_port()),
              cfg->engine->rules.version.c_str(), cfg->engine->catalog.services().size(),
              cfg->engine->catalog.services().size() == 1 ? "" : "s");
  std::fflush(stdout);
  http.run();
  spdlog::info("stopped");
  return 0;
}

void print_explain(const hooks::HookResult& r) {
  const auto& m = r.model;
  std::printf("# Model\n");
  std::printf("birth date: %s, sex: %s\n", m.birth_date ? m.birth_date->text.c_str() : "unknown",
              m.sex.empty() ? "unknown" : m.sex.c_str());
  for (const auto& d : m.diagnoses)
    std::printf("diagnosis: %s (%s) onset %s [%s]\n", d.display.c_str(), d.label.c_str(),
                d.onset ? d.onset->text.c_str() : "unknown", d.source.reference().c_str());
  for (const auto& t : m.therapies)
    std::printf("therapy: %s (%s) %s start %s%s%s [%s]\n", t.drug.c_str(), t.drug_class.c_str(),
                t.status.c_str(), t.start ? t.start->text.c_str() : "unknown",
                t.proposed ? (t.selected ? " proposed, selected" : " proposed") : "",
                t.intravenous ? " IV" : "", t.source.reference().c_str());
  for (const auto& x : m.measurements)
    std::printf("result: %s %s = %s%s %s -> %s %s [%s]\n",
                fhir::format_date(x.effective.start).c_str(), x.concept_id.c_str(),
                x.comparator.c_str(), x.value_text.c_str(), x.unit_text.c_str(),
                x.value ? mapping::format_number(*x.value).c_str() : "-", x.unit.c_str(),
                x.source.reference().c_str());
  for (const auto& c : m.conditions)
    std::printf("condition: %s (%s) onset %s [%s]\n", c.display.c_str(), c.label.c_str(),
                c.onset ? c.onset->text.c_str() : "unknown", c.source.reference().c_str());
  for (const auto& g : m.genes)
    std::printf("gene: %s %s%s%s%s%s [%s]\n", g.gene.empty() ? "(unresolved)" : g.gene.c_str(),
                g.genotype.c_str(), g.phenotype.empty() ? "" : " phenotype ", g.phenotype.c_str(),
                g.phenotype_from_lab ? " (lab)" : "", g.pathogenic ? " pathogenic" : "",
                g.source.reference().c_str());
  for (const auto& p : m.procedures)
    std::printf("procedure: %s (%s) %s%s [%s]\n", p.kind.c_str(), p.label.c_str(), p.status.c_str(),
                p.proposed ? (p.selected ? " proposed, selected" : " proposed") : "",
                p.source.reference().c_str());
  for (const auto& d : m.diagnostics)
    std::printf("ignored: %s (%s): %s\n", d.source.reference().c_str(), d.path.c_str(),
                d.reason.c_str());
  for (const auto& s : m.missing) std::printf("missing: %s: %s\n", s.key.c_str(), s.reason.c_str());
  std::printf("\n# Rules\n");
  for (const auto& t : r.evaluation.trace)
    std::printf("%-22s %s  %s\n", t.rule_id.c_str(),
                !t.ran    ? "skipped"
                : t.fired ? "FIRED  "
                          : "no     ",
                t.why.c_str());
  std::printf("\n# Response\n");
}

int evaluate(const std::string& config_path, const std::string& request_path,
             std::string service_id, std::string now_text, bool explain) {
  auto cfg = load_or_report(config_path);
  if (!cfg) return 2;
  auto text = read_file(request_path);
  if (!text) {
    std::fprintf(stderr, "ibd-cds: cannot read %s\n", request_path.c_str());
    return 2;
  }
  auto json = fhir::parse_json(*text, cfg->engine->json);
  if (!json) {
    std::fprintf(stderr, "ibd-cds: %s: %s\n", request_path.c_str(),
                 json.error().to_string().c_str());
    return 2;
  }
  // A scenario file ({"request": ..., "now": ...}) works as well as a bare hook request.
  std::string body = *text;
  if (const fhir::Json* request = json->find("request");
      request != nullptr && json->find("hook") == nullptr) {
    body = request->dump();
    if (now_text.empty() && json->string_at("now")) now_text = *json->string_at("now");
    if (service_id.empty() && json->string_at("service")) service_id = *json->string_at("service");
    fhir::Json inner = *request;  // copy first: `request` points into *json
    *json = std::move(inner);
  }
  if (service_id.empty()) {
    const std::string* hook = json->string_at("hook");
    for (const auto& s : cfg->engine->catalog.services())
      if (hook != nullptr && s.hook == *hook) service_id = s.id;
    if (service_id.empty()) {
      std::fprintf(stderr,
                   "ibd-cds: no service for this request's hook; name one with --service\n");
      return 2;
    }
  }
  fhir::TimePoint now = server::system_now();
  if (!now_text.empty()) {
    auto parsed = fhir::parse_date_time(now_text);
    if (!parsed) {
      std::fprintf(stderr, "ibd-cds: --now %s is not a FHIR date or dateTime\n", now_text.c_str());
      return 2;
    }
    now = parsed->start;
  }
  hooks::Engine engine(cfg->engine);
  auto result = engine.call(service_id, body, now);
  if (!result) {
    const Error& e = result.error();
    fhir::Json out = e.resource ? *e.resource : fhir::Json::object();
    if (!e.resource) {
      out.set("error", fhir::Json::string(error_code(e.kind)));
      out.set("message", fhir::Json::string(e.message));
    }
    std::fprintf(stderr, "ibd-cds: the service would answer HTTP %d\n", http_status(e.kind));
    std::printf("%s\n", out.dump(true).c_str());
    return 1;
  }
  if (explain) print_explain(*result);
  std::printf("%s\n", result->response.dump(true).c_str());
  return 0;
}

// Prints a scenario's hook request with its dates moved so that the scenario's "now" is
// `as_of` (default: today), ready to POST to a running server.
int replay_request(const std::string& scenario_path, const std::string& as_of) {
  auto text = read_file(scenario_path);
  if (!text) {
    std::fprintf(stderr, "ibd-cds: cannot read %s\n", scenario_path.c_str());
    return 2;
  }
  auto json = fhir::parse_json(*text);
  if (!json) {
    std::fprintf(stderr, "ibd-cds: %s: %s\n", scenario_path.c_str(),
                 json.error().to_string().c_str());
    return 2;
  }
  const fhir::Json* request = json->find("request");
  const std::string* then_text = json->string_at("now");
  auto then = then_text ? fhir::parse_date_time(*then_text) : std::nullopt;
  if (request == nullptr || !then) {
    std::fprintf(stderr, "ibd-cds: %s is not a scenario file (needs \"request\" and \"now\")\n",
                 scenario_path.c_str());
    return 2;
  }
  fhir::TimePoint target = server::system_now();
  if (!as_of.empty()) {
    auto parsed = fhir::parse_date_time(as_of);
    if (!parsed) {
      std::fprintf(stderr, "ibd-cds: --as-of %s is not a FHIR date or dateTime\n", as_of.c_str());
      return 2;
    }
    target = parsed->start;
  }
  fhir::Json out = *request;
  fhir::shift_dates(out, fhir::days_between(then->start, target));
  std::printf("%s\n", out.dump(true).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ibd-cds: CDS Hooks 2.0 decision support for refractory inflammatory bowel disease"};
  app.require_subcommand(1);

  std::string config_path = "config/ibd-cds.yaml";
  std::string listen;
  auto* serve_cmd = app.add_subcommand("serve", "Run the CDS Hooks HTTP server");
  serve_cmd->add_option("--config", config_path, "Configuration file")->capture_default_str();
  serve_cmd->add_option("--listen", listen,
                        "HOST:PORT to listen on (overrides the config; port 0 = any free port)");
  std::string profile;
  serve_cmd->add_option("--profile", profile,
                        "production (authenticate every client; the default) or development "
                        "(no authentication, loopback only); overrides the config");

  std::string request_path, service_id, now_text;
  bool explain = false;
  auto* eval_cmd =
      app.add_subcommand("evaluate", "Print the CDS response for a hook request file, offline");
  eval_cmd->add_option("--config", config_path, "Configuration file")->capture_default_str();
  eval_cmd->add_option("--request", request_path, "Hook request JSON (or a scenario file)")
      ->required();
  eval_cmd->add_option("--service", service_id,
                       "Service id (default: the service for the request's hook)");
  eval_cmd->add_option("--now", now_text, "Evaluate as of this FHIR dateTime (default: now)");
  eval_cmd->add_flag("--explain", explain, "Also print the model and why each rule fired or not");

  std::string scenario_path, as_of;
  auto* request_cmd = app.add_subcommand(
      "request",
      "Print a scenario's hook request with its dates moved to today, to POST to a running server");
  request_cmd->add_option("--scenario", scenario_path, "Scenario file (tests/scenarios/*.json)")
      ->required();
  request_cmd->add_option("--as-of", as_of,
                          "Move the dates so the scenario happens on this date (default: today)");

  auto* doc_cmd =
      app.add_subcommand("rules-doc", "Print the clinician-readable rules page (docs/rules.md)");
  doc_cmd->add_option("--config", config_path, "Configuration file")->capture_default_str();

  server::AdminCommands admin(app);  // audit verify | audit export | report

  CLI11_PARSE(app, argc, argv);
  if (const int code = admin.run(); code >= 0) return code;
  if (doc_cmd->parsed()) {
    auto cfg = load_or_report(config_path);
    if (!cfg) return 2;
    std::fputs(mapping::rules_markdown(cfg->engine->rules, cfg->engine->terminology).c_str(),
               stdout);
    return 0;
  }
  if (serve_cmd->parsed()) return serve(config_path, listen, profile);
  if (request_cmd->parsed()) return replay_request(scenario_path, as_of);
  return evaluate(config_path, request_path, service_id, now_text, explain);
}
