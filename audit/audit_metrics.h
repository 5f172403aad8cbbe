// riposte-audit's Prometheus metrics (riposte_audit_*), created once so their names and help
// texts live in one place.
#pragma once

#include <string>

#include "common/metrics.h"

namespace riposte::audit {

class AuditMetrics {
 public:
  explicit AuditMetrics(Registry& registry);

  // A request refused as a whole: client_cert, client_name, too_large, too_deep, malformed,
  // not_event_list, queue_full.
  Counter& rejected_request(const std::string& reason);
  // An event of an accepted list left out: malformed_event, event_too_large.
  Counter& skipped_event(const std::string& reason);

  Counter& batches;          // EventLists accepted
  Counter& events;           // events queued for evaluation
  Counter& evaluated;        // events evaluated
  Counter& alerts;           // alerts raised (handed to the output)
  Counter& unknown_members;  // members of events riposte does not know (counted, kept)
  Gauge& queue_depth;        // events waiting for evaluation

 private:
  Registry& registry_;
};

}  // namespace riposte::audit
