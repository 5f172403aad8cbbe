#include "responder/audit.h"

#include <algorithm>

#include "responder/dedup.h"

namespace riposte::responder {
namespace {

std::string slug(const std::string& playbook) {
  std::string s = rule_slug(playbook);
  return s.empty() ? "unnamed" : s;
}

RunRecord base_record(const std::string& run_key, const Alert& alert, const AlertOrigin& origin,
                      const playbook::Playbook& pb, const std::string& replica) {
  RunRecord r;
  r.id = run_key;
  r.alert_id = origin.alert_id;
  r.playbook = pb.name;
  r.playbook_origin = pb.origin;
  r.replica = replica;
  r.alert = RunAlert{origin.alert_id,
                     alert.rule,
                     std::string(priority_name(alert.priority)),
                     format_rfc3339_ns(alert.time_ns),
                     alert.uuid,
                     alert.hostname,
                     alert.source,
                     origin.subject,
                     origin.stream_sequence,
                     origin.deliveries};
  return r;
}

}  // namespace

std::string run_subject(const std::string& playbook) {
  return std::string(kRunSubjectPrefix) + slug(playbook);
}

std::string suppressed_subject(const std::string& playbook) {
  return std::string(kSuppressedSubjectPrefix) + slug(playbook);
}

RunOutcome run_outcome(const playbook::PlaybookOutcome& outcome) {
  using actions::ActionResult;
  if (outcome.failed) return RunOutcome::kFailed;
  auto any = [&](ActionResult::Status st) {
    return std::any_of(outcome.steps.begin(), outcome.steps.end(),
                       [&](const playbook::StepOutcome& s) { return s.result.status == st; });
  };
  if (any(ActionResult::kSucceeded)) return RunOutcome::kSucceeded;
  if (any(ActionResult::kDryRun)) return RunOutcome::kDryRun;
  return RunOutcome::kSkipped;
}

RunRecord run_record(const std::string& run_key, const Alert& alert, const AlertOrigin& origin,
                     const playbook::Playbook& pb, const playbook::PlaybookOutcome& outcome,
                     const std::string& replica) {
  RunRecord r = base_record(run_key, alert, origin, pb, replica);
  r.outcome = run_outcome(outcome);
  r.dry_run = outcome.dry_run;
  int64_t last_response_ns = 0;
  for (const auto& s : outcome.steps) {
    r.steps.push_back(playbook::to_json(s));
    if (!outcome.dry_run && s.result.status != actions::ActionResult::kDryRun) {
      r.requests_sent += s.result.requests.size();
      if (!s.result.requests.empty()) last_response_ns = s.started_ns + s.duration_ns;
    }
  }
  r.started = format_rfc3339_ns(outcome.started_ns);
  r.finished = format_rfc3339_ns(outcome.finished_ns);
  r.duration_ms = static_cast<double>(outcome.finished_ns - outcome.started_ns) / 1e6;
  if (last_response_ns > 0) {
    r.alert_to_action_ms = static_cast<double>(last_response_ns - alert.time_ns) / 1e6;
  }
  return r;
}

RunRecord suppressed_run_record(const std::string& run_key, const Alert& alert,
                                const AlertOrigin& origin, const playbook::Playbook& pb,
                                const std::string& target, uint64_t suppressed,
                                const std::string& replica) {
  RunRecord r = base_record(run_key, alert, origin, pb, replica);
  r.outcome = RunOutcome::kSuppressed;
  r.cooldown_target = target;
  r.suppressed_in_window = suppressed;
  return r;
}

nlohmann::json window_record(const nlohmann::json& window, const std::string& replica) {
  return {{"kind", "cooldown"},
          {"playbook", window.value("playbook", "")},
          {"cooldown_target", window.value("target", "")},
          {"run_alert_id", window.value("run", "")},
          {"window_start", format_rfc3339_ns(window.value("started", int64_t{0}))},
          {"window_end", format_rfc3339_ns(window.value("until", int64_t{0}))},
          {"suppressed", window.value("suppressed", uint64_t{0})},
          {"replica", replica}};
}

Status AuditLog::publish(const std::string& subject, const nlohmann::json& record,
                         const std::string& msg_id) {
  auto ack = conn_->js_publish(
      subject, record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), msg_id);
  if (!ack) return Error{"audit: " + ack.error()};
  return {};
}

size_t AuditLog::publish_async(nats::PublishBatch& batch, const std::string& subject,
                               std::string_view record_json, const std::string& msg_id) {
  return batch.add(subject, record_json, msg_id);
}

}  // namespace riposte::responder

namespace riposte::responder {
Status publish_window(AuditLog& audit, const nlohmann::json& window, const std::string& replica) {
  const std::string playbook = window.value("playbook", "");
  const std::string id = hash_key({"window", playbook, window.value("target", ""),
                                   std::to_string(window.value("until", int64_t{0}))});
  return audit.publish(suppressed_subject(playbook), window_record(window, replica), id);
}
}  // namespace riposte::responder
