// A bounded queue and one publisher thread in front of a blocking sink. emit() never blocks:
// when the queue is full the alert is dropped and counted (the counter is exported and is
// expected to stay zero). A failing sink is retried with back-off, in order, so a NATS
// outage delays alerts instead of losing them until the queue overflows.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "detector/output/alert_sink.h"

namespace riposte::detector {

class AsyncSink final : public AlertSink {
 public:
  AsyncSink(AlertSink* inner, size_t capacity);
  ~AsyncSink() override;  // drains what is queued (bounded wait), then stops

  Status emit(const Alert& alert) override;
  // Waits until the queue is empty or timeout_ms passes; true when drained.
  bool drain(int timeout_ms);

  uint64_t dropped() const { return dropped_.load(); }
  uint64_t published() const { return published_.load(); }
  uint64_t failures() const { return failures_.load(); }
  size_t depth() const;

 private:
  void run();

  AlertSink* inner_;
  size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Alert> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::atomic<uint64_t> dropped_{0}, published_{0}, failures_{0};
  std::thread thread_;
};

}  // namespace riposte::detector
