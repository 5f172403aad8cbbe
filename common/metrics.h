// A small Prometheus registry. Metrics are created once (registration takes a lock) and then
// updated from hot paths with lock-free atomics; render() produces text exposition format
// 0.0.4 for the /metrics endpoint.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace riposte {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  // Negative increments are ignored: a counter only goes up.
  void inc(double v = 1.0) {
    if (v > 0) value_.fetch_add(v, std::memory_order_relaxed);
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1.0) { value_.fetch_sub(v, std::memory_order_relaxed); }
  // The value is computed at scrape time (e.g. a queue depth); replaces set()/inc() values.
  void set_function(std::function<double()> fn);
  double value() const;

 private:
  std::atomic<double> value_{0.0};
  std::atomic<bool> has_fn_{false};
  mutable std::mutex fn_mu_;
  std::function<double()> fn_;
};

class Histogram {
 public:
  // bounds: upper bounds, sorted ascending on construction; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then the +Inf bucket (== count).
  std::vector<uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0.0};
};

// Buckets for durations in seconds, 1ms to 10s.
std::vector<double> default_latency_buckets();

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The same name and labels (in any order) return the same object; references stay valid for
  // the registry's lifetime, so look a metric up once and keep the reference (lookups lock).
  // Reusing a name with another type (or a histogram with other buckets) is a programming error: it
  // is logged and answered with a metric that is never rendered.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       std::vector<double> buckets, const Labels& labels = {});

  // Gauge functions run here, under the registry's lock: they must not register metrics.
  std::string render() const;

 private:
  struct Family;
  struct Series;
  Series& series(const std::string& name, const std::string& help, int type,
                 const std::vector<double>* buckets, const Labels& labels);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;  // in registration order
  std::vector<std::unique_ptr<Series>> orphans_;   // conflicting registrations
};

// Text-format escaping, exposed for tests.
std::string escape_label_value(const std::string& v);
std::string format_metric_value(double v);

}  // namespace riposte
