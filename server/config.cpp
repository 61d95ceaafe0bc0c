#include "server/config.hpp"

#include "fhir/client/secure_random.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "fhir/json.hpp"
#include "mapping/units.hpp"
#include "server/config_sections.hpp"
#include "server/config_storage.hpp"
#include "server/yaml_map.hpp"

namespace ibd::config {
namespace {

namespace fs = std::filesystem;
using yaml::ConfigError;
using yaml::load_yaml;
using yaml::Map;
using yaml::Source;

const std::set<std::string> kHooks{"patient-view", "order-select", "order-sign"};

int days(Map& m, const std::string& key, int fallback) {
  return static_cast<int>(m.integer(key, fallback, 1, 3650));
}

// Every class named must be the class of some configured drug: a typo would silently turn a
// rule off.
void check_classes(Map& m, const std::string& key, const std::vector<std::string>& classes,
                   const mapping::RuleSet& rules) {
  for (const std::string& cls : classes) {
    const bool known = std::any_of(rules.drugs.begin(), rules.drugs.end(),
                                   [&](const mapping::DrugDef& d) { return d.drug_class == cls; });
    if (!known) m.source().fail(m.node()[key], m.sub(key), "no drug has class '" + cls + "'");
  }
}

std::vector<mapping::OrderDef> read_orders(Map& m, const std::string& key) {
  std::vector<mapping::OrderDef> out;
  for (const YAML::Node& n : m.list(key, true)) {
    Map o(m.source(), n, m.sub(key));
    mapping::OrderDef order{{o.string("system"), o.string("code"), o.string("display", "")},
                            o.string("text"),
                            o.string("category")};
    if (order.category != "laboratory" && order.category != "procedure")
      m.source().fail(n, m.sub(key) + ".category", "laboratory or procedure");
    o.done();
    out.push_back(std::move(order));
  }
  return out;
}

mapping::RuleMeta read_meta(Map& m, const std::string& id) {
  mapping::RuleMeta meta;
  meta.id = id;
  meta.version = m.string("version");
  meta.enabled = m.boolean("enabled", true);
  meta.hooks = m.strings("hooks");
  for (const auto& h : meta.hooks)
    if (!kHooks.contains(h))
      m.source().fail(m.node()["hooks"], m.sub("hooks"), "unknown hook '" + h + "'");
  Map source(m.source(), m.take("source"), m.sub("source"));
  meta.source.label = source.string("label");
  meta.source.url = source.string("url", "");
  if (source.has("topic")) {
    Map topic(m.source(), source.take("topic"), source.sub("topic"));
    meta.source.topic = {topic.string("system"), topic.string("code"), topic.string("display", "")};
    topic.done();
  }
  source.done();
  for (const YAML::Node& n : m.list("override_reasons", false)) {
    Map r(m.source(), n, m.sub("override_reasons"));
    meta.override_reasons.push_back({r.string("code"), r.string("display")});
    r.done();
  }
  return meta;
}

mapping::RuleSet read_rules(const fs::path& file) {
  const Source src(file.string());
  Map top(src, load_yaml(file), "");
  mapping::RuleSet rules;
  rules.version = top.string("version");
  rules.override_reason_system = top.string("override_reason_system");
  for (const YAML::Node& n : top.list("diseases", true)) {
    Map d(src, n, "diseases");
    rules.diseases.push_back({d.string("name"), d.string("valueset"), d.string("display")});
    d.done();
  }
  for (const YAML::Node& n : top.list("other_conditions", false)) {
    Map d(src, n, "other_conditions");
    rules.other_conditions.push_back({d.string("name"), d.string("valueset"), d.string("display")});
    d.done();
  }
  for (const YAML::Node& n : top.list("labs", true)) {
    Map l(src, n, "labs");
    mapping::LabDef lab{l.string("concept"), l.string("valueset"), l.string("unit", ""),
                        l.string("display"), std::nullopt,         std::nullopt};
    if (!mapping::is_known_unit(lab.unit))
      src.fail(l.node()["unit"], "labs.unit",
               "'" + lab.unit + "' is not a unit the converter knows");
    lab.positive_at = l.number("positive_at", 0, 1e9);
    if (l.has("order_code")) {
      Map c(src, l.take("order_code"), "labs.order_code");
      lab.order_code = fhir::Coding{c.string("system"), c.string("code"), c.string("display", "")};
      c.done();
    }
    if (rules.lab(lab.concept_id) != nullptr)
      src.fail(n, "labs", "concept '" + lab.concept_id + "' is listed twice");
    rules.labs.push_back(std::move(lab));
    l.done();
  }
  for (const YAML::Node& n : top.list("drugs", true)) {
    Map d(src, n, "drugs");
    mapping::DrugDef drug{d.string("name"),         d.string("class"),
                          d.string("valueset"),     d.string("level", ""),
                          d.string("antibody", ""), d.number("level_target", 0.0, 1e6)};
    for (const std::string* lab : {&drug.level_concept, &drug.antibody_concept})
      if (!lab->empty() && rules.lab(*lab) == nullptr)
        src.fail(n, "drugs", "unknown lab concept '" + *lab + "'");
    rules.drugs.push_back(std::move(drug));
    d.done();
  }
  rules.advanced_classes = top.strings("advanced_classes");
  check_classes(top, "advanced_classes", rules.advanced_classes, rules);
  rules.immunosuppressive_classes = top.strings("immunosuppressive_classes");
  check_classes(top, "immunosuppressive_classes", rules.immunosuppressive_classes, rules);
  for (const YAML::Node& n : top.list("procedures", true)) {
    Map pm(src, n, "procedures");
    rules.procedures.push_back({pm.string("kind"), pm.string("valueset"), pm.string("display")});
    pm.done();
  }
  {
    Map i(src, top.take("inflammation"), "inflammation");
    auto& c = rules.inflammation;
    c.calprotectin_active = i.number("calprotectin_active", 0, 1e5).value_or(c.calprotectin_active);
    c.calprotectin_normal = i.number("calprotectin_normal", 0, 1e5).value_or(c.calprotectin_normal);
    c.crp_active = i.number("crp_active", 0, 1e4).value_or(c.crp_active);
    c.mayo_endoscopic_active =
        i.number("mayo_endoscopic_active", 0, 3).value_or(c.mayo_endoscopic_active);
    c.ses_cd_active = i.number("ses_cd_active", 0, 56).value_or(c.ses_cd_active);
    c.marker_window_days =
        static_cast<int>(i.integer("marker_window_days", c.marker_window_days, 1, 3650));
    c.crp_window_days = static_cast<int>(i.integer("crp_window_days", c.crp_window_days, 1, 3650));
    if (c.calprotectin_normal > c.calprotectin_active)
      src.fail(i.node(), "inflammation", "calprotectin_normal must not exceed calprotectin_active");
    i.done();
  }
  Map rule_map(src, top.take("rules"), "rules");
  // One rules.<id> section: its metadata, then what `body` reads; unknown keys are refused.
  auto read_rule = [&](const char* id, mapping::RuleMeta& meta, auto&& body) {
    Map r(src, rule_map.take(id), std::string("rules.") + id);
    meta = read_meta(r, id);
    body(r);
    r.done();
  };
  read_rule("tdm-reactive", rules.tdm_reactive.meta, [&](Map& r) {
    auto& c = rules.tdm_reactive;
    c.induction_weeks = static_cast<int>(r.integer("induction_weeks", c.induction_weeks, 0, 520));
    c.level_window_days =
        static_cast<int>(r.integer("level_window_days", c.level_window_days, 1, 3650));
    c.course_gap_days = static_cast<int>(r.integer("course_gap_days", c.course_gap_days, 0, 3650));
    c.drug_classes = r.strings("drug_classes");
    check_classes(r, "drug_classes", c.drug_classes, rules);
  });
  read_rule("data-incomplete", rules.data_incomplete.meta, [](Map&) {});
  read_rule("cmv-exclusion", rules.cmv_exclusion.meta, [&](Map& r) {
    auto& c = rules.cmv_exclusion;
    c.tissue_window_days = days(r, "tissue_window_days", c.tissue_window_days);
    c.escalation_classes = r.strings("escalation_classes");
    check_classes(r, "escalation_classes", c.escalation_classes, rules);
    c.iv_steroid_is_escalation = r.boolean("iv_steroid_is_escalation", c.iv_steroid_is_escalation);
    c.orders = read_orders(r, "orders");
  });
  read_rule("cmv-positive", rules.cmv_positive.meta, [&](Map& r) {
    rules.cmv_positive.window_days = days(r, "window_days", rules.cmv_positive.window_days);
  });
  read_rule("tdm-interpret", rules.tdm_interpret.meta, [&](Map& r) {
    rules.tdm_interpret.window_days = days(r, "window_days", rules.tdm_interpret.window_days);
  });
  read_rule("thiopurine-pgx", rules.thiopurine_pgx.meta, [&](Map& r) {
    auto& c = rules.thiopurine_pgx;
    c.transfusion_window_days = days(r, "transfusion_window_days", c.transfusion_window_days);
    c.tpmt_no_function = r.strings("tpmt_no_function");
    c.nudt15_no_function = r.strings("nudt15_no_function");
    c.genotype_orders = read_orders(r, "genotype_orders");
    static const std::set<std::string> kPhenotypes{"normal", "intermediate", "poor"};
    static const std::set<std::string> kSeverities{"info", "warning", "critical"};
    for (const YAML::Node& n : r.list("cpic", true)) {
      Map row(src, n, "rules.thiopurine-pgx.cpic");
      mapping::CpicRow cpic{row.string("tpmt"), row.string("nudt15"), row.string("severity"),
                            row.string("advice"), row.boolean("avoid", false)};
      if (!kPhenotypes.contains(cpic.tpmt) || !kPhenotypes.contains(cpic.nudt15))
        src.fail(n, "rules.thiopurine-pgx.cpic",
                 "tpmt and nudt15 must be normal, intermediate or poor");
      if (!kSeverities.contains(cpic.severity))
        src.fail(n, "rules.thiopurine-pgx.cpic.severity", "info, warning or critical");
      for (const auto& other : c.cpic)
        if (other.tpmt == cpic.tpmt && other.nudt15 == cpic.nudt15)
          src.fail(n, "rules.thiopurine-pgx.cpic",
                   "the cell " + cpic.tpmt + " x " + cpic.nudt15 + " is given twice");
      c.cpic.push_back(std::move(cpic));
      row.done();
    }
    if (c.cpic.size() != 9)
      src.fail(r.node()["cpic"], "rules.thiopurine-pgx.cpic", "needs all 9 cells of TPMT x NUDT15");
  });
  read_rule("veo-ibd-monogenic", rules.veo_ibd.meta, [&](Map& r) {
    auto& c = rules.veo_ibd;
    c.onset_years = r.number("onset_years", 0, 18).value_or(c.onset_years);
    c.infantile_years = r.number("infantile_years", 0, 18).value_or(c.infantile_years);
    c.orders = read_orders(r, "orders");
  });
  read_rule("monogenic-defect", rules.monogenic_defect.meta, [&](Map& r) {
    auto& c = rules.monogenic_defect;
    c.genes = r.strings("genes");
    c.critical_genes = r.strings("critical_genes");
    for (const std::string& g : c.critical_genes)
      if (std::find(c.genes.begin(), c.genes.end(), g) == c.genes.end())
        src.fail(r.node()["critical_genes"], "rules.monogenic-defect.critical_genes",
                 g + " is not in genes");
  });
  read_rule("refractory-escalation", rules.refractory_escalation.meta, [&](Map& r) {
    rules.refractory_escalation.failed_mechanisms = static_cast<int>(
        r.integer("failed_mechanisms", rules.refractory_escalation.failed_mechanisms, 1, 10));
  });
  read_rule("escalation-unproven", rules.escalation_unproven.meta, [](Map&) {});
  read_rule("pre-advanced-screening", rules.pre_advanced_screening.meta, [&](Map& r) {
    auto& c = rules.pre_advanced_screening;
    c.window_days = days(r, "window_days", c.window_days);
    c.orders = read_orders(r, "orders");
  });
  read_rule("hla-dqa1-05", rules.hla_dqa1_05.meta, [&](Map& r) {
    rules.hla_dqa1_05.allele_prefix = r.string("allele_prefix", rules.hla_dqa1_05.allele_prefix);
    rules.hla_dqa1_05.hazard_ratio =
        r.number("hazard_ratio", 0.01, 100).value_or(rules.hla_dqa1_05.hazard_ratio);
  });
  read_rule("ipaa-in-crohns", rules.ipaa_in_crohns.meta, [](Map&) {});
  rule_map.done();
  top.done();
  return rules;
}

mapping::Terminology read_valuesets(const fs::path& dir, mapping::RuleSet& rules) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw ConfigError{dir.string() + ": value set folder not found"};
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && it->path().extension() == ".json")
      files.push_back(it->path());
  }
  if (ec) throw ConfigError{dir.string() + ": cannot list the value sets: " + ec.message()};
  std::sort(files.begin(), files.end());
  std::vector<fhir::Json> sets;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto json = fhir::parse_json(text.str());
    if (!json) throw ConfigError{f.string() + ": " + json.error().to_string()};
    sets.push_back(std::move(*json));
  }
  auto terminology = mapping::Terminology::from_valuesets(sets);
  if (!terminology) throw ConfigError{dir.string() + ": " + terminology.error()};
  auto require = [&](const std::string& id, const std::string& who) {
    if (terminology->find(id) == nullptr)
      throw ConfigError{"rules: " + who + " names value set '" + id + "', which is not in " +
                        dir.string()};
  };
  for (const auto& d : rules.diseases) require(d.valueset, "disease " + d.name);
  for (const auto& d : rules.other_conditions) require(d.valueset, "condition " + d.name);
  for (const auto& d : rules.drugs) require(d.valueset, "drug " + d.name);
  for (const auto& p : rules.procedures) require(p.valueset, "procedure " + p.kind);
  for (auto& l : rules.labs) {
    require(l.valueset, "lab " + l.concept_id);
    const auto* vs = terminology->find(l.valueset);
    if (!l.order_code && !vs->codes.empty()) l.order_code = vs->codes.front();
    // A test known by name only still gets a code, one a site maps to its own orderable.
    if (!l.order_code)
      l.order_code = fhir::Coding{"urn:ibd-cds:lab-order", l.concept_id, l.display};
  }
  return std::move(*terminology);
}

