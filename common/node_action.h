// The bus contract of node actions (issue 17): the responder asks the detector of one node to
// kill, freeze, thaw or capture a process or container there, by core NATS request/reply on
// riposte.node.<node>.action. Core request/reply, not JetStream: an action is worth doing only
// now, on a live process, and its answer (done, refused, failed) is what the responder records;
// a request stored and replayed after a detector restart would act on a state nobody saw, and
// a lost request is a failed, retryable step that the responder's redelivery already covers.
//
// Both sides parse strictly: the detector treats a request as untrusted input (it holds values
// copied from an alert), the responder a reply likewise.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bus_contract.h"
#include "common/result.h"

namespace riposte {

// kNodeActionSubjects: common/bus_contract.h
// Requests and replies are small; a forensics reply is cut to this (see detector/node_agent).
inline constexpr size_t kMaxNodeActionRequestBytes = 16 * 1024;
inline constexpr size_t kMaxNodeActionReplyBytes = 256 * 1024;

enum class NodeAction : uint8_t {
  kProcessKill,
  kContainerKill,
  kContainerFreeze,
  kContainerThaw,
  kForensicsCapture,
};
std::string_view node_action_name(NodeAction a);  // "process.kill", ...
std::optional<NodeAction> parse_node_action(std::string_view name);

// riposte.node.<node>.action; an error when node is not a DNS-1123 subdomain (a node name):
// a '.', '*' or '>' from an alert must never widen or redirect the subject.
Result<std::string> node_action_subject(std::string_view node);

struct NodeActionRequest {
  std::string id;  // the responder's step key (or a uuid): echoed, logged on both sides
  NodeAction action = NodeAction::kProcessKill;
  std::string node;  // the node that must act; any other refuses
  // The process: host pid and when it started, so that a reused pid is never hit. Exact when
  // the alert carries proc.pid.ts (start_time_ns), else bounded by the alert's time
  // (started_before_ns): the process the alert saw was alive then, any later holder of its pid
  // started after it.
  int64_t pid = 0;                // 0: none (container actions by container_id alone)
  int64_t start_time_ns = 0;      // ns since the epoch; 0: unknown
  int64_t started_before_ns = 0;  // ns since the epoch; 0: no bound
  std::string container_id;       // 12 or 64 hex digits, "" when none; checked by the node
  // The playbook's explicit consent to act on a process outside any container.
  bool allow_host = false;
  bool dry_run = false;
  // The responder's namespace guardrails, applied by the node to the namespace it resolves
  // itself (the alert's k8s.ns.name is not trusted for this), on top of its own.
  std::vector<std::string> protected_namespaces;
  std::vector<std::string> allowed_namespaces;  // empty: any
  std::string playbook;                         // for the node's log
};

nlohmann::json to_json(const NodeActionRequest& r);
// Strict: unknown keys, wrong types, out-of-range values and oversized input are errors.
Result<NodeActionRequest> parse_node_action_request(std::string_view json);

struct NodeActionReply {
  enum Outcome : uint8_t {
    kDone,     // acted; the effect is confirmed (dead, frozen, thawed, captured)
    kDryRun,   // would have acted on `targets`
    kRefused,  // not acted on: guardrail, foreign or unknown target, malformed request
    kFailed,   // tried and could not
  };
  std::string id;
  Outcome outcome = kRefused;
  std::string reason;                // human-readable: what was done, or why not
  std::vector<std::string> targets;  // "pid 1234", "container 0123456789ab"
  nlohmann::json detail;             // forensics.capture: what was captured; else null
};
std::string_view outcome_name(NodeActionReply::Outcome o);  // done, dry_run, refused, failed

nlohmann::json to_json(const NodeActionReply& r);
Result<NodeActionReply> parse_node_action_reply(std::string_view json);

}  // namespace riposte
