// Issue 13 item 10 (SEC-94): lines a client can provoke are rate-limited per address and
// reason, with a count of the suppressed ones on the next line written.
#include "server/log_limit.hpp"

#include <gtest/gtest.h>

namespace ibd::server {
namespace {

using namespace std::chrono_literals;

TEST(LogLimiter, BurstThenSuppressedThenCountedAfterTheWindow) {
  LogLimiter limiter({3, 10'000ms, 100});
  const auto t0 = LogLimiter::Clock::now();
  std::uint64_t suppressed = 99;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.allow("10.0.0.1", "no Bearer token", suppressed, t0 + 1ms * i));
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 50; ++i)
    EXPECT_FALSE(limiter.allow("10.0.0.1", "no Bearer token", suppressed, t0 + 5s));
  // Another reason, another address: their own budgets.
  EXPECT_TRUE(limiter.allow("10.0.0.1", "unknown issuer", suppressed, t0 + 5s));
  EXPECT_TRUE(limiter.allow("10.0.0.2", "no Bearer token", suppressed, t0 + 5s));
  // A new window: the first line written carries the count.
  EXPECT_TRUE(limiter.allow("10.0.0.1", "no Bearer token", suppressed, t0 + 11s));
  EXPECT_EQ(suppressed, 50u);
  EXPECT_EQ(LogLimiter::suffix(suppressed), " (50 similar lines suppressed)");
  EXPECT_EQ(LogLimiter::suffix(1), " (1 similar line suppressed)");
  EXPECT_EQ(LogLimiter::suffix(0), "");
  EXPECT_TRUE(limiter.allow("10.0.0.1", "no Bearer token", suppressed, t0 + 11s));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogLimiter, ManyAddressesShareOneOverflowBucket) {
  LogLimiter limiter({2, 10'000ms, 4});
  const auto t0 = LogLimiter::Clock::now();
  std::uint64_t suppressed = 0;
  int written = 0;
  for (int i = 0; i < 1000; ++i)
    written += limiter.allow("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                             "garbage", suppressed, t0) ? 1 : 0;
  // Four keys of their own (two lines each at most), then one shared bucket (two lines).
  EXPECT_LE(written, 4 * 2 + 2);
}

}  // namespace
}  // namespace ibd::server
