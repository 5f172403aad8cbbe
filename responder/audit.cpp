#include "responder/audit.h"

#include <algorithm>

#include "responder/dedup.h"

namespace riposte::responder {
namespace {

std::string slug(const std::string& playbook) {
  std::string s = rule_slug(playbook);
  return s.empty() ? "unnamed" : s;
}

nlohmann::json alert_json(const Alert& alert, const AlertOrigin& origin) {
  return {{"id", origin.alert_id},
          {"rule", alert.rule},
          {"priority", priority_name(alert.priority)},
          {"time", format_rfc3339_ns(alert.time_ns)},
          {"uuid", alert.uuid},
          {"hostname", alert.hostname},
          {"source", alert.source},
          {"subject", origin.subject},
          {"stream_sequence", origin.stream_sequence},
          {"deliveries", origin.deliveries}};
}

nlohmann::json base_record(const std::string& run_key, const Alert& alert,
                           const AlertOrigin& origin, const playbook::Playbook& pb,
                           const std::string& replica) {
  return {{"kind", "run"},
          {"id", run_key},
          {"alert_id", origin.alert_id},
          {"playbook", pb.name},
          {"playbook_origin", pb.origin},
          {"alert", alert_json(alert, origin)},
          {"replica", replica}};
}

}  // namespace

std::string run_subject(const std::string& playbook) {
  return std::string(kRunSubjectPrefix) + slug(playbook);
}

std::string suppressed_subject(const std::string& playbook) {
  return std::string(kSuppressedSubjectPrefix) + slug(playbook);
}

std::string run_outcome(const playbook::PlaybookOutcome& outcome) {
  using actions::ActionResult;
  if (outcome.failed) return "failed";
  auto any = [&](ActionResult::Status st) {
    return std::any_of(outcome.steps.begin(), outcome.steps.end(),
                       [&](const playbook::StepOutcome& s) { return s.result.status == st; });
  };
  if (any(ActionResult::kSucceeded)) return "succeeded";
  if (any(ActionResult::kDryRun)) return "dry-run";
  return "skipped";
}

nlohmann::json run_record(const std::string& run_key, const Alert& alert, const AlertOrigin& origin,
                          const playbook::Playbook& pb, const playbook::PlaybookOutcome& outcome,
                          const std::string& replica) {
  nlohmann::json r = base_record(run_key, alert, origin, pb, replica);
  r["outcome"] = run_outcome(outcome);
  r["dry_run"] = outcome.dry_run;
  nlohmann::json steps = nlohmann::json::array();
  size_t sent = 0;
  int64_t last_response_ns = 0;
  for (const auto& s : outcome.steps) {
    steps.push_back(playbook::to_json(s));
    if (!outcome.dry_run && s.result.status != actions::ActionResult::kDryRun) {
      sent += s.result.requests.size();
      if (!s.result.requests.empty()) last_response_ns = s.started_ns + s.duration_ns;
    }
  }
  r["steps"] = steps;
  r["requests_sent"] = sent;
  r["started"] = format_rfc3339_ns(outcome.started_ns);
  r["finished"] = format_rfc3339_ns(outcome.finished_ns);
  r["duration_ms"] = static_cast<double>(outcome.finished_ns - outcome.started_ns) / 1e6;
  if (last_response_ns > 0) {
    r["alert_to_action_ms"] = static_cast<double>(last_response_ns - alert.time_ns) / 1e6;
  }
  return r;
}

nlohmann::json suppressed_run_record(const std::string& run_key, const Alert& alert,
                                     const AlertOrigin& origin, const playbook::Playbook& pb,
                                     const std::string& target, uint64_t suppressed,
                                     const std::string& replica) {
  nlohmann::json r = base_record(run_key, alert, origin, pb, replica);
  r["outcome"] = "suppressed";
  r["cooldown_target"] = target;
  r["suppressed_in_window"] = suppressed;
  r["steps"] = nlohmann::json::array();
  r["requests_sent"] = 0;
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

std::string dump_record(const nlohmann::json& record) {
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status AuditLog::publish(const std::string& subject, const nlohmann::json& record,
                         const std::string& msg_id) {
  auto ack = conn_->js_publish(subject, dump_record(record), msg_id);
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
