#include "server/log_limit.hpp"

namespace ibd::server {

bool LogLimiter::allow(std::string_view address, std::string_view reason,
                       std::uint64_t& suppressed, Clock::time_point now) {
  suppressed = 0;
  std::string key;
  key.reserve(address.size() + reason.size() + 1);
  key.append(address).push_back('\n');
  key.append(reason);
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_keys) {
      // Forget keys whose window is over and that hold nothing back.
      std::erase_if(buckets_, [&](const auto& entry) {
        return entry.second.suppressed == 0 &&
               now - entry.second.window_start >= options_.window;
      });
    }
    if (buckets_.size() >= options_.max_keys) key = "*\n*";  // the overflow bucket
    it = buckets_.try_emplace(std::move(key)).first;
  }
  Bucket& b = it->second;
  if (b.written == 0 || now - b.window_start >= options_.window) {
    b.window_start = now;
    b.written = 0;
  }
  if (b.written >= options_.burst) {
    ++b.suppressed;
    return false;
  }
  ++b.written;
  suppressed = b.suppressed;
  b.suppressed = 0;
  return true;
}

std::string LogLimiter::suffix(std::uint64_t suppressed) {
  if (suppressed == 0) return {};
  return " (" + std::to_string(suppressed) + " similar line" + (suppressed == 1 ? "" : "s") +
         " suppressed)";
}

LogLimiter& LogLimiter::shared() {
  static LogLimiter limiter;
  return limiter;
}

}  // namespace ibd::server
