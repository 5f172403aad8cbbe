#include "responder/alert_consumer.h"

#include <chrono>
#include <thread>

#include "common/log.h"

namespace riposte::responder {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

AlertConsumer::AlertConsumer(nats::Connection* conn, nats::PullConsumer* consumer,
                             const playbook::Engine* engine, Registry* registry,
                             ConsumerOptions options)
    : conn_(conn),
      consumer_(consumer),
      engine_(engine),
      registry_(registry),
      options_(options) {}

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

void AlertConsumer::dead_letter(nats::Message& msg, const std::string& reason) {
  registry_->counter("riposte_responder_alerts_rejected_total",
                     "Messages that were not valid alerts, sent to the dead-letter subject")
      .inc();
  nlohmann::json record = {{"reason", reason},
                           {"subject", std::string(msg.subject())},
                           {"stream_sequence", msg.stream_sequence()},
                           {"payload", std::string(msg.data().substr(0, 4096))}};
  auto ack = conn_->js_publish(kDeadLetterSubject,
                               record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                               {}, {{"Riposte-Reason", reason.substr(0, 200)}});
  if (!ack) {
    // Not recorded: leave the message for redelivery instead of losing it.
    log::warn("dead-letter publish failed", {{"error", ack.error()}});
    (void)msg.nak(options_.nak_delay_ms);
    return;
  }
  log::warn("alert rejected", {{"reason", reason}, {"subject", std::string(msg.subject())}});
  (void)msg.term();
}

void AlertConsumer::handle(nats::Message& msg) {
  auto alert = parse_alert(msg.data());
  if (!alert) {
    dead_letter(msg, alert.error());
    return;
  }
  auto outcome = engine_->handle(*alert, options_.dry_run);
  const int64_t done = now_ns();
  for (const auto& pb : outcome.playbooks) {
    for (const auto& step : pb.steps) {
      registry_
          ->counter("riposte_responder_actions_total", "Actions run, by playbook, action and status",
                    {{"playbook", pb.playbook},
                     {"action", step.action},
                     {"status", std::string(actions::status_name(step.result.status))}})
          .inc();
    }
  }
  registry_->histogram("riposte_responder_alert_to_action_seconds",
                       "From the alert's time to the end of its playbooks",
                       {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
      .observe(static_cast<double>(done - alert->time_ns) / 1e9);
  nlohmann::json fields = playbook::to_json(outcome);
  fields["rule"] = alert->rule;
  fields["uuid"] = alert->uuid;
  fields["latency_ms"] = static_cast<double>(done - alert->time_ns) / 1e6;
  if (!outcome.matched()) {
    log::debug("no playbook matched", fields);
  } else {
    log::info(outcome.failed() ? "playbooks ran with failures" : "playbooks ran", fields);
  }
  if (outcome.failed() && msg.num_delivered() < static_cast<uint64_t>(options_.max_deliver)) {
    (void)msg.nak(options_.nak_delay_ms * static_cast<int64_t>(msg.num_delivered()));
    return;
  }
  if (Status st = msg.ack(); !st.ok()) log::warn("ack failed", {{"error", st.error()}});
}

}  // namespace riposte::responder
