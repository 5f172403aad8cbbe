// Cooldowns and rate limits shared by every replica through JetStream key-value buckets, so
// that N replicas throttle like one. Updates are compare-and-set; a lost race is retried.
//
// Cooldown: one playbook run per target per period. The alerts in between are suppressed and
// counted in the window's record; once the window is over, one audit record reports the count
// (published by whichever replica gets there first: see Cooldowns::sweep).
// Rate limit: actions (steps that would send requests) per minute, globally and per
// namespace, in fixed one-minute windows.
// Both tell time by one clock for every replica: the NATS server's (ServerClock), never a
// replica's own wall clock, so replicas whose clocks disagree still throttle like one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/bus_contract.h"
#include "common/nats.h"
#include "common/result.h"

namespace riposte::responder {

using ::riposte::kCooldownBucket;  // common/bus_contract.h
using ::riposte::kRateBucket;

// ns since the epoch; every replica must read the same clock (ServerClock::now_ns).
using SharedClock = std::function<int64_t()>;

class Cooldowns {
 public:
  struct Decision {
    bool acquired = false;      // a new window started: run the playbook
    uint64_t suppressed = 0;    // !acquired: suppressed alerts in the window so far
    // acquired: the window this one replaced, when its suppressed alerts were not reported
    // yet (the caller reports them).
    std::optional<nlohmann::json> unreported;
  };

  Cooldowns(nats::KeyValue* kv, SharedClock now) : kv_(kv), now_(std::move(now)) {}

  // run: the run that starts a window (its alert id), recorded in the window.
  Result<Decision> enter(const std::string& playbook, const std::string& target,
                         int64_t period_ms, const std::string& run);
  // Reports (once, across replicas) the windows this process suppressed alerts in that are
  // over now. publish gets the window record and returns whether it was recorded. now_ns 0:
  // the clock (tests pass a later time instead of waiting for a window to close).
  void sweep(const std::function<bool(const nlohmann::json& window)>& publish, int64_t now_ns = 0);

 private:
  nats::KeyValue* kv_;
  SharedClock now_;
  std::mutex mu_;
  std::map<std::string, int64_t> pending_;  // key -> until_ns of a window we suppressed in
};

class RateLimiter {
 public:
  // 0: no limit. now: the clock that picks the minute window.
  RateLimiter(nats::KeyValue* kv, int global_per_minute, int namespace_per_minute, SharedClock now)
      : kv_(kv),
        global_(global_per_minute),
        per_namespace_(namespace_per_minute),
        now_(std::move(now)) {}

  // Counts one action in namespace ns ("" when unknown); the reason when over a limit. The
  // limiter fails open (with a warning) when the bucket cannot be reached: the run was
  // claimed through the same server a moment ago.
  std::optional<std::string> admit(const std::string& ns);
  bool enabled() const { return global_ > 0 || per_namespace_ > 0; }

 private:
  // true: counted; false: the window is full.
  Result<bool> take(const std::string& scope, int limit);

  nats::KeyValue* kv_;
  int global_;
  int per_namespace_;
  SharedClock now_;
};

}  // namespace riposte::responder
