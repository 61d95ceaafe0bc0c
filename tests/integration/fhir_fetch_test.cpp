// The real ibd-cds binary fetching what the EHR did not prefetch, over sockets, from the test
// FHIR servers of tests/fhir-servers: a Medplum-backed real FHIR server (are our prefetch
// queries valid FHIR search, and do the cards come out the same however the data arrived?)
// and our fault server (what a real server rarely does on cue).
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "fhir/json.hpp"
#include "tests/integration/fixtures.hpp"
#include "tests/support/card_check.hpp"

namespace ibd::testing {
namespace {

using fhir::Json;
using fhir::JsonMember;
constexpr const char* kToken = "test-access-token-9f2c61";
const std::vector<std::string> kKeys{"patient",     "conditions",          "observations",
                                     "medications", "medication-requests", "procedures"};

std::string service_for(const Json& request) {
  const std::string hook = *request.string_at("hook");
  return hook == "patient-view"   ? "ibd-patient-view"
         : hook == "order-select" ? "ibd-order-select"
                                  : "ibd-order-sign";
}

// The cards without what differs call by call (uuids).
Json without_uuids(Json j) {
  if (j.is_object()) {
    j.erase("uuid");
    for (JsonMember& m : *j.as_object()) m.value = without_uuids(std::move(m.value));
  } else if (Json::Array* a = j.as_array()) {
    for (Json& v : *a) v = without_uuids(std::move(v));
  }
  return j;
}

std::vector<Json> log_requests(std::uint16_t port) {
  auto reply = http(port, "GET", "/__log");
  EXPECT_TRUE(reply && reply->status == 200);
  std::vector<Json> out;
  if (!reply) return out;
  const Json body = body_json(*reply);  // kept: items_at() returns a reference into it
  for (const Json& r : body.items_at("requests")) out.push_back(r);
  return out;
}

std::string field(const Json& logged, const char* name) {
  const std::string* v = logged.string_at(name);
  return v != nullptr ? *v : "(none)";
}

void reset_log(std::uint16_t port) {
  auto reply = http(port, "POST", "/__reset", "{}");
  if (!reply || reply->status != 200) http(port, "POST", "/__reset-log", "{}");
}

// Test FHIR servers and an ibd-cds configured to trust them, once per test program.
class FhirFetch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (!install_fhir_servers(why)) {
      failure_ = why;
      return;
    }
    dir_ = new TempDir();
    const std::string certs = dir_->path() + "/certs";
    if (std::system(
            (fhir_servers_dir() + "/make-test-certs.sh " + certs + " >/dev/null").c_str()) != 0) {
      failure_ = "make-test-certs.sh failed";
      return;
    }
    medplum_ = new ChildProcess(
        "node", {fhir_servers_dir() + "/medplum-server.mjs", "--port", "0", "--exit-with-parent"},
        "listening ");
    faults_ = new ChildProcess(
        "node", {fhir_servers_dir() + "/fault-server.mjs", "--cert", certs, "--exit-with-parent"},
        "listening ");
    if (!medplum_->running() || !faults_->running()) {
      failure_ = "test FHIR servers did not start:\n" + medplum_->log() + "\n" + faults_->log();
      return;
    }
    const auto p = [](std::uint16_t port) { return std::to_string(port); };
    const std::string cfg = dir_->path() + "/ibd-cds.yaml";
    write_config(cfg,
                 "  enabled: true\n"
                 "  allowed_servers:\n"
                 "    - http://127.0.0.1:" +
                     p(medplum_->port()) + "\n" +
                     "    - http://127.0.0.1:" + p(faults_->port("http")) + "\n" +
                     "    - https://127.0.0.1:" + p(faults_->port("https")) + "\n" +
                     "    - https://localhost:" + p(faults_->port("https")) + "\n" +
                     "    - https://127.0.0.1:" + p(faults_->port("https_wrong_name")) + "\n" +
                     "    - https://127.0.0.1:" + p(faults_->port("https_untrusted")) + "\n" +
                     "  allow_loopback: true\n"
                     "  ca_file: " +
                     certs +
                     "/ca.pem\n"
                     "  request_timeout_ms: 1000\n"
                     "  budget_ms: 1500\n"
                     "  max_response_bytes: 262144\n"
                     "  max_pages: 4\n");
    server_ = new ServerProcess({}, cfg);
    if (!server_->running()) failure_ = "ibd-cds did not start: " + server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete medplum_;
    delete faults_;
    delete dir_;
    server_ = nullptr;
    medplum_ = faults_ = nullptr;
    dir_ = nullptr;
    failure_.clear();
  }
  void SetUp() override { ASSERT_TRUE(failure_.empty()) << failure_; }