hooks::Catalog read_services(Map& top, const std::string& rule_set_version) {
  std::vector<hooks::ServiceDef> services;
  for (const YAML::Node& n : top.list("services", true)) {
    Map s(top.source(), n, "services");
    hooks::ServiceDef def;
    def.id = s.string("id");
    def.hook = s.string("hook");
    if (!kHooks.contains(def.hook))
      top.source().fail(n["hook"], "services.hook", "unknown hook '" + def.hook + "'");
    if (def.id.empty() || def.id.find_first_of("/?#% ") != std::string::npos)
      top.source().fail(n["id"], "services.id",
                        "must be non-empty with no '/', '?', '#', '%' or spaces");
    for (const auto& other : services)
      if (other.id == def.id)
        top.source().fail(n["id"], "services.id", "'" + def.id + "' is used twice");
    def.title = s.string("title");
    def.description = s.string("description");
    for (const YAML::Node& p : s.list("prefetch", false)) {
      Map pm(top.source(), p, "services.prefetch");
      def.prefetch.push_back({pm.string("key"), pm.string("query"), pm.string("description"),
                              pm.boolean("required", false)});
      pm.done();
    }
    s.done();
    services.push_back(std::move(def));
  }
  return hooks::Catalog(std::move(services), rule_set_version);
}

