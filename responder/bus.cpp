#include "responder/bus.h"

#include "common/alert.h"
#include "responder/audit.h"
#include "responder/run_ledger.h"
#include "responder/throttle.h"

namespace riposte::responder {

Status ensure_streams(nats::Connection& conn, const BusOptions& options) {
  for (const nats::StreamConfig& sc : {
           // The alert stream keeps the default duplicate window every publisher assumes (a
           // different one here would make publishers and responders update it back and forth).
           nats::StreamConfig{.name = kAlertStream,
                              .subjects = {kAlertSubjects},
                              .replicas = options.replicas},
           nats::StreamConfig{.name = kActionStream,
                              .subjects = {kActionSubjects},
                              .replicas = options.replicas,
                              .duplicate_window_ms = options.duplicate_window_ms},
           nats::StreamConfig{.name = kDeadLetterStream,
                              .subjects = {kDeadLetterSubjects},
                              .replicas = options.replicas},
       }) {
    if (Status st = conn.ensure_stream(sc); !st.ok()) return st;
  }
  return {};
}

Result<Buckets> open_buckets(nats::Connection& conn, const BusOptions& options) {
  Buckets b;
  auto runs = conn.key_value(kRunsBucket, options.run_ttl_ms, options.replicas);
  if (!runs) return runs.err();
  // Cooldown windows may last up to a week (the longest duration a playbook accepts).
  auto cooldowns = conn.key_value(kCooldownBucket, 8LL * 24 * 3600 * 1000, options.replicas);
  if (!cooldowns) return cooldowns.err();
  // Rate windows are one minute long.
  auto rates = conn.key_value(kRateBucket, 3 * 60 * 1000, options.replicas);
  if (!rates) return rates.err();
  b.runs = std::move(*runs);
  b.cooldowns = std::move(*cooldowns);
  b.rates = std::move(*rates);
  return b;
}

}  // namespace riposte::responder
