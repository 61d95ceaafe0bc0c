// A Store that forwards to a real one until told to fail: writes and/or reads then answer
// kUnavailable, as a database that is down or full would. For the writer and feedback tests.
#pragma once

#include <atomic>
#include <memory>

#include "server/store/store.hpp"

namespace ibd::testing {

class FailingStore final : public store::Store {
 public:
  explicit FailingStore(std::shared_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> fail_writes{false};
  std::atomic<bool> fail_reads{false};
  std::atomic<int> append_calls{0};

  const char* backend() const override { return inner_->backend(); }
  int schema_version() const override { return inner_->schema_version(); }
  store::Result<std::vector<std::int64_t>> append_audit(
      const std::vector<store::AuditAppend>& r) override {
    ++append_calls;
    if (fail_writes) return down<std::vector<std::int64_t>>();
    return inner_->append_audit(r);
  }
  store::Result<store::ChainHead> chain_head() override {
    if (fail_reads) return down<store::ChainHead>();
    return inner_->chain_head();
  }
  store::Result<std::vector<store::AuditRow>> audit_page(std::int64_t a, std::size_t l) override {
    if (fail_reads) return down<std::vector<store::AuditRow>>();
    return inner_->audit_page(a, l);
  }
  store::Result<std::optional<store::IssuedCard>> find_card(const std::string& u) override {
    if (fail_reads) return down<std::optional<store::IssuedCard>>();
    return inner_->find_card(u);
  }
  store::Result<std::vector<store::IssuedCard>> cards_issued(std::int64_t f,
                                                             std::int64_t t) override {
    if (fail_reads) return down<std::vector<store::IssuedCard>>();
    return inner_->cards_issued(f, t);
  }
  store::Result<store::FeedbackSaved> save_feedback(
      const std::vector<store::FeedbackRow>& rows) override {
    if (fail_writes) return down<store::FeedbackSaved>();
    return inner_->save_feedback(rows);
  }
  store::Result<std::vector<store::FeedbackWithRule>> feedback_for_cards_issued(
      std::int64_t f, std::int64_t t) override {
    if (fail_reads) return down<std::vector<store::FeedbackWithRule>>();
    return inner_->feedback_for_cards_issued(f, t);
  }
  store::Result<std::vector<store::FeedbackRow>> feedback_of_card(const std::string& c) override {
    if (fail_reads) return down<std::vector<store::FeedbackRow>>();
    return inner_->feedback_of_card(c);
  }

 private:
  template <class T>
  static store::Result<T> down() {
    return std::unexpected(
        store::StoreError{store::StoreError::Kind::kUnavailable, "test: the database is down"});
  }
  std::shared_ptr<store::Store> inner_;
};

}  // namespace ibd::testing
