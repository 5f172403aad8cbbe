#include "responder/alert_consumer.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/log.h"
#include "responder/actions/target.h"
#include "responder/dedup.h"

namespace riposte::responder {
namespace {

bool is_failed(const playbook::StepOutcome& s) {
  return s.result.status == actions::ActionResult::kFailed;
}

std::string first_failure(const playbook::PlaybookOutcome& o) {
  for (const auto& s : o.steps) {
    if (is_failed(s)) return s.action + ": " + s.result.message;
  }
  return "failed";
}

}  // namespace

AlertConsumer::AlertConsumer(nats::PullConsumer* consumer, ConsumerDeps deps,
                             ConsumerOptions options)
    : consumer_(consumer), deps_(std::move(deps)), options_(std::move(options)) {
  if (deps_.ledger) {
    heartbeat_ = std::make_unique<Heartbeat>(deps_.ledger, deps_.ledger->renew_interval_ms());
  }
}

Result<int> AlertConsumer::poll_once() {
  auto msgs = consumer_->fetch(options_.batch, options_.fetch_timeout_ms);
  if (!msgs) return msgs.err();
  if (Status st = handle(*msgs); !st.ok()) return st.err();
  return static_cast<int>(msgs->size());
}

void AlertConsumer::run(const std::atomic<bool>* stop) {
  while (!stop->load()) {
    auto n = poll_once();
    if (!n) {
      log::warn("fetch failed", {{"error", n.error()}});
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

int64_t AlertConsumer::backoff(uint64_t delivered) const {
  if (options_.backoff_ms.empty()) return 1000;
  const size_t i = std::min<size_t>(delivered > 0 ? delivered - 1 : 0, options_.backoff_ms.size() - 1);
  return options_.backoff_ms[i];
}

void AlertConsumer::dead_letter(nats::Message& msg, const std::string& reason) {
  nlohmann::json record = {{"reason", reason},
                           {"subject", std::string(msg.subject())},
                           {"stream_sequence", msg.stream_sequence()},
                           {"deliveries", msg.num_delivered()},
                           {"payload_bytes", msg.data().size()},
                           {"payload", std::string(msg.data().substr(0, 4096))}};
  // The id makes a re-publish after a crash between publish and term a duplicate.
  const std::string id =
      hash_key({"deadletter", msg.subject(), std::to_string(msg.stream_sequence())});
  auto ack = deps_.conn->js_publish(
      kDeadLetterSubject, record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      id, {{"Riposte-Reason", reason.substr(0, 200)}});
  if (!ack) {
    // Not recorded: leave the message for redelivery instead of losing it.
    log::warn("dead-letter publish failed", {{"error", ack.error()}});
    (void)msg.nak(backoff(msg.num_delivered()));
    return;
  }
  deps_.metrics->alert("dead_lettered");
  log::warn("alert dead-lettered", {{"reason", reason}, {"subject", std::string(msg.subject())}});
  if (Status st = msg.term(); !st.ok()) log::warn("term failed", {{"error", st.error()}});
}

Status AlertConsumer::handle(std::span<nats::Message> msgs) {
  if (msgs.empty()) return {};
  if (!publisher_) {
    auto p = deps_.conn->publish_batch();
    // Nothing is settled: the messages come back after the ack wait.
    if (!p) return p.err();
    publisher_ = std::move(*p);
  }
  if (heartbeat_) heartbeat_->begin_batch(msgs);
  std::vector<InFlight> alerts(msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) {
    alerts[i].msg = &msgs[i];
    start(alerts[i]);
  }
  // Round 1 confirms the run records of dry runs and the audit records of runs with effects;
  // round 2 the audit records of the dry runs whose run record round 1 confirmed.
  while (publisher_->size() > 0) resolve(alerts, publisher_->wait(options_.publish_timeout_ms));
  // No in-progress ack may follow a nak: it would cut the nak's delay short.
  if (heartbeat_) heartbeat_->end_batch();
  for (InFlight& a : alerts) settle(a);
  return {};
}

void AlertConsumer::merge(InFlight& a, const playbook::Playbook& pb, PlaybookResult r) {
  if (r.verdict != Verdict::kRetry) return;
  a.result.delay_ms = std::max(a.result.delay_ms, r.delay_ms);
  if (a.result.verdict != Verdict::kRetry) a.result.reason = pb.name + ": " + r.reason;
  a.result.verdict = Verdict::kRetry;
}

void AlertConsumer::start(InFlight& a) {
  nats::Message& msg = *a.msg;
  auto alert = parse_alert(msg.data());
  if (!alert) {
    deps_.metrics->alert("rejected");
    dead_letter(msg, "invalid alert: " + alert.error());
    a.settled = true;
    return;
  }
  const uint64_t delivered = msg.num_delivered();
  a.origin = AlertOrigin{alert_id(msg.header(kMsgIdHeader).value_or(""), *alert),
                         std::string(msg.subject()), msg.stream_sequence(), delivered};
  auto engine = deps_.engine();
  if (!engine) {
    (void)msg.nak(backoff(delivered));
    a.settled = true;
    return;
  }
  const auto playbooks = engine->matching(*alert);
  if (playbooks.empty()) {
    deps_.metrics->alert("unmatched");
    log::debug("no playbook matched", {{"rule", alert->rule}, {"alert_id", a.origin.alert_id}});
    if (Status st = msg.ack_async(); !st.ok()) log::warn("ack failed", {{"error", st.error()}});
    a.settled = true;
    return;
  }
  a.last = options_.max_deliver > 0 && delivered >= static_cast<uint64_t>(options_.max_deliver);
  // Every matching playbook gets its turn even when one must be retried: they are
  // independent, and the ledger keeps the finished ones from running again.
  for (const playbook::Playbook* pb : playbooks) merge(a, *pb, run_playbook(*engine, *pb, *alert, a));
}

void AlertConsumer::resolve(std::vector<InFlight>& alerts,
                            const std::vector<Result<nats::PubAck>>& results) {
  for (InFlight& a : alerts) {
    std::vector<Pending> next;
    for (Pending& p : a.pending) {
      const Result<nats::PubAck>* r = p.index < results.size() ? &results[p.index] : nullptr;
      if (r == nullptr) {
        merge(a, *p.pb, {Verdict::kRetry, "record write lost", 0});
      } else if (!p.creating) {
        if (!r->ok()) merge(a, *p.pb, {Verdict::kRetry, "audit: " + r->error(), 0});
      } else if (r->ok()) {
        deps_.metrics->run(p.pb->name, std::string(outcome_name(p.record.outcome)));
        p.creating = false;
        p.index = deps_.audit->publish_async(*publisher_, run_subject(p.pb->name), p.record_json,
                                             p.key);
        next.push_back(std::move(p));
      } else if (r->code() == ErrorCode::kKeyExists) {
        // A redelivery or a duplicate (rare): settled the synchronous way.
        std::optional<RunRecord> existing;
        auto created = deps_.ledger->complete_new(p.key, p.record, &existing);
        if (!created) {
          merge(a, *p.pb, {Verdict::kRetry, "run ledger: " + created.error(), 0});
          continue;
        }
        deps_.metrics->run(p.pb->name,
                           *created ? std::string(outcome_name(p.record.outcome)) : "duplicate");
        const std::optional<RunRecord>& record = *created ? p.record : existing;
        // Published again in case the first attempt died before publishing (the id dedups).
        if (!record || record->outcome == RunOutcome::kSuppressed) continue;
        p.creating = false;
        if (!*created) p.record_json = existing->dump();
        p.index = deps_.audit->publish_async(*publisher_, run_subject(p.pb->name), p.record_json,
                                             p.key);
        next.push_back(std::move(p));
      } else {
        merge(a, *p.pb, {Verdict::kRetry, "run ledger: " + r->error(), 0});
      }
    }
    a.pending = std::move(next);
  }
}

void AlertConsumer::settle(InFlight& a) {
  if (a.settled) return;
  nats::Message& msg = *a.msg;
  const uint64_t delivered = a.origin.deliveries;
  if (a.result.verdict == Verdict::kRetry) {
    if (a.last) {
      dead_letter(msg, "gave up after " + std::to_string(delivered) + " deliveries: " + a.result.reason);
      return;
    }
    deps_.metrics->alert("retried");
    log::warn("alert will be redelivered", {{"alert_id", a.origin.alert_id},
                                            {"reason", a.result.reason},
                                            {"deliveries", delivered}});
    (void)msg.nak(std::max(backoff(delivered), a.result.delay_ms));
    return;
  }
  deps_.metrics->alert("handled");
  // Every record is confirmed; a lost ack only means a redelivery, which the ledger answers
  // with "done".
  if (Status st = msg.ack_async(); !st.ok()) log::warn("ack failed", {{"error", st.error()}});
}

AlertConsumer::PlaybookResult AlertConsumer::run_playbook(const playbook::Engine& engine,
                                                          const playbook::Playbook& pb,
                                                          const Alert& alert, InFlight& a) {
  const AlertOrigin& origin = a.origin;
  const bool last_delivery = a.last;
  const std::string key = run_key(origin.alert_id, pb.name);
  if ((options_.dry_run || pb.dry_run) && !pb.cooldown) {
    run_without_effects(engine, pb, alert, a, key);
    return {};
  }
  auto claim = deps_.ledger->claim(key);
  if (!claim) return {Verdict::kRetry, "run ledger: " + claim.error(), 0};
  if (claim->state == RunLedger::State::kDone) {
    deps_.metrics->run(pb.name, "duplicate");
    // Published again in case the first attempt died before publishing (the id dedups).
    if (!claim->record) return {};
    const bool publish = claim->record->outcome != RunOutcome::kSuppressed;
    return finish(a, key, pb, *claim->record, publish);
  }
  if (claim->state == RunLedger::State::kBusy) {
    deps_.metrics->run(pb.name, "busy");
    return {Verdict::kRetry, "run claimed by another replica", claim->retry_after_ms};
  }
  uint64_t revision = claim->revision;
  if (!claim->takeover && pb.cooldown) {
    if (auto r = enter_cooldown(pb, alert, a, key, revision)) return *r;
  }

  playbook::RunHooks hooks;
  hooks.run_key = key;
  // Steps reached before the lease was lost; the ones after it never ran.
  std::optional<size_t> lost_at;
  size_t reached = 0;
  hooks.admit = [&](const playbook::Playbook& p, const playbook::Step&,
                    const Alert& al) -> std::optional<std::string> {
    if (heartbeat_->lost()) {
      if (!lost_at) lost_at = reached;
      return std::string("not run: the run was taken over by another replica (lease lost)");
    }
    if (!deps_.rates || !deps_.rates->enabled()) return std::nullopt;
    std::string ns;
    al.field_string(actions::kNamespaceField, &ns);
    auto reason = deps_.rates->admit(ns);
    if (reason) deps_.metrics->suppressed(p.name, "rate_limit");
    return reason;
  };
  hooks.on_step = [&](const playbook::PlaybookOutcome& so_far) {
    reached = so_far.steps.size();
    if (so_far.steps.size() >= pb.steps.size()) return;  // complete() follows at once
    if (Status st = heartbeat_->progress(so_far.steps); !st.ok()) {
      log::warn("recording progress failed", {{"run", key}, {"error", st.error()}});
    }
  };
  if (claim->takeover) hooks.resume = &claim->resume;
  heartbeat_->begin_run(key, revision);
  playbook::PlaybookOutcome outcome = engine.run(pb, alert, options_.dry_run, hooks);
  revision = heartbeat_->end_run();
  observe(outcome, alert.time_ns, claim->takeover ? &claim->resume : nullptr);

  if (lost_at) {
    // Give back what ran (if the record is still ours) and let the owner, or the next
    // delivery, finish it; nothing is recorded or published as done from here.
    outcome.steps.resize(*lost_at);
    if (Status st = deps_.ledger->release(key, revision, outcome.steps); !st.ok()) {
      log::warn("releasing a lost run failed", {{"run", key}, {"error", st.error()}});
    }
    deps_.metrics->run(pb.name, "lost");
    return {Verdict::kRetry, "run taken over by another replica", deps_.ledger->lease_ms()};
  }
  if (outcome.retryable() && !last_delivery) {
    if (Status st = deps_.ledger->release(key, revision, outcome.steps); !st.ok()) {
      log::warn("releasing run failed", {{"run", key}, {"error", st.error()}});
    }
    deps_.metrics->run(pb.name, "retry");
    return {Verdict::kRetry, first_failure(outcome), 0};
  }
  RunRecord record = run_record(key, alert, origin, pb, outcome, options_.replica);
  if (claim->takeover) {
    record.resumed_steps = std::count_if(claim->resume.begin(), claim->resume.end(),
                                         [](const auto& st) { return !is_failed(st); });
  }
  deps_.metrics->run(pb.name, std::string(outcome_name(record.outcome)));
  log::info("playbook ran", {{"playbook", pb.name},
                             {"outcome", outcome_name(record.outcome)},
                             {"alert_id", origin.alert_id},
                             {"rule", alert.rule},
                             {"steps", record.steps}});
  if (Status st = deps_.ledger->complete(key, revision, record); !st.ok()) {
    if (st.code() == ErrorCode::kWrongRevision) {
      // Another replica holds the run now and records it; this attempt's record would be a
      // second one.
      log::error("run was taken over while its last step ran", {{"run", key}});
      return {Verdict::kRetry, "run taken over by another replica", deps_.ledger->lease_ms()};
    }
    // The effects happened; the redelivery resumes from the recorded progress.
    return {Verdict::kRetry, "run ledger: " + st.error(), 0};
  }
  PlaybookResult done = finish(a, key, pb, record, true);
  // Out of deliveries: the failed run is recorded, and the alert goes to the dead letters.
  if (done.verdict == Verdict::kDone && outcome.retryable()) {
    return {Verdict::kRetry, first_failure(outcome), 0};
  }
  return done;
}

void AlertConsumer::run_without_effects(const playbook::Engine& engine,
                                        const playbook::Playbook& pb, const Alert& alert,
                                        InFlight& a, const std::string& key) {
  // Nothing is sent, so running twice concurrently is harmless: only the record must be
  // unique, and one create settles that (sent with the batch, instead of claim + complete).
  playbook::PlaybookOutcome outcome = engine.run(pb, alert, options_.dry_run);
  if (outcome.retryable()) {
    merge(a, pb, {Verdict::kRetry, first_failure(outcome), 0});
    return;
  }
  observe(outcome, alert.time_ns, nullptr);
  Pending p{&pb, key, run_record(key, alert, a.origin, pb, outcome, options_.replica), {}, true, 0};
  p.record_json = p.record.dump();
  p.index = deps_.ledger->complete_new_async(*publisher_, key, p.record_json);
  log::debug("playbook ran", {{"playbook", pb.name},
                              {"outcome", outcome_name(p.record.outcome)},
                              {"alert_id", a.origin.alert_id}});
  a.pending.push_back(std::move(p));
}

std::optional<AlertConsumer::PlaybookResult> AlertConsumer::enter_cooldown(
    const playbook::Playbook& pb, const Alert& alert, InFlight& a, const std::string& key,
    uint64_t revision) {
  const AlertOrigin& origin = a.origin;
  auto target = playbook::cooldown_target(*pb.cooldown, alert);
  if (!target) {
    // The playbook cannot be applied to this alert; record that, never retry.
    playbook::PlaybookOutcome failed;
    failed.playbook = pb.name;
    failed.failed = true;
    failed.steps.push_back({"", "cooldown", actions::ActionResult::failed("cooldown key: " + target.error()), {}, 0, 0});
    RunRecord record = run_record(key, alert, origin, pb, failed, options_.replica);
    deps_.metrics->run(pb.name, "failed");
    if (Status st = deps_.ledger->complete(key, revision, record); !st.ok()) {
      return PlaybookResult{Verdict::kRetry, "run ledger: " + st.error(), 0};
    }
    return finish(a, key, pb, record, true);
  }
  auto d = deps_.cooldowns->enter(pb.name, *target, pb.cooldown->period_ms, origin.alert_id);
  if (!d) {
    (void)deps_.ledger->release(key, revision, {});
    return PlaybookResult{Verdict::kRetry, "cooldown: " + d.error(), 0};
  }
  if (d->unreported) {
    if (Status st = publish_window(*deps_.audit, *d->unreported, options_.replica); !st.ok()) {
      log::warn("publishing a cooldown summary failed", {{"error", st.error()}});
    }
  }
  if (d->acquired) return std::nullopt;
  deps_.metrics->suppressed(pb.name, "cooldown");
  deps_.metrics->run(pb.name, "suppressed");
  RunRecord record =
      suppressed_run_record(key, alert, origin, pb, *target, d->suppressed, options_.replica);
  if (Status st = deps_.ledger->complete(key, revision, record); !st.ok()) {
    return PlaybookResult{Verdict::kRetry, "run ledger: " + st.error(), 0};
  }
  // Not published one by one: the window's summary reports how many were suppressed.
  return finish(a, key, pb, record, false);
}

AlertConsumer::PlaybookResult AlertConsumer::finish(InFlight& a, const std::string& key,
                                                    const playbook::Playbook& pb,
                                                    const RunRecord& record, bool publish) {
  if (publish) {
    const size_t i =
        deps_.audit->publish_async(*publisher_, run_subject(pb.name), record.dump(), key);
    a.pending.push_back(Pending{&pb, key, {}, {}, false, i});
  }
  return {};
}

void AlertConsumer::observe(const playbook::PlaybookOutcome& outcome, int64_t alert_time_ns,
                            const std::vector<playbook::StepOutcome>* resumed) {
  // Steps an earlier attempt finished (and counted) are reused, not run: not counted again.
  for (size_t i = 0; i < outcome.steps.size(); ++i) {
    if (resumed && i < resumed->size() && !is_failed((*resumed)[i])) continue;
    deps_.metrics->step(outcome.playbook, outcome.steps[i], outcome.dry_run, alert_time_ns);
  }
}

}  // namespace riposte::responder