  static std::string medplum_base() {
    return "http://127.0.0.1:" + std::to_string(medplum_->port()) + "/fhir";
  }
  static std::string fault_base(const std::string& listener, const std::string& mode,
                                const std::string& host = "127.0.0.1") {
    const std::string scheme = listener == "http" ? "http" : "https";
    return scheme + "://" + host + ":" + std::to_string(faults_->port(listener)) + "/" + mode +
           "/fhir";
  }

  // POSTs the request with fhirServer = base and the test token.
  static HttpReply call(Json request, const std::string& base) {
    request.set("fhirServer", Json::string(base));
    request.set("fhirAuthorization", Json::object()
                                         .set("access_token", Json::string(kToken))
                                         .set("token_type", Json::string("Bearer"))
                                         .set("expires_in", Json::number(std::int64_t{300}))
                                         .set("scope", Json::string("patient/*.read"))
                                         .set("subject", Json::string("ibd-cds")));
    auto reply =
        http(server_->port(), "POST", "/cds-services/" + service_for(request), request.dump());
    EXPECT_TRUE(reply);
    return reply ? *reply : HttpReply{};
  }

  static inline std::string failure_;
  static inline TempDir* dir_ = nullptr;
  static inline ChildProcess* medplum_ = nullptr;
  static inline ChildProcess* faults_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

// Loads every resource of the request's prefetch into Medplum as one transaction.
void load_into_medplum(std::uint16_t port, const Json& request) {
  Json bundle = Json::object()
                    .set("resourceType", Json::string("Bundle"))
                    .set("type", Json::string("transaction"))
                    .set("entry", Json::array());
  auto add = [&](const Json& r) {
    const std::string type = *r.string_at("resourceType");
    const std::string id = *r.string_at("id");
    bundle.find("entry")->push(Json::object()
                                   .set("resource", r)
                                   .set("request", Json::object()
                                                       .set("method", Json::string("PUT"))
                                                       .set("url", Json::string(type + "/" + id))));
  };
  for (const JsonMember& m : *request.find("prefetch")->as_object()) {
    if (m.value.string_at("resourceType") && *m.value.string_at("resourceType") == "Bundle") {
      for (const Json& e : m.value.items_at("entry"))
        if (const Json* r = e.find("resource")) add(*r);
    } else if (m.value.is_object()) {
      add(m.value);
    }
  }
  auto reply = http(port, "POST", "/fhir", bundle.dump(), "application/fhir+json");
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
}

// ---- the same cards however the data arrived (real FHIR server) ----

class SameCards : public FhirFetch, public ::testing::WithParamInterface<const char*> {};

TEST_P(SameCards, WithFullHalfAndNoPrefetch) {
  const Json request = scenario_request(GetParam());
  const std::uint16_t medplum = medplum_->port();
  load_into_medplum(medplum, request);

  reset_log(medplum);
  const HttpReply full = call(request, medplum_base());
  ASSERT_EQ(full.status, 200) << full.body;
  EXPECT_TRUE(log_requests(medplum).empty()) << "full prefetch must fetch nothing";
  const Json expected = without_uuids(body_json(full));
  ASSERT_FALSE(expected.items_at("cards").empty()) << "the scenario should produce cards";
  EXPECT_EQ(card_of(expected, "data-incomplete"), nullptr) << full.body;

  Json none = request;
  none.erase("prefetch");
  reset_log(medplum);
  const HttpReply fetched = call(none, medplum_base());
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_EQ(without_uuids(body_json(fetched)).dump(true), expected.dump(true));
  const auto all = log_requests(medplum);
  EXPECT_EQ(all.size(), kKeys.size());
  for (const Json& r : all) {
    EXPECT_EQ(field(r, "method"), "GET");
    EXPECT_EQ(field(r, "authorization"), std::string("Bearer ") + kToken);
  }

  Json half = request;
  std::set<std::string> dropped;
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (i % 2 == 1 && half.find("prefetch")->erase(kKeys[i])) dropped.insert(kKeys[i]);
  }
  reset_log(medplum);
  const HttpReply part = call(half, medplum_base());
  ASSERT_EQ(part.status, 200) << part.body;
  EXPECT_EQ(without_uuids(body_json(part)).dump(true), expected.dump(true));
  const auto some = log_requests(medplum);
  EXPECT_EQ(some.size(), dropped.size()) << "only the missing keys are fetched";
  for (const Json& r : some) {
    const std::string url = field(r, "url");
    const bool expected_type =
        (dropped.contains("conditions") && url.find("/Condition?") != std::string::npos) ||
        (dropped.contains("medications") &&
         url.find("/MedicationStatement?") != std::string::npos) ||
        (dropped.contains("procedures") && url.find("/Procedure?") != std::string::npos) ||
        (dropped.contains("observations") && url.find("/Observation?") != std::string::npos) ||
        (dropped.contains("medication-requests") &&
         url.find("/MedicationRequest?") != std::string::npos);
    EXPECT_TRUE(expected_type) << url;
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, SameCards,
                         ::testing::Values("tdm-reactive-fires-infliximab-active",
                                           "cmv-exclusion-steroid-refractory-critical",
                                           "monogenic-il10ra-pathogenic-critical",
                                           "screening-missing-anti-hbc-only",
                                           "tdm-reactive-ses-cd-7-active"));

// ---- faults (our fault server) ----

struct FaultCase {
  const char* name;
  const char* listener;
  const char* mode;
  const char* missing_key;  // the key left out of prefetch, fetched from the fault server
  int status;               // expected hook status
  const char* expect;       // text the response must contain ("" = no data-incomplete card)
};

const FaultCase kFaults[] = {
    {"ok", "http", "ok", "observations", 200, ""},
    {"ok over TLS", "https", "ok", "observations", 200, ""},
    {"server error", "http", "status-500", "observations", 200, "the FHIR server failed (500)"},
    {"token refused", "http", "status-401", "observations", 200, "refused the access token (401)"},
    {"forbidden", "http", "status-403", "observations", 200, "denied access (403)"},
    {"rate limited twice", "http", "status-429", "observations", 200, "rate-limiting"},
    {"503 once is retried", "http", "flaky-503", "observations", 200, ""},
    {"429 once is retried", "https", "flaky-429", "observations", 200, ""},
    {"patient not found", "http", "status-404", "patient", 412, "not found on the FHIR server"},
    {"malformed JSON", "http", "malformed", "observations", 200, "malformed JSON"},
    {"HTML login page", "http", "html", "observations", 200, "text/html, not FHIR JSON"},
    {"next link to another host", "http", "next-other-host", "observations", 200, "another origin"},
    {"next link to another port", "http", "next-other-port", "observations", 200, "another origin"},
    {"next link downgrades to http", "https", "next-http-downgrade", "observations", 200,
     "changes the scheme"},
    {"page loop", "http", "page-loop", "observations", 200, "page already read"},
    {"three pages", "http", "pages-3", "observations", 200, ""},
    {"more pages than allowed", "http", "pages-9", "observations", 200, "limit of 4 pages"},
    {"oversized body", "http", "oversized-400000", "observations", 200, "larger than"},
    {"oversized chunked body", "http", "oversized-chunked-400000", "observations", 200,
     "larger than"},
    {"redirect", "http", "redirect", "observations", 200, "redirects are not followed"},
    {"slower than the budget", "http", "slow-2500", "observations", 200, "did not answer"},
    {"never answers", "http", "hang", "observations", 200, "did not answer"},
    {"connection reset", "http", "reset", "observations", 200, "connection was closed"},
    {"certificate for another name", "https_wrong_name", "ok", "observations", 200,
     "certificate was refused"},
    {"certificate from an unknown CA", "https_untrusted", "ok", "observations", 200,
     "certificate was refused"},
};

TEST_F(FhirFetch, EachFaultIsHandledDeliberately) {
  const Json base_request = scenario_request("tdm-reactive-fires-infliximab-active");
  const std::uint16_t admin = faults_->port("http");
  for (const FaultCase& f : kFaults) {
    SCOPED_TRACE(f.name);
    Json request = base_request;
    ASSERT_TRUE(request.find("prefetch")->erase(f.missing_key));
    reset_log(admin);
    const auto started = std::chrono::steady_clock::now();
    const HttpReply reply = call(request, fault_base(f.listener, f.mode));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(reply.status, f.status) << reply.body;
    // The budget (1.5 s) bounds every fault; the slack is for a loaded machine.
    EXPECT_LT(took, std::chrono::seconds(5));
    const Json body = body_json(reply);
    if (f.status == 200) {
      EXPECT_TRUE(check_response(body).empty());
      const Json* incomplete = card_of(body, "data-incomplete");
      if (*f.expect == '\0') {
        EXPECT_EQ(incomplete, nullptr) << reply.body;
      } else {
        ASSERT_NE(incomplete, nullptr) << reply.body;
        EXPECT_NE(incomplete->dump().find(f.expect), std::string::npos) << incomplete->dump();
      }
    } else {
      EXPECT_NE(reply.body.find(f.expect), std::string::npos) << reply.body;
    }
    EXPECT_EQ(reply.body.find(kToken), std::string::npos);
    for (const Json& r : log_requests(admin)) {
      // Every request that reached the fault server carried the token, and none went
      // anywhere a redirect or a foreign next link pointed.
      EXPECT_EQ(field(r, "authorization"), std::string("Bearer ") + kToken) << r.dump();
      EXPECT_EQ(field(r, "url").find(std::string("/") + f.mode + "/"), 0u) << "went elsewhere";
    }
  }
  const std::string log = server_->log();
  EXPECT_EQ(log.find(kToken), std::string::npos) << "the token reached the log";
}

TEST_F(FhirFetch, TlsByNameSendsSniAndVerifiesTheName) {
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  request.find("prefetch")->erase("observations");
  const HttpReply reply = call(request, fault_base("https", "ok", "localhost"));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(card_of(body_json(reply), "data-incomplete"), nullptr) << reply.body;
}

TEST_F(FhirFetch, ServerNotAllowedGets403AndNoRequest) {
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  request.find("prefetch")->erase("observations");
  const std::uint16_t admin = faults_->port("http");
  reset_log(admin);
  // The fault server, but on a name the configuration does not list.
  const HttpReply reply = call(request, fault_base("http", "ok", "localhost"));
  EXPECT_EQ(reply.status, 403) << reply.body;
  EXPECT_NE(reply.body.find("not among the FHIR servers"), std::string::npos) << reply.body;
  EXPECT_TRUE(log_requests(admin).empty());
  // With everything prefetched nothing is fetched, so the same fhirServer is no problem.
  const HttpReply full = call(scenario_request("tdm-reactive-fires-infliximab-active"),
                              fault_base("http", "ok", "localhost"));
  EXPECT_EQ(full.status, 200) << full.body;
}

TEST_F(FhirFetch, AForbiddenAddressIsRefusedEvenIfAllowedByName) {
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  request.find("prefetch")->erase("observations");
  const HttpReply reply = call(request, "https://169.254.169.254/latest/fhir");
  EXPECT_EQ(reply.status, 403) << reply.body;
}

TEST_F(FhirFetch, OperationOutcomeInPrefetchIsFetchedAgain) {
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  request.find("prefetch")
      ->set("observations",
            Json::object()
                .set("resourceType", Json::string("OperationOutcome"))
                .set("issue", Json::array({Json::object()
                                               .set("severity", Json::string("error"))
                                               .set("code", Json::string("timeout"))})));
  const std::uint16_t admin = faults_->port("http");
  reset_log(admin);
  const HttpReply reply = call(request, fault_base("http", "pages-2"));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(card_of(body_json(reply), "data-incomplete"), nullptr) << reply.body;
  EXPECT_EQ(log_requests(admin).size(), 2u);  // both pages of the Observation search
}

TEST_F(FhirFetch, APartlyPrefetchedBundleIsCompleted) {
  Json request = scenario_request("tdm-reactive-fires-infliximab-active");
  const std::string base = fault_base("http", "pages-3");
  Json* observations = request.find("prefetch")->find("observations");
  observations->set("link",
                    Json::array({Json::object()
                                     .set("relation", Json::string("next"))
                                     .set("url", Json::string(base + "/Observation?page=2"))}));
  const std::uint16_t admin = faults_->port("http");
  reset_log(admin);
  const HttpReply reply = call(request, base);
  ASSERT_EQ(reply.status, 200) << reply.body;
  const Json body = body_json(reply);
  EXPECT_EQ(card_of(body, "data-incomplete"), nullptr) << reply.body;
  EXPECT_NE(card_of(body, "tdm-reactive"), nullptr) << "the prefetched page still counts";
  EXPECT_EQ(log_requests(admin).size(), 2u);  // pages 2 and 3
}

}  // namespace
}  // namespace ibd::testing
