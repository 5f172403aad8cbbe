// The responder's Prometheus metrics, named riposte_responder_<name>_<unit>[_total], in one
// place so that the consumer, the inputs and the reloader cannot drift apart.
#pragma once

#include <string>

#include "common/metrics.h"
#include "responder/playbook/engine.h"

namespace riposte::responder {

class ResponderMetrics {
 public:
  explicit ResponderMetrics(Registry* registry);

  // handled, unmatched, rejected, retried, dead_lettered
  void alert(const std::string& outcome);
  // succeeded, failed, dry-run, skipped, suppressed, duplicate, busy
  void run(const std::string& playbook, const std::string& outcome);
  // Counters per action and status, the action's duration, and for a step that sent
  // requests, the time from the alert to the API's response.
  void step(const std::string& playbook, const playbook::StepOutcome& step, bool dry_run,
            int64_t alert_time_ns);
  void suppressed(const std::string& playbook, const std::string& reason);
  // input: http, falcosidekick; outcome: accepted, duplicate, unauthorized, invalid, too_large,
  // unavailable
  void ingested(const std::string& input, const std::string& outcome);
  void reload(const std::string& outcome, size_t playbooks);

  Registry& registry() { return *registry_; }

 private:
  Registry* registry_;
  Histogram& alert_to_action_;
};

}  // namespace riposte::responder
