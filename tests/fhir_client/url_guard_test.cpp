#include "fhir/client/url_guard.hpp"

#include <gtest/gtest.h>

namespace ibd::fhir::client {
namespace {

namespace ip = boost::asio::ip;

OriginPolicy policy_for(std::initializer_list<const char*> origins, bool loopback = false) {
  OriginPolicy p;
  for (const char* o : origins) p.allowed.push_back(*parse_origin(o));
  p.allow_loopback = loopback;
  return p;
}

TEST(UrlGuard, BaseUrlIsNormalised) {
  auto b = parse_base_url("HTTPS://EHR.Example.ORG.:443/fhir/R4");
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->origin.scheme, "https");
  EXPECT_EQ(b->origin.host, "ehr.example.org");
  EXPECT_EQ(b->origin.port, 443);
  EXPECT_EQ(b->path, "/fhir/R4/");
  EXPECT_EQ(b->text(), "https://ehr.example.org/fhir/R4/");
  auto v6 = parse_base_url("http://[0:0:0:0:0:0:0:1]:8080/fhir/");
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(v6->origin.host, "::1");
  EXPECT_EQ(v6->origin.to_string(), "http://[::1]:8080");
  EXPECT_EQ(parse_base_url("https://ehr.example")->path, "/");
}

TEST(UrlGuard, BaseUrlRefusals) {
  EXPECT_FALSE(parse_base_url("ftp://ehr.example/fhir"));
  EXPECT_FALSE(parse_base_url("https://user:pw@ehr.example/fhir"));
  EXPECT_FALSE(parse_base_url("https://ehr.example/fhir?x=1"));
  EXPECT_FALSE(parse_base_url("https://ehr.example/fhir#frag"));
  EXPECT_FALSE(parse_base_url("/fhir"));
  EXPECT_FALSE(parse_base_url("https://ehr.example:0/fhir"));
  EXPECT_FALSE(parse_base_url("https://ehr_ex%41mple.org/fhir"));
  EXPECT_FALSE(parse_base_url("https:///fhir"));
  // Boost.URL 1.81 reads these as host + port (or IPv4) followed by a path without '/'.
  EXPECT_FALSE(parse_base_url("https://127.0.0.1:8443.evil.example/fhir"));
  EXPECT_FALSE(parse_base_url("https://ehr.example.org:443.evil.com/fhir"));
  EXPECT_FALSE(parse_origin("https://ehr.example.org:443.evil.com"));
}

TEST(UrlGuard, OriginsCompareAfterNormalisationNotByPrefix) {
  const auto p = policy_for({"https://ehr.example.org"});
  EXPECT_TRUE(check_origin(parse_base_url("https://EHR.example.org:443/fhir")->origin, p));
  EXPECT_TRUE(check_origin(parse_base_url("https://ehr.example.org./r4")->origin, p));
  // A string-prefix comparison would let these through.
  EXPECT_FALSE(check_origin(parse_base_url("https://ehr.example.org.evil.com/fhir")->origin, p));
  EXPECT_FALSE(check_origin(parse_base_url("https://ehr.example.org:8443/fhir")->origin, p));
  EXPECT_FALSE(check_origin(parse_base_url("http://ehr.example.org/fhir")->origin, p));
  EXPECT_FALSE(check_origin(parse_base_url("https://evil.com/ehr.example.org")->origin, p));
}

TEST(UrlGuard, HttpOnlyOnAllowedLoopback) {
  auto lo = parse_base_url("http://127.0.0.1:9000/fhir")->origin;
  EXPECT_FALSE(check_origin(lo, policy_for({"http://127.0.0.1:9000"}, false)));
  EXPECT_TRUE(check_origin(lo, policy_for({"http://127.0.0.1:9000"}, true)));
  auto plain = parse_base_url("http://ehr.example.org/fhir")->origin;
  auto e = check_origin(plain, policy_for({"http://ehr.example.org"}, true));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().find("https"), std::string::npos);
}

TEST(UrlGuard, ForbiddenAddressesEvenWhenListed) {
  OriginPolicy p = policy_for({"https://169.254.169.254", "https://[fe80::1]"}, true);
  EXPECT_FALSE(check_origin(parse_base_url("https://169.254.169.254/latest")->origin, p));
  EXPECT_FALSE(check_origin(parse_base_url("https://[fe80::1]/fhir")->origin, p));
  for (const char* a : {"169.254.169.254", "169.254.1.1", "0.0.0.0", "0.1.2.3", "224.0.0.1",
                        "255.255.255.255", "100.100.100.200", "::", "fe80::1", "ff02::1",
                        "fd00:ec2::254", "::ffff:169.254.169.254", "::ffff:0.0.0.0"})
    EXPECT_FALSE(is_address_allowed(ip::make_address(a), p)) << a;
  for (const char* a : {"10.1.2.3", "192.168.0.5", "8.8.8.8", "2001:db8::1", "fd12::1"})
    EXPECT_TRUE(is_address_allowed(ip::make_address(a), p)) << a;
}

