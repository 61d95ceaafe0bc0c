// Writes audit records to the store off the request path: the hook route hands a record over
// and answers at once; one writer thread appends everything queued in one transaction (group
// commit), so many concurrent calls cost one fsync.
//
// When the database refuses (down, full), records stay queued and are retried; the failure is
// logged and shows in health() (and /health). Past queue_limit, new records are dropped and
// counted as lost, which health() reports until restart. Feedback on a card whose record is
// still queued waits for it (wait_for_card): a card is only ever accepted once its record is
// durable. stop() (and the destructor) drains the queue for up to the grace period.
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "server/store/store.hpp"

namespace ibd::server {

struct AuditHealth {
  bool ok = true;            // the last write succeeded and nothing was lost
  std::size_t pending = 0;   // records queued
  std::uint64_t written = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t lost = 0;
  std::string last_error;    // the database's message; never record contents
};

struct AuditWriterOptions {
  std::size_t queue_limit = 10000;
  std::size_t batch_limit = 256;  // records per transaction
  std::chrono::milliseconds retry_delay{500};
};

class AuditWriter {
 public:
  AuditWriter(std::shared_ptr<store::Store> store, AuditWriterOptions options = {});
  ~AuditWriter();
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Never waits for I/O. Returns the record's ticket, 0 when it was lost (queue full).
  std::uint64_t submit(store::AuditAppend record);
  // Calls `done` (on the writer's thread, or at once on the caller's) when the record with
  // that ticket is committed, or given up on. Keep `done` short; it must not throw.
  void notify_when_written(std::uint64_t ticket, std::function<void()> done);
  // True while the last attempt to write failed.
  bool failing() const;
  void count_lost(std::uint64_t n);

  enum class CardWait {
    kNotQueued,  // not waiting to be written (written already, or never issued here)
    kDurable,    // was queued; now committed
    kTimedOut,   // still queued (the database is failing)
  };
  CardWait wait_for_card(const std::string& uuid, std::chrono::milliseconds timeout);
  // Waits until everything submitted so far is written; false on timeout.
  bool flush(std::chrono::milliseconds timeout);
  AuditHealth health() const;
  void stop(std::chrono::milliseconds grace);

 private:
  struct Entry {
    std::uint64_t ticket;
    store::AuditAppend record;
  };
  void run();
  // Takes the callbacks whose tickets are written; call them after unlocking.
  std::vector<std::function<void()>> take_written_callbacks();

  std::shared_ptr<store::Store> store_;
  AuditWriterOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;      // the writer: work or stop
  std::condition_variable progress_;  // waiters: something was committed
  std::deque<Entry> queue_;
  std::unordered_map<std::string, std::uint64_t> queued_cards_;
  std::multimap<std::uint64_t, std::function<void()>> callbacks_;
  std::uint64_t next_ticket_ = 1;
  std::uint64_t durable_ticket_ = 0;  // every ticket up to this one is committed (or lost)
  bool stopping_ = false;
  std::chrono::steady_clock::time_point give_up_at_{};
  AuditHealth health_;
  bool failing_ = false;
  std::chrono::steady_clock::time_point last_failure_log_{};
  std::thread thread_;
};

}  // namespace ibd::server
