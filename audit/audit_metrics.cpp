#include "audit/audit_metrics.h"

namespace riposte::audit {

AuditMetrics::AuditMetrics(Registry& r)
    : batches(r.counter("riposte_audit_batches_total", "Audit EventLists accepted")),
      events(r.counter("riposte_audit_events_total", "Audit events queued for evaluation")),
      evaluated(r.counter("riposte_audit_events_evaluated_total",
                          "Audit events evaluated against the k8s_audit rules")),
      alerts(r.counter("riposte_audit_alerts_total", "Alerts raised by k8s_audit rules")),
      unknown_members(r.counter("riposte_audit_unknown_members_total",
                                "Members of audit events riposte does not know (kept)")),
      queue_depth(r.gauge("riposte_audit_queue_events", "Audit events waiting for evaluation")),
      registry_(r) {}

Counter& AuditMetrics::rejected_request(const std::string& reason) {
  return registry_.counter("riposte_audit_rejected_requests_total",
                           "Webhook requests refused as a whole, by reason", {{"reason", reason}});
}

Counter& AuditMetrics::skipped_event(const std::string& reason) {
  return registry_.counter("riposte_audit_skipped_events_total",
                           "Events of an accepted EventList left out, by reason",
                           {{"reason", reason}});
}

}  // namespace riposte::audit
