// The listener's edge: TLS (with a test CA, mutual TLS) and the connection cap, on the real
// binary. TLS clients are curl and openssl, as an integration engineer would try it.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "tests/integration/fixtures.hpp"

namespace ibd::testing {
namespace {

struct Shell {
  int status;
  std::string out;
};
Shell sh(const std::string& command) {
  Shell r{-1, {}};
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

// The shipped config with server keys added under server:.
std::string config_with(const TempDir& dir, const std::string& server_lines,
                        const std::string& max_connections = "1024") {
  const std::string cfg = dir.path() + "/ibd-cds.yaml";
  write_config(cfg, "  enabled: false\n");
  std::ifstream in(cfg);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto tls = text.find("  tls:\n");
  EXPECT_NE(tls, std::string::npos);
  const auto end = text.find("\n\n", tls);
  text.replace(tls, end - tls, server_lines);
  const std::string cap = "  max_connections: 1024";
  const auto at = text.find(cap);
  EXPECT_NE(at, std::string::npos);
  text.replace(at, cap.size(), "  max_connections: " + max_connections);
  std::ofstream(cfg) << text;
  return cfg;
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = dir_.path() + "/certs";
    ASSERT_EQ(sh(fhir_servers_dir() + "/make-test-certs.sh " + certs_).status, 0);
  }
  TempDir dir_;
  std::string certs_;
};

TEST_F(Tls, ServesHttpsWithTheConfiguredCertificate) {
  const std::string cfg = config_with(dir_, "  tls:\n    cert_file: " + certs_ +
                                                "/server.pem\n    key_file: " + certs_ +
                                                "/server.key");
  ServerProcess server({}, cfg);
  ASSERT_TRUE(server.running()) << server.log();
  EXPECT_NE(server.banner().find("https://127.0.0.1:"), std::string::npos) << server.banner();
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port());
  auto ok = sh("curl -sS --cacert " + certs_ + "/ca.pem " + url + "/cds-services");
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_NE(ok.out.find("ibd-patient-view"), std::string::npos) << ok.out;
  // An unknown CA, TLS 1.1 and plain HTTP on the TLS port all fail.
  EXPECT_NE(sh("curl -sS " + url + "/health").status, 0);
  EXPECT_NE(sh("curl -sS --cacert " + certs_ + "/ca.pem --tls-max 1.1 " + url + "/health").status,
            0);
  auto plain = http(server.port(), "GET", "/health");
  EXPECT_TRUE(!plain || plain->status != 200);
  // A client that never finishes the handshake is dropped at the handshake deadline, and the
  // server still serves others.
  HttpConnection silent("127.0.0.1", server.port());
  ASSERT_TRUE(silent.ok());
  EXPECT_EQ(sh("curl -sS --cacert " + certs_ + "/ca.pem " + url + "/health").status, 0);
}

TEST_F(Tls, MutualTlsNeedsAClientCertificate) {
  const std::string c = certs_;
  // A client certificate signed by the test CA.
  ASSERT_EQ(sh("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "
               "/CN=ehr-client -keyout " + dir_.path() + "/client.key -out " + dir_.path() +
               "/client.csr && printf 'extendedKeyUsage=clientAuth\\n' > " + dir_.path() +
               "/ext && openssl x509 -req -in " + dir_.path() + "/client.csr -CA " + c +
               "/ca.pem -CAkey " + c + "/ca.key -CAcreateserial -days 2 -extfile " + dir_.path() +
               "/ext -out " + dir_.path() + "/client.pem")
                .status,
            0);
  const std::string cfg = config_with(
      dir_, "  tls:\n    cert_file: " + c + "/server.pem\n    key_file: " + c +
                "/server.key\n    client_ca_file: " + c + "/ca.pem");
  ServerProcess server({}, cfg);
  ASSERT_TRUE(server.running()) << server.log();
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/health";
  EXPECT_NE(sh("curl -sS --cacert " + c + "/ca.pem " + url).status, 0);
  auto with = sh("curl -sS --cacert " + c + "/ca.pem --cert " + dir_.path() + "/client.pem --key " +
                 dir_.path() + "/client.key " + url);
  EXPECT_EQ(with.status, 0) << with.out;
  // A certificate from another CA is refused too.
  EXPECT_NE(sh("curl -sS --cacert " + c + "/ca.pem --cert " + c + "/untrusted.pem --key " + c +
               "/untrusted.key " + url)
                .status,
            0);
}

TEST_F(Tls, BadTlsFilesStopStartUp) {
  const std::string cfg = config_with(dir_, "  tls:\n    cert_file: " + certs_ +
                                                "/server.pem\n    key_file: " + certs_ +
                                                "/wrong-name.key");
  auto r = run_binary({"serve", "--config", cfg, "--listen", "127.0.0.1:0", "--profile",
                       "development"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("server.tls: cannot load the key"), std::string::npos) << r.err;
}

TEST(ConnectionCap, ConnectionsOverTheCapGet503) {
  TempDir dir;
  const std::string cfg = config_with(dir, "  tls:\n    cert_file: \"\"", "2");
  ServerProcess server({}, cfg);
  ASSERT_TRUE(server.running()) << server.log();
  auto a = std::make_unique<HttpConnection>("127.0.0.1", server.port());
  HttpConnection b("127.0.0.1", server.port());
  ASSERT_TRUE(a->ok() && b.ok());
  ASSERT_TRUE(a->request("GET", "/health"));  // both are live sessions now
  ASSERT_TRUE(b.request("GET", "/health"));
  auto third = http(server.port(), "GET", "/health");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 503);
  EXPECT_EQ(third->header("retry-after"), "1");
  // Once one closes, a new connection is served again.
  a.reset();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto r = http(server.port(), "GET", "/health");
    served = r && r->status == 200;
  }
  EXPECT_TRUE(served);
}

}  // namespace
}  // namespace ibd::testing
