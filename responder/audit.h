// Audit records: every playbook run (and every closed cooldown window that suppressed alerts)
// is published to the RIPOSTE_ACTIONS stream, with the run's idempotency key as Nats-Msg-Id so
// a record re-published after a crash is stored once.
//   riposte.actions.run.<playbook_slug>          one per playbook run for one alert
//   riposte.actions.suppressed.<playbook_slug>   one per cooldown window, with the count
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/alert.h"
#include "common/bus_contract.h"
#include "common/nats.h"
#include "common/result.h"
#include "responder/playbook/engine.h"
#include "responder/run_record.h"

namespace riposte::responder {

// The streams' names live in the bus contract (common/bus_contract.h).
using ::riposte::kActionStream;
using ::riposte::kActionSubjects;
using ::riposte::kDeadLetterStream;
using ::riposte::kDeadLetterSubjects;

std::string run_subject(const std::string& playbook);
std::string suppressed_subject(const std::string& playbook);

// Where an alert came from on the bus, for records.
struct AlertOrigin {
  std::string alert_id;
  std::string subject;
  uint64_t stream_sequence = 0;
  uint64_t deliveries = 0;
};

// Succeeded, failed, dry-run or skipped (nothing sent: guardrails, `when`, limits).
RunOutcome run_outcome(const playbook::PlaybookOutcome& outcome);

// The record of one run.
RunRecord run_record(const std::string& run_key, const Alert& alert, const AlertOrigin& origin,
                     const playbook::Playbook& pb, const playbook::PlaybookOutcome& outcome,
                     const std::string& replica);
// The record of a run suppressed by a cooldown (no steps).
RunRecord suppressed_run_record(const std::string& run_key, const Alert& alert,
                                const AlertOrigin& origin, const playbook::Playbook& pb,
                                const std::string& target, uint64_t suppressed,
                                const std::string& replica);
// The record of a closed cooldown window (from Cooldowns).
nlohmann::json window_record(const nlohmann::json& window, const std::string& replica);

class AuditLog {
 public:
  explicit AuditLog(nats::Connection* conn) : conn_(conn) {}
  // msg_id makes re-publishing the same record idempotent.
  Status publish(const std::string& subject, const nlohmann::json& record,
                 const std::string& msg_id);
  // The same through batch without waiting, the record already serialized (dump_record);
  // returns the publish's index there.
  size_t publish_async(nats::PublishBatch& batch, const std::string& subject,
                       std::string_view record_json, const std::string& msg_id);

 private:
  nats::Connection* conn_;
};

}  // namespace riposte::responder

namespace riposte::responder {
// Publishes the record of a closed cooldown window (see Cooldowns), once per window.
Status publish_window(AuditLog& audit, const nlohmann::json& window, const std::string& replica);
}  // namespace riposte::responder
