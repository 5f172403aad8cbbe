#include "audit/evaluator.h"

#include <chrono>

#include "common/log.h"

namespace riposte::audit {

Evaluator::Evaluator(const detector::rules::Ruleset& rules, detector::AlertSink* sink,
                     std::string hostname, size_t capacity_events, AuditMetrics* metrics)
    : rules_(rules),
      sink_(sink),
      hostname_(std::move(hostname)),
      capacity_(capacity_events),
      metrics_(metrics),
      thread_([this] { run(); }) {}

Evaluator::~Evaluator() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool Evaluator::offer(std::vector<detector::AuditEvent>&& events) {
  if (events.empty()) return true;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (queued_events_ + events.size() > capacity_) return false;
    queued_events_ += events.size();
    metrics_->queue_depth.set(static_cast<double>(queued_events_));
    queue_.push_back(std::move(events));
  }
  cv_.notify_one();
  return true;
}

size_t Evaluator::depth() const {
  std::lock_guard<std::mutex> l(mu_);
  return queued_events_;
}

bool Evaluator::drain(int timeout_ms) {
  std::unique_lock<std::mutex> l(mu_);
  return idle_cv_.wait_for(l, std::chrono::milliseconds(timeout_ms),
                           [&] { return queue_.empty() && !busy_; });
}

std::vector<Alert> Evaluator::evaluate(const detector::rules::Ruleset& rules,
                                       const detector::AuditEvent& event, uint64_t num,
                                       const std::string& hostname) {
  detector::Event ev = detector::make_audit_event(event, num);
  if (ev.ts_ns == 0)  // no usable timestamp in the event: when it was received
    ev.ts_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  thread_local std::vector<const detector::rules::CompiledRule*> hits;
  std::vector<Alert> out;
  rules.evaluate(ev, &hits);
  for (const auto* r : hits) out.push_back(detector::rules::make_alert(*r, ev, hostname));
  return out;
}

void Evaluator::run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is evaluated
    std::vector<detector::AuditEvent> batch = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    l.unlock();
    for (const auto& e : batch) {
      for (const Alert& a : evaluate(rules_, e, ++num_, hostname_)) {
        metrics_->alerts.inc();
        if (Status st = sink_->emit(a); !st.ok())
          log::warn("audit alert not handed to the output",
                    {{"rule", a.rule}, {"error", st.error()}});
      }
      metrics_->evaluated.inc();
    }
    l.lock();
    queued_events_ -= batch.size();
    metrics_->queue_depth.set(static_cast<double>(queued_events_));
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace riposte::audit
