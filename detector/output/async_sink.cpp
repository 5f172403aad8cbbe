#include "detector/output/async_sink.h"

#include <chrono>

#include "common/log.h"

namespace riposte::detector {

AsyncSink::AsyncSink(AlertSink* inner, size_t capacity)
    : inner_(inner), capacity_(capacity), thread_([this] { run(); }) {}

AsyncSink::~AsyncSink() {
  drain(2000);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Status AsyncSink::emit(const Alert& alert) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= capacity_) {
      dropped_.fetch_add(1);
      return Error{"alert queue full: alert dropped"};
    }
    queue_.push_back(alert);
  }
  cv_.notify_one();
  return {};
}

size_t AsyncSink::depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

bool AsyncSink::drain(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [this] { return queue_.empty() && !busy_; });
}

void AsyncSink::run() {
  int backoff_ms = 50;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Alert alert = queue_.front();
    busy_ = true;
    lock.unlock();
    Status st = inner_->emit(alert);
    lock.lock();
    busy_ = false;
    if (st.ok()) {
      queue_.pop_front();
      published_.fetch_add(1);
      backoff_ms = 50;
      if (queue_.empty()) idle_cv_.notify_all();
      continue;
    }
    failures_.fetch_add(1);
    log::warn("alert publish failed; will retry", {{"error", st.error()}, {"retry_ms", backoff_ms}});
    cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stop_; });
    backoff_ms = std::min(backoff_ms * 2, 2000);
  }
}

}  // namespace riposte::detector
