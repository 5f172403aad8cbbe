// A worker's heartbeat: while it handles a fetched batch, every message of the batch gets an
// in-progress ack each interval (so JetStream redelivers them only when this replica stops,
// not when a batch outlasts the ack wait), and the run it is executing has its run record
// renewed (RunLedger::progress), steps that take long included. Without it a step longer
// than the lease lets another replica take a live run over.
//
// A renewal refused because the record changed means another replica took the run over; a
// renewal that cannot get through for a whole lease means one may have. Either way lost()
// turns true and the worker starts no further step of that run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/nats.h"
#include "responder/run_ledger.h"

namespace riposte::responder {

class Heartbeat {
 public:
  Heartbeat(RunLedger* ledger, int64_t interval_ms);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // The batch being handled: its messages get in-progress acks until end_batch(), after
  // which none is sent (the worker then acks or naks them).
  void begin_batch(std::span<nats::Message> msgs);
  void end_batch();

  // The run being executed, claimed at revision: renewed until end_run().
  void begin_run(const std::string& key, uint64_t revision);
  // Records the steps so far (a renewal too), serialized with the renewals.
  Status progress(const std::vector<playbook::StepOutcome>& steps);
  // Stops renewing; the record's latest revision, for complete() or release().
  uint64_t end_run();
  bool lost() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Run {
    std::string key;
    uint64_t revision = 0;
    std::vector<playbook::StepOutcome> steps;
    Clock::time_point renewed;
    bool lost = false;
  };
  void loop();
  void renew();
  // With run_mu_ held: one renewal with the run's steps.
  void renew_locked(Run& run);

  RunLedger* ledger_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;  // guards batch_ and stop_; held while in-progress acks go out
  std::condition_variable cv_;
  bool stop_ = false;
  std::span<nats::Message> batch_;
  mutable std::mutex run_mu_;  // guards run_; held through a renewal
  std::optional<Run> run_;
  std::thread thread_;
};

}  // namespace riposte::responder