ServerSection read_server(Map& top, const fs::path& file) {
  ServerSection s;
  Map m(top.source(), top.take("server"), "server");
  auto listen = parse_listen(m.string("listen", "127.0.0.1:8080"));
  if (!listen) top.source().fail(m.node()["listen"], "server.listen", listen.error());
  s.listen = *listen;
  s.threads = static_cast<unsigned>(m.integer("threads", 0, 0, 256));
  s.body_limit_bytes =
      static_cast<std::size_t>(m.integer("body_limit_bytes", 1 << 20, 1024, 64 << 20));
  s.header_limit_bytes =
      static_cast<std::size_t>(m.integer("header_limit_bytes", 16 << 10, 1024, 1 << 20));
  auto ms = [&](const char* key, std::chrono::milliseconds d) {
    return std::chrono::milliseconds(m.integer(key, d.count(), 1, 3'600'000));
  };
  s.read_timeout = ms("read_timeout_ms", s.read_timeout);
  s.write_timeout = ms("write_timeout_ms", s.write_timeout);
  s.idle_timeout = ms("idle_timeout_ms", s.idle_timeout);
  s.shutdown_grace = ms("shutdown_grace_ms", s.shutdown_grace);
  s.handshake_timeout = ms("handshake_timeout_ms", s.handshake_timeout);
  s.max_connections = static_cast<std::size_t>(m.integer("max_connections", 1024, 0, 1'000'000));
  {
    Map tls(top.source(), m.take("tls"), "server.tls");
    const std::string cert = tls.string("cert_file", "");
    const std::string key = tls.string("key_file", "");
    const std::string ca = tls.string("client_ca_file", "");
    if (cert.empty() != key.empty())
      top.source().fail(tls.node(), "server.tls", "give both cert_file and key_file, or neither");
    if (!ca.empty() && cert.empty())
      top.source().fail(tls.node(), "server.tls", "client_ca_file needs cert_file and key_file");
    if (!cert.empty()) s.tls_cert_file = resolve(file, cert).string();
    if (!key.empty()) s.tls_key_file = resolve(file, key).string();
    if (!ca.empty()) s.tls_client_ca_file = resolve(file, ca).string();
    tls.done();
  }
  m.done();
  return s;
}

}  // namespace

