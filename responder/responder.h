// The responder's alert side, wired in one place: streams and key-value buckets, the run
// ledger, the server clock, cooldowns and rate limits, the audit log, and the workers that
// consume alerts, plus the sweep that reports closed cooldown windows. riposte-responder's
// main, the in-process test responder and the benchmark all build it here, so what the
// tests exercise is what ships.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/nats.h"
#include "common/result.h"
#include "responder/alert_consumer.h"
#include "responder/audit.h"
#include "responder/bus.h"
#include "responder/responder_metrics.h"
#include "responder/run_ledger.h"
#include "responder/server_clock.h"
#include "responder/throttle.h"

namespace riposte::responder {

struct ResponderConfig {
  BusOptions bus;
  ConsumerOptions consumer;  // replica name, batch, deliveries, backoff, dry-run
  std::string durable = "riposte-responder";
  int workers = 1;
  // --ack-wait: the alerts' redelivery and the runs' lease (renewed every third of it).
  int64_t lease_ms = 30000;
  int rate_global = 0;     // actions per minute across replicas (0: no limit)
  int rate_namespace = 0;  // per namespace
  // The clock of the rate-limit minutes; empty: the server clock. Tests pin one minute.
  SharedClock rate_clock;
};

class Responder {
 public:
  using EngineSource = std::function<std::shared_ptr<const playbook::Engine>()>;

  // Creates the streams, buckets and durable consumer; nothing is fetched before start().
  static Result<std::unique_ptr<Responder>> create(nats::Connection* conn, EngineSource engine,
                                                   ResponderMetrics* metrics,
                                                   ResponderConfig config);
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Starts the workers and the cooldown sweep.
  void start();
  // Stops them (each finishes the batch in hand) and waits.
  void stop();

  Buckets& buckets() { return buckets_; }
  RunLedger& ledger() { return *ledger_; }
  Cooldowns& cooldowns() { return *cooldowns_; }
  AuditLog& audit() { return *audit_; }

 private:
  Responder() = default;

  ResponderConfig config_;
  Buckets buckets_;
  std::unique_ptr<RunLedger> ledger_;
  std::unique_ptr<ServerClock> clock_;
  std::unique_ptr<Cooldowns> cooldowns_;
  std::unique_ptr<RateLimiter> rates_;
  std::unique_ptr<AuditLog> audit_;
  std::vector<std::unique_ptr<nats::PullConsumer>> pulls_;
  std::vector<std::unique_ptr<AlertConsumer>> consumers_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

}  // namespace riposte::responder
