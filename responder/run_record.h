// The record of one playbook run for one alert: what the run ledger keeps once the run is done
// (a redelivered or duplicated alert reads it back instead of running again) and what the
// RIPOSTE_ACTIONS stream carries on riposte.actions.run.<playbook>. One type for the writer
// (the responder) and its readers (the responder itself, `riposte`, the UI), so a field is
// named once; the JSON keys are the stable format on the bus.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace riposte::responder {

enum class RunOutcome : uint8_t {
  kSucceeded,   // some step had an effect
  kFailed,      // a step failed (after the retries it was allowed)
  kDryRun,      // steps ran as dry runs: nothing sent
  kSkipped,     // nothing sent: guardrails, `when`, limits
  kSuppressed,  // a cooldown window held it: no step ran
};
std::string_view outcome_name(RunOutcome outcome);
std::optional<RunOutcome> outcome_from_name(std::string_view name);

// The alert a run answered, as the record names it.
struct RunAlert {
  std::string id, rule, priority, time, uuid, hostname, source, subject;
  uint64_t stream_sequence = 0;
  uint64_t deliveries = 0;
};

struct RunRecord {
  std::string id;  // the run key: (alert id, playbook)
  std::string alert_id;
  std::string playbook;
  std::string playbook_origin;
  std::string replica;  // the responder replica that recorded it
  RunAlert alert;
  RunOutcome outcome = RunOutcome::kSkipped;
  bool dry_run = false;
  // Each step as playbook::to_json(StepOutcome) wrote it: the exact requests and answers.
  nlohmann::json steps = nlohmann::json::array();
  uint64_t requests_sent = 0;
  std::string started, finished;  // RFC 3339; empty for a suppressed run
  std::optional<double> duration_ms;
  std::optional<double> alert_to_action_ms;  // alert time -> the last request's answer
  std::optional<int64_t> resumed_steps;      // a run taken over: steps the dead owner finished
  // A suppressed run: the cooldown's target and how many the window had suppressed so far.
  std::string cooldown_target;
  std::optional<uint64_t> suppressed_in_window;

  nlohmann::json to_json() const;
  // As published (and as kept in the run ledger); invalid UTF-8 replaced, never thrown.
  std::string dump() const;
  // A record as stored; unknown keys are ignored, so older and newer replicas can read each
  // other's records.
  static Result<RunRecord> from_json(const nlohmann::json& j);
};

}  // namespace riposte::responder
