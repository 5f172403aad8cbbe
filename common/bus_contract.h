// The bus contract: every name the detector, the responder, the CLI and the shipped NATS
// permissions (deploy/helm/riposte/files/nats-permissions.conf) must agree on, in one place.
// A change here is a change of the wire contract: update the permissions file with it.
#pragma once

#include <cstddef>
#include <string_view>

namespace riposte {

// --- Streams and their subjects -------------------------------------------------------------
// Alerts, published as riposte.alerts.<priority>.<rule slug> (alert_subject()).
inline constexpr const char* kAlertStream = "RIPOSTE_ALERTS";
inline constexpr const char* kAlertSubjects = "riposte.alerts.>";
inline constexpr std::string_view kAlertSubjectPrefix = "riposte.alerts.";
// Alerts the responder could not parse or handle, with the reason in a header.
inline constexpr const char* kDeadLetterStream = "RIPOSTE_DEADLETTER";
inline constexpr const char* kDeadLetterSubjects = "riposte.deadletter.>";
inline constexpr const char* kDeadLetterSubject = "riposte.deadletter.alerts";
// The responder's audit: one run record per (alert, playbook), cooldown summaries.
inline constexpr const char* kActionStream = "RIPOSTE_ACTIONS";
inline constexpr const char* kActionSubjects = "riposte.actions.>";
inline constexpr std::string_view kRunSubjectPrefix = "riposte.actions.run.";
inline constexpr std::string_view kSuppressedSubjectPrefix = "riposte.actions.suppressed.";
// The web UI's undos of a run's actions, one record per undo (who, when, what was sent).
inline constexpr std::string_view kUndoSubjectPrefix = "riposte.actions.undo.";
// Falcosidekick's NATS output, republished into RIPOSTE_ALERTS by the responder's bridge.
inline constexpr const char* kFalcosidekickSubjects = "falco.>";

// Node-local actions: core request/reply on riposte.node.<node>.action (node_action_subject()),
// the responder requests, the node's detector answers.
inline constexpr const char* kNodeActionSubjects = "riposte.node.*.action";

// --- Key-value buckets (the responder's only) -----------------------------------------------
inline constexpr const char* kRunsBucket = "RIPOSTE_RUNS";           // run ledger
inline constexpr const char* kCooldownBucket = "RIPOSTE_COOLDOWNS";  // windows, clock probes
inline constexpr const char* kRateBucket = "RIPOSTE_RATES";          // rate-limit minutes
// The web UI's credentials: the admin's password hash and the session signing key.
inline constexpr const char* kUiBucket = "RIPOSTE_UI";

// --- Reply subjects ---------------------------------------------------------------------------
// Reply-subject prefixes of the detector's and the responder's NATS connections. The shipped
// NATS configurations grant each component subscribe on its own prefix only.
inline constexpr const char* kDetectorInboxPrefix = "_INBOX.riposte-detector";
inline constexpr const char* kResponderInboxPrefix = "_INBOX.riposte-responder";
inline constexpr const char* kAuditInboxPrefix = "_INBOX.riposte-audit";

// --- Alert fields the responder reads (output_fields keys, as Falco names them) -------------
inline constexpr std::string_view kNamespaceField = "k8s.ns.name";
inline constexpr std::string_view kPodNameField = "k8s.pod.name";
inline constexpr std::string_view kPodUidField = "k8s.pod.uid";
// The same for alerts of Falco's k8s_audit rules (source k8s_audit): the request's target.
inline constexpr std::string_view kAuditNamespaceField = "ka.target.namespace";
inline constexpr std::string_view kAuditNameField = "ka.target.name";
inline constexpr std::string_view kAuditResponseNameField = "ka.resp.name";
inline constexpr std::string_view kAuditResourceField = "ka.target.resource";

// Size limit enforced by parse_alert: alerts are attacker-influenced input.
inline constexpr size_t kMaxAlertBytes = 256 * 1024;

}  // namespace riposte
