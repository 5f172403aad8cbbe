// The responder's JetStream objects, created (or updated) at start by every replica alike:
// streams RIPOSTE_ALERTS, RIPOSTE_ACTIONS (audit) and RIPOSTE_DEADLETTER, and the key-value
// buckets for run records, cooldowns and rate limits, all with the same replica count.
#pragma once

#include <cstdint>
#include <memory>

#include "common/nats.h"
#include "common/result.h"

namespace riposte::responder {

struct BusOptions {
  int replicas = 1;
  // How long run records (idempotency keys) live: longer than any redelivery of an alert and
  // than the stream's duplicate window, or a late duplicate could run again.
  int64_t run_ttl_ms = 3600 * 1000;
  int64_t duplicate_window_ms = 10 * 60 * 1000;  // of the audit stream
};

struct Buckets {
  std::unique_ptr<nats::KeyValue> runs;
  std::unique_ptr<nats::KeyValue> cooldowns;
  std::unique_ptr<nats::KeyValue> rates;
};

Status ensure_streams(nats::Connection& conn, const BusOptions& options);
Result<Buckets> open_buckets(nats::Connection& conn, const BusOptions& options);

}  // namespace riposte::responder
