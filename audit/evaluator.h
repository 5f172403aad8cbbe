// Evaluates queued audit events against the k8s_audit rules on one thread and hands the
// alerts to a sink. The webhook answers as soon as a batch is queued, so the API server never
// waits on rule evaluation or on NATS; the queue is bounded in events, and a batch that does
// not fit is refused whole (the API server retries it).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_metrics.h"
#include "detector/event/audit_event.h"
#include "detector/output/alert_sink.h"
#include "detector/rules/ruleset.h"

namespace riposte::audit {

class Evaluator {
 public:
  Evaluator(const detector::rules::Ruleset& rules, detector::AlertSink* sink, std::string hostname,
            size_t capacity_events, AuditMetrics* metrics);
  ~Evaluator();  // evaluates what is queued, then stops
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Queues the events; false (nothing queued) when they would exceed the capacity.
  bool offer(std::vector<detector::AuditEvent>&& events);
  // Waits until everything queued is evaluated, at most timeout_ms; true when it is.
  bool drain(int timeout_ms);
  size_t depth() const;

  // Evaluates one event now, on the caller's thread: the alerts it raises, in rule order.
  static std::vector<Alert> evaluate(const detector::rules::Ruleset& rules,
                                     const detector::AuditEvent& event, uint64_t num,
                                     const std::string& hostname);

 private:
  void run();

  const detector::rules::Ruleset& rules_;
  detector::AlertSink* sink_;
  std::string hostname_;
  size_t capacity_;
  AuditMetrics* metrics_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::vector<detector::AuditEvent>> queue_;
  size_t queued_events_ = 0;
  bool busy_ = false;
  bool stop_ = false;
  uint64_t num_ = 0;
  std::thread thread_;
};

}  // namespace riposte::audit
