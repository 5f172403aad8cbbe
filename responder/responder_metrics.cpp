#include "responder/responder_metrics.h"

namespace riposte::responder {
namespace {

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

}  // namespace

ResponderMetrics::ResponderMetrics(Registry* registry)
    : registry_(registry),
      alert_to_action_(registry->histogram(
          "riposte_responder_alert_to_action_seconds",
          "From the alert's time to the API server's response to an action's last request",
          latency_buckets())) {}

void ResponderMetrics::alert(const std::string& outcome) {
  registry_
      ->counter("riposte_responder_alerts_total",
                "Alerts taken from the stream, by outcome (handled, unmatched, rejected, "
                "retried, dead_lettered)",
                {{"outcome", outcome}})
      .inc();
}

void ResponderMetrics::run(const std::string& playbook, const std::string& outcome) {
  registry_
      ->counter("riposte_responder_playbook_runs_total",
                "Playbook runs for an alert, by playbook and outcome",
                {{"playbook", playbook}, {"outcome", outcome}})
      .inc();
}

void ResponderMetrics::step(const std::string& playbook, const playbook::StepOutcome& step,
                            bool dry_run, int64_t alert_time_ns) {
  const std::string status(actions::status_name(step.result.status));
  registry_
      ->counter("riposte_responder_actions_total", "Actions run, by playbook, action and status",
                {{"playbook", playbook}, {"action", step.action}, {"status", status}})
      .inc();
  registry_
      ->histogram("riposte_responder_action_duration_seconds",
                  "How long an action took, by action", latency_buckets(),
                  {{"action", step.action}})
      .observe(static_cast<double>(step.duration_ns) / 1e9);
  const bool sent = !dry_run && step.result.status != actions::ActionResult::kDryRun &&
                    !step.result.requests.empty();
  if (sent && alert_time_ns > 0) {
    alert_to_action_.observe(
        static_cast<double>(step.started_ns + step.duration_ns - alert_time_ns) / 1e9);
  }
}

void ResponderMetrics::suppressed(const std::string& playbook, const std::string& reason) {
  registry_
      ->counter("riposte_responder_suppressed_total",
                "Runs or actions held back, by playbook and reason (cooldown, rate_limit)",
                {{"playbook", playbook}, {"reason", reason}})
      .inc();
}

void ResponderMetrics::ingested(const std::string& input, const std::string& outcome) {
  registry_
      ->counter("riposte_responder_ingested_total",
                "Alerts received by the HTTP and Falcosidekick inputs, by input and outcome",
                {{"input", input}, {"outcome", outcome}})
      .inc();
}

void ResponderMetrics::reload(const std::string& outcome, size_t playbooks) {
  registry_
      ->counter("riposte_responder_playbook_reloads_total",
                "Playbook (re)loads, by outcome (loaded, refused)", {{"outcome", outcome}})
      .inc();
  if (outcome == "loaded") {
    registry_->gauge("riposte_responder_playbooks_loaded", "Playbooks in force")
        .set(static_cast<double>(playbooks));
  }
}

}  // namespace riposte::responder
