#include "responder/responder.h"

#include <chrono>

#include "common/log.h"

namespace riposte::responder {

Result<std::unique_ptr<Responder>> Responder::create(nats::Connection* conn, EngineSource engine,
                                                     ResponderMetrics* metrics,
                                                     ResponderConfig config) {
  std::unique_ptr<Responder> r(new Responder());
  r->config_ = std::move(config);
  const ResponderConfig& c = r->config_;
  if (Status st = ensure_streams(*conn, c.bus); !st.ok())
    return Error{"NATS streams: " + st.error()};
  auto buckets = open_buckets(*conn, c.bus);
  if (!buckets) return Error{"NATS key-value: " + buckets.error()};
  r->buckets_ = std::move(*buckets);
  const std::string& replica = c.consumer.replica;
  r->ledger_ = std::make_unique<RunLedger>(r->buckets_.runs.get(), replica, c.lease_ms);
  // Cooldown windows and rate minutes on the NATS server's clock, not this replica's.
  r->clock_ = std::make_unique<ServerClock>(r->buckets_.cooldowns.get(), replica);
  if (Status st = r->clock_->sync(); !st.ok()) return st.err();
  const SharedClock now = [clock = r->clock_.get()] { return clock->now_ns(); };
  r->cooldowns_ = std::make_unique<Cooldowns>(r->buckets_.cooldowns.get(), now);
  r->rates_ = std::make_unique<RateLimiter>(r->buckets_.rates.get(), c.rate_global,
                                            c.rate_namespace, c.rate_clock ? c.rate_clock : now);
  r->audit_ = std::make_unique<AuditLog>(conn);
  ConsumerDeps deps{conn,
                    std::move(engine),
                    r->ledger_.get(),
                    r->cooldowns_.get(),
                    r->rates_.get(),
                    r->audit_.get(),
                    metrics};
  nats::ConsumerConfig cc;
  cc.stream = kAlertStream;
  cc.durable = c.durable;
  cc.filter_subject = kAlertSubjects;
  // JetStream stops at max_deliver + 1 so that the last of ours (which dead-letters) happens.
  cc.max_deliver = c.consumer.max_deliver + 1;
  cc.ack_wait_ms = c.lease_ms;
  for (int i = 0; i < c.workers; ++i) {
    auto pull = conn->pull_consumer(cc);
    if (!pull) return Error{"NATS consumer: " + pull.error()};
    r->consumers_.push_back(std::make_unique<AlertConsumer>(pull->get(), deps, c.consumer));
    r->pulls_.push_back(std::move(*pull));
  }
  return r;
}

Responder::~Responder() { stop(); }

void Responder::start() {
  stopping_ = false;
  for (auto& c : consumers_) threads_.emplace_back([this, c = c.get()] { c->run(&stopping_); });
  // Housekeeping: the server clock's probe, and the cooldown windows this replica suppressed
  // alerts in, summarized once they close.
  threads_.emplace_back([this] {
    while (!stopping_.load()) {
      // The server clock's probe runs here, off the workers' path (a failure is logged there).
      (void)clock_->refresh();
      cooldowns_->sweep([this](const nlohmann::json& w) {
        Status st = publish_window(*audit_, w, config_.consumer.replica);
        if (!st.ok()) log::warn("publishing a cooldown summary failed", {{"error", st.error()}});
        return st.ok();
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
}

void Responder::stop() {
  stopping_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace riposte::responder
