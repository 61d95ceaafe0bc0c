#include "server/audit_writer.hpp"

#include <spdlog/spdlog.h>

#include <vector>

namespace ibd::server {

AuditWriter::AuditWriter(std::shared_ptr<store::Store> store, AuditWriterOptions options)
    : store_(std::move(store)), options_(options) {
  thread_ = std::thread([this] { run(); });
}

AuditWriter::~AuditWriter() { stop(std::chrono::seconds(5)); }

std::uint64_t AuditWriter::submit(store::AuditAppend record) {
  std::lock_guard lock(mutex_);
  if (stopping_ || queue_.size() >= options_.queue_limit) {
    ++health_.lost;
    health_.ok = false;
    spdlog::error("audit: record lost ({}): {} lost so far",
                  stopping_ ? "shutting down" : "queue full", health_.lost);
    return 0;
  }
  const std::uint64_t ticket = next_ticket_++;
  for (const store::IssuedCard& c : record.cards) queued_cards_[c.uuid] = ticket;
  queue_.push_back({ticket, std::move(record)});
  wake_.notify_one();
  return ticket;
}

void AuditWriter::notify_when_written(std::uint64_t ticket, std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (ticket > durable_ticket_) {
      callbacks_.emplace(ticket, std::move(done));
      return;
    }
  }
  done();
}

bool AuditWriter::failing() const {
  std::lock_guard lock(mutex_);
  return failing_;
}

std::vector<std::function<void()>> AuditWriter::take_written_callbacks() {
  std::vector<std::function<void()>> out;
  const auto end = callbacks_.upper_bound(durable_ticket_);
  for (auto it = callbacks_.begin(); it != end; ++it) out.push_back(std::move(it->second));
  callbacks_.erase(callbacks_.begin(), end);
  return out;
}

void AuditWriter::count_lost(std::uint64_t n) {
  std::lock_guard lock(mutex_);
  health_.lost += n;
  health_.ok = false;
  spdlog::error("audit: record lost (could not be built): {} lost so far", health_.lost);
}

AuditWriter::CardWait AuditWriter::wait_for_card(const std::string& uuid,
                                                 std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto it = queued_cards_.find(uuid);
  if (it == queued_cards_.end()) return CardWait::kNotQueued;
  const std::uint64_t ticket = it->second;
  return progress_.wait_for(lock, timeout, [&] { return durable_ticket_ >= ticket; })
             ? CardWait::kDurable
             : CardWait::kTimedOut;
}

bool AuditWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = next_ticket_ - 1;
  return progress_.wait_for(lock, timeout, [&] { return durable_ticket_ >= ticket; });
}

AuditHealth AuditWriter::health() const {
  std::lock_guard lock(mutex_);
  AuditHealth h = health_;
  h.pending = queue_.size();
  h.ok = !failing_ && h.lost == 0;
  return h;
}

void AuditWriter::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      give_up_at_ = std::chrono::steady_clock::now() + grace;
    }
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::multimap<std::uint64_t, std::function<void()>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(callbacks_);
  }
  for (auto& [ticket, done] : left) done();
}

void AuditWriter::run() {
  std::unique_lock lock(mutex_);
  bool one_at_a_time = false;  // after a refused batch: find the record that is refused
  while (true) {
    wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) break;  // stopping, nothing left
    if (stopping_ && std::chrono::steady_clock::now() >= give_up_at_) {
      health_.lost += queue_.size();
      spdlog::error("audit: {} record(s) not written at shutdown (the database kept failing)",
                    queue_.size());
      durable_ticket_ = queue_.back().ticket;
      queue_.clear();
      queued_cards_.clear();
      progress_.notify_all();
      auto callbacks = take_written_callbacks();
      lock.unlock();
      for (auto& done : callbacks) done();
      lock.lock();
      break;
    }
    const std::size_t n =
        std::min(queue_.size(), one_at_a_time ? std::size_t{1} : options_.batch_limit);
    std::vector<store::AuditAppend> batch;
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) batch.push_back(queue_[i].record);
    lock.unlock();
    auto written = store_->append_audit(batch);
    lock.lock();
    const auto now = std::chrono::steady_clock::now();
    const bool refused = !written && written.error().kind != store::StoreError::Kind::kUnavailable;
    if (written || (refused && n == 1)) {
      if (!written) {
        // This one record can never be written (a bug, not an outage): drop it so the
        // records behind it are not held up forever.
        ++health_.lost;
        spdlog::error("audit: a record was refused and dropped: {}", written.error().message);
      } else {
        health_.written += n;
      }
      for (std::size_t i = 0; i < n; ++i) {
        for (const store::IssuedCard& c : queue_.front().record.cards) {
          const auto it = queued_cards_.find(c.uuid);
          if (it != queued_cards_.end() && it->second == queue_.front().ticket)
            queued_cards_.erase(it);
        }
        durable_ticket_ = queue_.front().ticket;
        queue_.pop_front();
      }
      if (written && failing_)
        spdlog::warn("audit: writing again after {} failed attempt(s)", health_.failed_attempts);
      if (written) {
        failing_ = false;
        one_at_a_time = false;
      }
      progress_.notify_all();
      auto callbacks = take_written_callbacks();
      lock.unlock();
      for (auto& done : callbacks) done();
      lock.lock();
      continue;
    }
    ++health_.failed_attempts;
    health_.last_error = written.error().message;
    if (refused) one_at_a_time = true;
    if (!failing_ || now - last_failure_log_ >= std::chrono::seconds(30)) {
      spdlog::error("audit: cannot write {} record(s), will retry: {}", n,
                    written.error().message);
      last_failure_log_ = now;
    }
    failing_ = true;
    wake_.wait_for(lock, options_.retry_delay, [&] {
      return stopping_ && std::chrono::steady_clock::now() >= give_up_at_;
    });
  }
}

}  // namespace ibd::server
