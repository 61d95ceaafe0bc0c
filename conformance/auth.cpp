// Family: authentication (CDS Hooks 2.0 "Trusting CDS Clients"). The harness is a CDS client
// with its own key (served as a JWKS on loopback): its good tokens must be accepted, and
// tokens that are absent, unsigned, HMAC-signed, tampered, expired, for another endpoint,
// from an unknown issuer or pointing at an unlisted jku must be refused — on discovery and
// on a hook endpoint.
#include "conformance/session.hpp"

namespace ibd::conformance {
namespace {

using fhir::Json;

bool refused(int status) { return status == 401 || status == 403; }

struct Target {
  std::string method, suffix, body;
};

void expect_refused(Session& s, const char* check, const std::vector<Target>& targets,
                    const std::string& what,
                    const std::function<std::string(const Target&)>& make_token) {
  for (const Target& t : targets) {
    const std::string token = make_token(t);
    Headers h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    const HttpResponse r = s.call(t.method, t.suffix, t.body, h, false);
    s.rec().expect(check, refused(r.status),
                   t.method + " " + t.suffix + " with " + what + " answered " +
                       (r.status == 0 ? "nothing (" + r.error + ")" : std::to_string(r.status)) +
                       " (expected 401)");
  }
}

}  // namespace

void run_auth(Session& s) {
  Recorder& rec = s.rec();
  ClientIdentity* id = s.identity();
  if (id == nullptr) {
    for (const CheckDef& c : all_checks())
      if (c.family == "auth")
        rec.skip(c.id,
                 "authentication not tested: run with --auth (the service must trust the "
                 "harness's issuer and JWKS URL)");
    return;
  }
  std::vector<Target> targets{{"GET", "/cds-services", ""}};
  for (const ServiceInfo& svc : s.services) {
    for (const FixturePatient& p : s.fixtures()) {
      if (auto request = s.hook_request(svc, p, {}, "")) {
        targets.push_back({"POST", "/cds-services/" + svc.id, request->dump()});
        break;
      }
    }
    if (targets.size() > 1) break;
  }

  bool all_good = true;
  for (const Target& t : targets) {
    const HttpResponse r = s.call(t.method, t.suffix, t.body);
    const bool ok = r.status == 200;
    all_good = all_good && ok;
    rec.expect("auth.valid-token", ok,
               t.method + " " + t.suffix + " with a good token answered " +
                   std::to_string(r.status) + " (is " + s.options().issuer +
                   " trusted, with its keys at " + id->jwks_url() + "?)");
  }
  if (s.options().alg == "ES384") {
    rec.expect("auth.recommended-alg", all_good, "ES384 tokens were not accepted");
  } else {
    rec.skip("auth.recommended-alg", "tokens signed with " + s.options().alg + " (--alg)");
  }

  expect_refused(s, "auth.required", targets, "no token", [](const Target&) { return ""; });
  expect_refused(s, "auth.alg-none", targets, "an unsigned token (alg none)", [&](const Target& t) {
    Json h = s.jose_header(id->trusted);
    h.set("alg", Json::string("none"));
    return unsigned_token(h, s.claims(t.suffix));
  });
  expect_refused(s, "auth.symmetric", targets, "an HS256 token keyed with the public JWKS",
                 [&](const Target& t) {
                   Json h = s.jose_header(id->trusted);
                   h.set("alg", Json::string("HS256"));
                   return hs256_token(h, s.claims(t.suffix), jwks_of(id->trusted).dump());
                 });
  expect_refused(s, "auth.bad-signature", targets, "a token whose signature is another token's",
                 [&](const Target& t) {
                   const std::string a = s.good_token(t.suffix);
                   const std::string b = s.good_token(t.suffix);
                   return a.substr(0, a.rfind('.')) + b.substr(b.rfind('.'));
                 });
  expect_refused(s, "auth.expired", targets, "a token that expired 5 minutes ago",
                 [&](const Target& t) {
                   Json c = s.claims(t.suffix);
                   const std::int64_t iat = *c.find("iat")->as_int();
                   c.set("iat", Json::number(iat - 600));
                   c.set("exp", Json::number(iat - 300));
                   return id->trusted.sign(s.jose_header(id->trusted), c);
                 });
  expect_refused(
      s, "auth.audience", targets, "a token for another endpoint (aud)", [&](const Target& t) {
        const std::string other =
            t.suffix == "/cds-services" ? "/cds-services/cds-conformance-other" : "/cds-services";
        return id->trusted.sign(s.jose_header(id->trusted), s.claims(other));
      });
  expect_refused(s, "auth.unknown-issuer", targets, "a token from an untrusted issuer",
                 [&](const Target& t) {
                   Json c = s.claims(t.suffix);
                   c.set("iss", Json::string("https://untrusted.cds-conformance.invalid"));
                   return id->attacker.sign(s.jose_header(id->attacker), c);
                 });
  expect_refused(s, "auth.untrusted-jku", targets,
                 "a token signed by another key whose jku points at it", [&](const Target& t) {
                   Json h = s.jose_header(id->attacker);
                   h.set("jku", Json::string(id->attacker_jwks_url()));
                   return id->attacker.sign(h, s.claims(t.suffix));
                 });

  // A token may be used once.
  const Target& t = targets.front();
  const std::string once = s.good_token(t.suffix);
  const Headers h{{"Authorization", "Bearer " + once}};
  const HttpResponse first = s.call(t.method, t.suffix, t.body, h, false);
  const HttpResponse second = s.call(t.method, t.suffix, t.body, h, false);
  if (first.status == 200)
    rec.expect(
        "auth.replay", refused(second.status),
        "the same token (same jti) was accepted twice (" + std::to_string(second.status) + ")");
}

}  // namespace ibd::conformance
