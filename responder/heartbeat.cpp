#include "responder/heartbeat.h"

#include "common/log.h"

namespace riposte::responder {

Heartbeat::Heartbeat(RunLedger* ledger, int64_t interval_ms)
    : ledger_(ledger), interval_(std::max<int64_t>(interval_ms, 1)), thread_([this] { loop(); }) {}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Heartbeat::begin_batch(std::span<nats::Message> msgs) {
  std::lock_guard<std::mutex> lock(mu_);
  batch_ = msgs;
}

void Heartbeat::end_batch() {
  std::lock_guard<std::mutex> lock(mu_);
  batch_ = {};
}

void Heartbeat::begin_run(const std::string& key, uint64_t revision) {
  std::lock_guard<std::mutex> lock(run_mu_);
  run_ = Run{key, revision, {}, Clock::now(), false};
}

Status Heartbeat::progress(const std::vector<playbook::StepOutcome>& steps) {
  std::lock_guard<std::mutex> lock(run_mu_);
  if (!run_) return Error{"no run"};
  run_->steps = steps;
  renew_locked(*run_);
  return run_->lost ? Status{Error{"run taken over (lease lost)"}} : Status{};
}

uint64_t Heartbeat::end_run() {
  std::lock_guard<std::mutex> lock(run_mu_);
  const uint64_t revision = run_ ? run_->revision : 0;
  run_.reset();
  return revision;
}

bool Heartbeat::lost() const {
  std::lock_guard<std::mutex> lock(run_mu_);
  return run_ && run_->lost;
}

void Heartbeat::renew_locked(Run& run) {
  if (run.lost) return;
  Status st = ledger_->progress(run.key, &run.revision, run.steps);
  if (st.ok()) {
    run.renewed = Clock::now();
    return;
  }
  if (st.code() == ErrorCode::kWrongRevision) {
    run.lost = true;
    log::error("run taken over by another replica while running", {{"run", run.key}});
  } else if (Clock::now() - run.renewed >= std::chrono::milliseconds(ledger_->lease_ms())) {
    // Others may have taken it for dead by now: stop rather than risk acting twice.
    run.lost = true;
    log::error("run lease not renewed for a whole lease; giving the run up",
               {{"run", run.key}, {"error", st.error()}});
  } else {
    log::warn("renewing a run lease failed", {{"run", run.key}, {"error", st.error()}});
  }
}

void Heartbeat::renew() {
  std::lock_guard<std::mutex> lock(run_mu_);
  if (run_) renew_locked(*run_);
}

void Heartbeat::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, interval_, [this] { return stop_; })) break;
    // A message already acked or naked by the worker ignores it (the server has no pending
    // delivery for it any more).
    for (nats::Message& m : batch_) (void)m.in_progress();
    lock.unlock();
    renew();
    lock.lock();
  }
}

}  // namespace riposte::responder
