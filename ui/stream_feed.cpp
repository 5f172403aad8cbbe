#include "ui/stream_feed.h"

#include <chrono>

#include "common/bus_contract.h"

namespace riposte::ui {

void Changes::bump() {
  std::lock_guard lock(mu_);
  ++version_;
  cv_.notify_all();
}

uint64_t Changes::wait(uint64_t seen, int timeout_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return version_ != seen; });
  return version_;
}

uint64_t Changes::current() {
  std::lock_guard lock(mu_);
  return version_;
}

Status StreamFeed::start() {
  auto alerts =
      conn_->ordered_subscribe(kAlertStream, kAlertSubjects, 1, [this](nats::Message&& m) {
        index_->add_alert(m.stream_sequence(), m.data());
        changes_->bump();
      });
  if (!alerts) return Error{"UI: reading " + std::string(kAlertStream) + ": " + alerts.error()};
  auto records =
      conn_->ordered_subscribe(kActionStream, kActionSubjects, 1, [this](nats::Message&& m) {
        index_->add_record(m.stream_sequence(), m.data());
        changes_->bump();
      });
  if (!records) return Error{"UI: reading " + std::string(kActionStream) + ": " + records.error()};
  alerts_ = std::move(*alerts);
  records_ = std::move(*records);
  return {};
}

void StreamFeed::stop() {
  alerts_.reset();
  records_.reset();
}

}  // namespace riposte::ui
