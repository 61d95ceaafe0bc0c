// Rate limit for log lines a client can provoke at will (refused tokens, malformed requests):
// per key (the client's address and a fixed reason class, never client text) at most `burst`
// lines per `window`; the rest are counted, and the next line written for that key says how
// many similar lines were suppressed. Bounded memory: at most `max_keys` keys, beyond which
// every new key shares one overflow bucket. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace ibd::server {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::size_t burst = 20;
    std::chrono::milliseconds window{10'000};
    std::size_t max_keys = 4096;
  };
  LogLimiter() = default;
  explicit LogLimiter(Options options) : options_(options) {}

  // Whether to write the line for (address, reason); when it may, `suppressed` receives the
  // number of lines held back for that key since the last line written (0 if none).
  bool allow(std::string_view address, std::string_view reason, std::uint64_t& suppressed,
             Clock::time_point now = Clock::now());

  // The text to append to a line that is written: "" or " (N similar lines suppressed)".
  static std::string suffix(std::uint64_t suppressed);

  // The limiter the listener and the authenticator share.
  static LogLimiter& shared();

 private:
  struct Bucket {
    Clock::time_point window_start{};
    std::size_t written = 0;
    std::uint64_t suppressed = 0;
  };
  Options options_;
  std::mutex mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace ibd::server
