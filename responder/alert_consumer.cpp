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
    : consumer_(consumer), deps_(std::move(deps)), options_(std::move(options)) {}

Result<int> AlertConsumer::poll_once() {
  auto msgs = consumer_->fetch(options_.batch, options_.fetch_timeout_ms);
  if (!msgs) return Error{msgs.error()};
  for (auto& m : *msgs) handle(m);
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

void AlertConsumer::handle(nats::Message& msg) {
  auto alert = parse_alert(msg.data());
  if (!alert) {
    deps_.metrics->alert("rejected");
    dead_letter(msg, "invalid alert: " + alert.error());
    return;
  }
  const uint64_t delivered = msg.num_delivered();
  AlertOrigin origin{alert_id(msg.header(kMsgIdHeader).value_or(""), *alert),
                     std::string(msg.subject()), msg.stream_sequence(), delivered};
  auto engine = deps_.engine();
  if (!engine) {
    (void)msg.nak(backoff(delivered));
    return;
  }
  const auto playbooks = engine->matching(*alert);
  if (playbooks.empty()) {
    deps_.metrics->alert("unmatched");
    log::debug("no playbook matched", {{"rule", alert->rule}, {"alert_id", origin.alert_id}});
    if (Status st = msg.ack(); !st.ok()) log::warn("ack failed", {{"error", st.error()}});
    return;
  }
  const bool last = options_.max_deliver > 0 && delivered >= static_cast<uint64_t>(options_.max_deliver);
  PlaybookResult retry;
  // Every matching playbook gets its turn even when one must be retried: they are
  // independent, and the ledger keeps the finished ones from running again.
  for (const playbook::Playbook* pb : playbooks) {
    PlaybookResult r = run_playbook(*engine, *pb, *alert, origin, msg, last);
    if (r.verdict == Verdict::kRetry) {
      retry.delay_ms = std::max(retry.delay_ms, r.delay_ms);
      if (retry.verdict != Verdict::kRetry) retry.reason = pb->name + ": " + r.reason;
      retry.verdict = Verdict::kRetry;
    }
  }
  if (retry.verdict == Verdict::kRetry) {
    if (last) {
      dead_letter(msg, "gave up after " + std::to_string(delivered) + " deliveries: " + retry.reason);
      return;
    }
    deps_.metrics->alert("retried");
    log::warn("alert will be redelivered",
              {{"alert_id", origin.alert_id}, {"reason", retry.reason}, {"deliveries", delivered}});
    (void)msg.nak(std::max(backoff(delivered), retry.delay_ms));
    return;
  }
  deps_.metrics->alert("handled");
  // A lost ack only means a redelivery, which the ledger answers with "done".
  if (Status st = msg.ack(); !st.ok()) log::warn("ack failed", {{"error", st.error()}});
}

AlertConsumer::PlaybookResult AlertConsumer::run_playbook(const playbook::Engine& engine,
                                                          const playbook::Playbook& pb,
                                                          const Alert& alert,
                                                          const AlertOrigin& origin,
                                                          nats::Message& msg, bool last_delivery) {
  const std::string key = run_key(origin.alert_id, pb.name);
  if ((options_.dry_run || pb.dry_run) && !pb.cooldown) {
    return run_without_effects(engine, pb, alert, origin, key);
  }
  auto claim = deps_.ledger->claim(key);
  if (!claim) return {Verdict::kRetry, "run ledger: " + claim.error(), 0};
  if (claim->state == RunLedger::State::kDone) {
    deps_.metrics->run(pb.name, "duplicate");
    // Published again in case the first attempt died before publishing (the id dedups).
    const bool publish = claim->audit.value("outcome", "") != "suppressed";
    return finish(key, pb, claim->audit, publish);
  }
  if (claim->state == RunLedger::State::kBusy) {
    deps_.metrics->run(pb.name, "busy");
    return {Verdict::kRetry, "run claimed by another replica", claim->retry_after_ms};
  }
  uint64_t revision = claim->revision;
  if (!claim->takeover && pb.cooldown) {
    if (auto r = enter_cooldown(pb, alert, origin, key, revision)) return *r;
  }

  playbook::RunHooks hooks;
  if (deps_.rates && deps_.rates->enabled()) {
    hooks.admit = [&](const playbook::Playbook& p, const playbook::Step&,
                      const Alert& a) -> std::optional<std::string> {
      std::string ns;
      a.field_string(actions::kNamespaceField, &ns);
      auto reason = deps_.rates->admit(ns);
      if (reason) deps_.metrics->suppressed(p.name, "rate_limit");
      return reason;
    };
  }
  hooks.on_step = [&](const playbook::PlaybookOutcome& so_far) {
    if (so_far.steps.size() >= pb.steps.size()) return;  // complete() follows at once
    if (Status st = deps_.ledger->progress(key, &revision, so_far.steps); !st.ok()) {
      log::warn("recording progress failed", {{"run", key}, {"error", st.error()}});
    }
    (void)msg.in_progress();
  };
  if (claim->takeover) hooks.resume = &claim->resume;
  playbook::PlaybookOutcome outcome = engine.run(pb, alert, options_.dry_run, hooks);
  observe(outcome, alert.time_ns, claim->takeover ? &claim->resume : nullptr);

  if (outcome.retryable() && !last_delivery) {
    if (Status st = deps_.ledger->release(key, revision, outcome.steps); !st.ok()) {
      log::warn("releasing run failed", {{"run", key}, {"error", st.error()}});
    }
    deps_.metrics->run(pb.name, "retry");
    return {Verdict::kRetry, first_failure(outcome), 0};
  }
  nlohmann::json record = run_record(key, alert, origin, pb, outcome, options_.replica);
  if (claim->takeover) {
    record["resumed_steps"] = std::count_if(claim->resume.begin(), claim->resume.end(),
                                            [](const auto& st) { return !is_failed(st); });
  }
  deps_.metrics->run(pb.name, record["outcome"].get<std::string>());
  log::info("playbook ran", {{"playbook", pb.name},
                             {"outcome", record["outcome"]},
                             {"alert_id", origin.alert_id},
                             {"rule", alert.rule},
                             {"steps", record["steps"]}});
  if (Status st = deps_.ledger->complete(key, revision, record); !st.ok()) {
    if (!nats::is_wrong_revision(st.error())) {
      // The effects happened; the redelivery resumes from the recorded progress.
      return {Verdict::kRetry, "run ledger: " + st.error(), 0};
    }
    log::warn("run was taken over while running (lease expired)", {{"run", key}});
  }
  PlaybookResult done = finish(key, pb, record, true);
  // Out of deliveries: the failed run is recorded, and the alert goes to the dead letters.
  if (done.verdict == Verdict::kDone && outcome.retryable()) {
    return {Verdict::kRetry, first_failure(outcome), 0};
  }
  return done;
}

AlertConsumer::PlaybookResult AlertConsumer::run_without_effects(const playbook::Engine& engine,
                                                                 const playbook::Playbook& pb,
                                                                 const Alert& alert,
                                                                 const AlertOrigin& origin,
                                                                 const std::string& key) {
  // Nothing is sent, so running twice concurrently is harmless: only the record must be
  // unique, and one create settles that (one round trip instead of claim + complete).
  playbook::PlaybookOutcome outcome = engine.run(pb, alert, options_.dry_run);
  if (outcome.retryable()) return {Verdict::kRetry, first_failure(outcome), 0};
  observe(outcome, alert.time_ns, nullptr);
  nlohmann::json record = run_record(key, alert, origin, pb, outcome, options_.replica);
  nlohmann::json existing;
  auto created = deps_.ledger->complete_new(key, record, &existing);
  if (!created) return {Verdict::kRetry, "run ledger: " + created.error(), 0};
  if (!*created) {
    deps_.metrics->run(pb.name, "duplicate");
    return finish(key, pb, existing, existing.value("outcome", "") != "suppressed");
  }
  deps_.metrics->run(pb.name, record["outcome"].get<std::string>());
  log::debug("playbook ran", {{"playbook", pb.name}, {"outcome", record["outcome"]},
                              {"alert_id", origin.alert_id}});
  return finish(key, pb, record, true);
}

std::optional<AlertConsumer::PlaybookResult> AlertConsumer::enter_cooldown(
    const playbook::Playbook& pb, const Alert& alert, const AlertOrigin& origin,
    const std::string& key, uint64_t revision) {
  auto target = playbook::cooldown_target(*pb.cooldown, alert);
  if (!target) {
    // The playbook cannot be applied to this alert; record that, never retry.
    playbook::PlaybookOutcome failed;
    failed.playbook = pb.name;
    failed.failed = true;
    failed.steps.push_back({"", "cooldown", actions::ActionResult::failed("cooldown key: " + target.error()), {}, 0, 0});
    nlohmann::json record = run_record(key, alert, origin, pb, failed, options_.replica);
    deps_.metrics->run(pb.name, "failed");
    if (Status st = deps_.ledger->complete(key, revision, record); !st.ok()) {
      return PlaybookResult{Verdict::kRetry, "run ledger: " + st.error(), 0};
    }
    return finish(key, pb, record, true);
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
  nlohmann::json record =
      suppressed_run_record(key, alert, origin, pb, *target, d->suppressed, options_.replica);
  if (Status st = deps_.ledger->complete(key, revision, record); !st.ok()) {
    return PlaybookResult{Verdict::kRetry, "run ledger: " + st.error(), 0};
  }
  // Not published one by one: the window's summary reports how many were suppressed.
  return finish(key, pb, record, false);
}

AlertConsumer::PlaybookResult AlertConsumer::finish(const std::string& key,
                                                    const playbook::Playbook& pb,
                                                    const nlohmann::json& record, bool publish) {
  if (publish) {
    if (Status st = deps_.audit->publish(run_subject(pb.name), record, key); !st.ok()) {
      return {Verdict::kRetry, st.error(), 0};
    }
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
