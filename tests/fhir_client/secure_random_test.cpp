// Issue 13 item 12 (SEC-97): card uuids come from OpenSSL's CSPRNG, not a 32-bit-seeded
// mt19937_64.
#include "fhir/client/secure_random.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace ibd::fhir::client {
namespace {

TEST(SecureRandom, UuidsAreVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::string u = secure_uuid_v4();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[8], '-');
    EXPECT_EQ(u[13], '-');
    EXPECT_EQ(u[18], '-');
    EXPECT_EQ(u[23], '-');
    EXPECT_EQ(u[14], '4') << u;
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
    EXPECT_TRUE(seen.insert(u).second) << "repeated " << u;
  }
}

TEST(SecureRandom, BytesAreNotConstant) {
  std::array<unsigned char, 64> a{}, b{};
  secure_random_bytes(a.data(), a.size());
  secure_random_bytes(b.data(), b.size());
  EXPECT_NE(a, b);
  // Every bit position takes both values over 64 random bytes (fails with chance ~2^-60).
  unsigned ones = 0, zeros = 0;
  for (unsigned char c : a) {
    ones |= c;
    zeros |= static_cast<unsigned char>(~c);
  }
  EXPECT_EQ(ones & 0xFF, 0xFFu);
  EXPECT_EQ(zeros & 0xFF, 0xFFu);
}

}  // namespace
}  // namespace ibd::fhir::client