std::expected<ListenAddress, std::string> parse_listen(const std::string& text) {
  ListenAddress out;
  std::string port;
  if (text.starts_with("[")) {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::unexpected("expected [IPv6]:PORT");
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return std::unexpected("expected HOST:PORT, e.g. 127.0.0.1:8080");
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos)
      return std::unexpected("write an IPv6 address as [ADDRESS]:PORT");
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535)
    return std::unexpected("the port must be a number from 0 to 65535");
  out.port = static_cast<std::uint16_t>(value);
  if (out.host.empty()) return std::unexpected("the host is empty");
  return out;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::expected<AppConfig, std::string> load_config(const std::filesystem::path& file) {
  try {
    const Source src(file.string());
    Map top(src, load_yaml(file), "");
    AppConfig cfg;
    cfg.file = file;
    cfg.server = read_server(top, file);
    const std::string profile = top.string("profile", "production");
    if (profile != "production" && profile != "development")
      src.fail(top.node()["profile"], "profile", "production or development");
    cfg.development = profile == "development";
    cfg.auth = read_auth(top, file);
    cfg.cors = read_cors(top);
    cfg.fhir_client = read_fhir_client(top, file);
    cfg.storage = read_storage(top, file);
    cfg.audit = read_audit(top, file);
    {
      Map logging(src, top.take("logging"), "logging");
      cfg.log_level = logging.string("level", "info");
      static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error", "off"};
      if (!kLevels.contains(cfg.log_level))
        src.fail(top.node()["logging"], "logging.level",
                 "one of trace, debug, info, warn, error, off");
      logging.done();
    }
    auto engine = std::make_shared<hooks::EngineConfig>();
    {
      Map cards(src, top.take("cards"), "cards");
      engine->style.smart_app_url = cards.string("smart_app_url", "");
      cards.done();
    }
    engine->json.max_depth = static_cast<std::size_t>(top.integer("max_json_depth", 64, 8, 512));
    cfg.fhir_client.options.json = engine->json;
    const fs::path rules_file = resolve(file, top.string("rules_file"));
    const fs::path valuesets_dir = resolve(file, top.string("valuesets_dir"));
    engine->catalog = read_services(top, "");  // version filled in below, once the rules are read
    top.done();
    engine->rules = read_rules(rules_file);
    engine->terminology = read_valuesets(valuesets_dir, engine->rules);
    engine->catalog = hooks::Catalog(engine->catalog.services(), engine->rules.version);
    engine->style.make_uuid = fhir::client::secure_uuid_v4;  // card uuids: a CSPRNG
    cfg.engine = std::move(engine);
    return cfg;
  } catch (const ConfigError& e) {
    return std::unexpected(e.message);
  } catch (const YAML::Exception& e) {
    return std::unexpected(file.string() + ": " + e.what());
  }
}

}  // namespace ibd::config