TEST(UrlGuard, LoopbackAddressesOnlyWhenAllowed) {
  OriginPolicy off = policy_for({"https://ehr.example.org"}, false);
  OriginPolicy on = policy_for({"https://ehr.example.org"}, true);
  for (const char* a : {"127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_FALSE(is_address_allowed(ip::make_address(a), off)) << a;
    EXPECT_TRUE(is_address_allowed(ip::make_address(a), on)) << a;
  }
}

// Issue 13 item 11 (SEC-95): IPv6 transition forms carry an IPv4 address and may reach it;
// they are refused when that address is loopback or otherwise refused, and configured IPv4
// networks cover them too.
TEST(UrlGuard, Ipv6TransitionFormsOfRefusedIpv4AreRefused) {
  for (bool loopback : {false, true}) {
    const OriginPolicy p = policy_for({"https://ehr.example.org"}, loopback);
    for (const char* a : {"::127.0.0.1", "::7f00:1", "64:ff9b::7f00:1", "64:ff9b::127.0.0.1",
                          "64:ff9b:1::7f00:1", "2002:7f00:1::", "2002:7f00:1::1",
                          "2001:0:4136:e378:8000:63bf:80ff:fffe",  // Teredo, client 127.0.0.1
                          "::169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::",
                          "::0.0.0.0", "2002:0:0::", "::224.0.0.1"})
      EXPECT_FALSE(is_address_allowed(ip::make_address(a), p)) << a << " loopback=" << loopback;
  }
  const OriginPolicy p = policy_for({"https://ehr.example.org"});
  // Public IPv4 behind a transition prefix, and IPv6's own :: and ::1 rules, are unchanged.
  for (const char* a : {"64:ff9b::808:808", "2002:808:808::1", "2001:db8::1", "2606:4700::1111"})
    EXPECT_TRUE(is_address_allowed(ip::make_address(a), p)) << a;
  EXPECT_FALSE(is_address_allowed(ip::make_address("::"), p));
  EXPECT_FALSE(is_address_allowed(ip::make_address("::1"), p));
  OriginPolicy nets = policy_for({"https://ehr.example.org"});
  nets.forbidden.push_back(*parse_network("10.0.0.0/8"));
  for (const char* a : {"::10.1.2.3", "64:ff9b::a01:203", "2002:a01:203::",
                        "2001:0:4136:e378:8000:63bf:f5fe:fdfc"})  // Teredo, client 10.1.2.3
    EXPECT_FALSE(is_address_allowed(ip::make_address(a), nets)) << a;
}

TEST(UrlGuard, ConfiguredNetworksAreRefused) {
  OriginPolicy p = policy_for({"https://ehr.example.org"});
  p.forbidden.push_back(*parse_network("10.0.0.0/8"));
  p.forbidden.push_back(*parse_network("fd00::/8"));
  EXPECT_FALSE(is_address_allowed(ip::make_address("10.200.1.1"), p));
  EXPECT_FALSE(is_address_allowed(ip::make_address("::ffff:10.0.0.1"), p));
  EXPECT_FALSE(is_address_allowed(ip::make_address("fd12::1"), p));
  EXPECT_TRUE(is_address_allowed(ip::make_address("11.0.0.1"), p));
  EXPECT_FALSE(parse_network("10.0.0.0/33"));
  EXPECT_FALSE(parse_network("nonsense/8"));
  EXPECT_FALSE(parse_network("10.0.0.0/"));
  EXPECT_TRUE(parse_network("192.168.1.1"));
}

TEST(UrlGuard, NextLinksStayOnTheOrigin) {
  const BaseUrl base = *parse_base_url("https://ehr.example.org/fhir");
  EXPECT_EQ(same_origin_target(base, "https://ehr.example.org/fhir/Observation?page=2&x=%20"),
            "/fhir/Observation?page=2&x=%20");
  EXPECT_EQ(same_origin_target(base, "https://EHR.example.org:443/fhir/Observation?p=2"),
            "/fhir/Observation?p=2");
  EXPECT_EQ(same_origin_target(base, "Observation?page=3"), "/fhir/Observation?page=3");
  EXPECT_EQ(same_origin_target(base, "/other/Observation?page=3"), "/other/Observation?page=3");
  EXPECT_FALSE(same_origin_target(base, "https://evil.example/fhir/Observation?page=2"));
  EXPECT_FALSE(same_origin_target(base, "https://ehr.example.org:8443/fhir/Observation"));
  EXPECT_FALSE(same_origin_target(base, "https://user@ehr.example.org/fhir/Observation"));
  EXPECT_FALSE(same_origin_target(base, "//evil.example/fhir"));
  auto downgrade = same_origin_target(base, "http://ehr.example.org/fhir/Observation");
  ASSERT_FALSE(downgrade);
  EXPECT_NE(downgrade.error().find("scheme"), std::string::npos);
}

TEST(UrlGuard, TargetsAreJoinedAndEncoded) {
  const BaseUrl base = *parse_base_url("https://ehr.example.org/fhir/");
  EXPECT_EQ(target_for(base, "Observation?patient=p1&_count=200"),
            "/fhir/Observation?patient=p1&_count=200");
  EXPECT_EQ(target_for(base, "/Patient/p1"), "/fhir/Patient/p1");
  EXPECT_EQ(target_for(base, "Observation?code=a b\r\n"), "/fhir/Observation?code=a%20b%0D%0A");
}

}  // namespace
}  // namespace ibd::fhir::client
