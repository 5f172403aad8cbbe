#include "responder/run_record.h"

#include <array>

namespace riposte::responder {
namespace {

constexpr std::array<std::pair<RunOutcome, std::string_view>, 5> kOutcomes{{
    {RunOutcome::kSucceeded, "succeeded"},
    {RunOutcome::kFailed, "failed"},
    {RunOutcome::kDryRun, "dry-run"},
    {RunOutcome::kSkipped, "skipped"},
    {RunOutcome::kSuppressed, "suppressed"},
}};

template <typename T>
void read(const nlohmann::json& j, const char* key, T* out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) *out = it->get<T>();
}
template <typename T>
void read(const nlohmann::json& j, const char* key, std::optional<T>* out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) *out = it->get<T>();
}

}  // namespace

std::string_view outcome_name(RunOutcome outcome) {
  for (const auto& [o, name] : kOutcomes) {
    if (o == outcome) return name;
  }
  return "skipped";
}

std::optional<RunOutcome> outcome_from_name(std::string_view name) {
  for (const auto& [o, n] : kOutcomes) {
    if (n == name) return o;
  }
  return std::nullopt;
}

nlohmann::json RunRecord::to_json() const {
  nlohmann::json r = {{"kind", "run"},
                      {"id", id},
                      {"alert_id", alert_id},
                      {"playbook", playbook},
                      {"playbook_origin", playbook_origin},
                      {"alert",
                       {{"id", alert.id},
                        {"rule", alert.rule},
                        {"priority", alert.priority},
                        {"time", alert.time},
                        {"uuid", alert.uuid},
                        {"hostname", alert.hostname},
                        {"source", alert.source},
                        {"subject", alert.subject},
                        {"stream_sequence", alert.stream_sequence},
                        {"deliveries", alert.deliveries}}},
                      {"replica", replica},
                      {"outcome", outcome_name(outcome)}};
  if (outcome == RunOutcome::kSuppressed) {
    r["cooldown_target"] = cooldown_target;
    r["suppressed_in_window"] = suppressed_in_window.value_or(0);
  } else {
    r["dry_run"] = dry_run;
  }
  r["steps"] = steps;
  r["requests_sent"] = requests_sent;
  if (!started.empty()) r["started"] = started;
  if (!finished.empty()) r["finished"] = finished;
  if (duration_ms) r["duration_ms"] = *duration_ms;
  if (alert_to_action_ms) r["alert_to_action_ms"] = *alert_to_action_ms;
  if (resumed_steps) r["resumed_steps"] = *resumed_steps;
  return r;
}

std::string RunRecord::dump() const {
  return to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<RunRecord> RunRecord::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Error{"run record: not an object"};
  RunRecord r;
  try {
    read(j, "id", &r.id);
    read(j, "alert_id", &r.alert_id);
    read(j, "playbook", &r.playbook);
    read(j, "playbook_origin", &r.playbook_origin);
    read(j, "replica", &r.replica);
    const std::string outcome = j.value("outcome", "");
    auto o = outcome_from_name(outcome);
    if (!o) return Error{"run record " + r.id + ": unknown outcome \"" + outcome + "\""};
    r.outcome = *o;
    if (auto a = j.find("alert"); a != j.end() && a->is_object()) {
      read(*a, "id", &r.alert.id);
      read(*a, "rule", &r.alert.rule);
      read(*a, "priority", &r.alert.priority);
      read(*a, "time", &r.alert.time);
      read(*a, "uuid", &r.alert.uuid);
      read(*a, "hostname", &r.alert.hostname);
      read(*a, "source", &r.alert.source);
      read(*a, "subject", &r.alert.subject);
      read(*a, "stream_sequence", &r.alert.stream_sequence);
      read(*a, "deliveries", &r.alert.deliveries);
    }
    read(j, "dry_run", &r.dry_run);
    if (auto s = j.find("steps"); s != j.end() && s->is_array()) r.steps = *s;
    read(j, "requests_sent", &r.requests_sent);
    read(j, "started", &r.started);
    read(j, "finished", &r.finished);
    read(j, "duration_ms", &r.duration_ms);
    read(j, "alert_to_action_ms", &r.alert_to_action_ms);
    read(j, "resumed_steps", &r.resumed_steps);
    read(j, "cooldown_target", &r.cooldown_target);
    read(j, "suppressed_in_window", &r.suppressed_in_window);
  } catch (const nlohmann::json::exception& e) {
    return Error{"run record " + r.id + ": " + e.what()};
  }
  return r;
}

}  // namespace riposte::responder
