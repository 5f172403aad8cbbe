// Node actions: process.kill, container.kill, container.freeze, container.thaw and
// forensics.capture, done by the detector of the alert's node (common/node_action.h,
// detector/node_agent). The responder names the target from the alert (hostname: the node;
// proc.pid and proc.pid.ts: the process; container.id: the container) and the detector checks
// every one of them against its own state before it acts, so a forged or stale field is
// refused there, never acted on. The namespace guardrails are checked here on the alert's
// k8s.ns.name and again on the node against the namespace it resolves itself.
//   params: allow_host (default false): the process may be a host process, outside any
//             container (process.kill, forensics.capture only)
//           timeout_seconds (1..30, default 5): how long to wait for the node's answer
//   example: {action: process.kill}   {action: forensics.capture}   {action: container.freeze}
#include "responder/actions/node_local_actions.h"

#include "common/log.h"
#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/target.h"

namespace riposte::actions {
namespace {

// The responder's namespace guardrails, for the node to apply to the namespace it resolves.
void set_scope(const Guardrails& g, NodeActionRequest* q) {
  q->protected_namespaces.assign(g.protected_namespaces.begin(), g.protected_namespaces.end());
  if (!g.confined_to.empty()) {
    q->allowed_namespaces = {g.confined_to};
  } else {
    q->allowed_namespaces.assign(g.allowed_namespaces.begin(), g.allowed_namespaces.end());
  }
}

}  // namespace

ActionResult ask_node(NodeAgentClient* agent, const NodeActionRequest& q,
                      std::chrono::seconds timeout) {
  ActionResult result;
  auto subject = node_action_subject(q.node);
  if (!subject) return ActionResult::failed("node: " + subject.error());
  result.requests.push_back({"REQUEST", *subject, to_json(q).dump()});
  const std::string what = std::string(node_action_name(q.action)) + " on node " + q.node;
  if (q.dry_run) {
    log::info("dry-run: not sent", {{"playbook", q.playbook},
                                    {"method", "REQUEST"},
                                    {"path", *subject},
                                    {"body", result.requests.back().body}});
    result.status = ActionResult::kDryRun;
    result.message = "would ask for " + what;
    return result;
  }
  if (agent == nullptr) {
    return ActionResult::failed("node actions are not served by this responder");
  }
  auto reply = agent->call(q, timeout);
  if (!reply) {
    // Nobody answered (the detector restarting, NATS failing over): nothing was done that
    // we know of, and asking again later may work. A kill asked twice is harmless: the
    // node checks the process's start time each time.
    result.status = ActionResult::kFailed;
    result.message = what + ": " + reply.error();
    result.retryable = true;
    return result;
  }
  result.reply = to_json(*reply);
  result.targets = reply->targets;
  switch (reply->outcome) {
    case NodeActionReply::kDone:
      result.status = ActionResult::kSucceeded;
      break;
    case NodeActionReply::kDryRun:
      result.status = ActionResult::kDryRun;
      break;
    case NodeActionReply::kRefused:
      result.status = ActionResult::kSkipped;
      break;
    case NodeActionReply::kFailed:
      result.status = ActionResult::kFailed;
      break;
  }
  result.message = "node " + q.node + ": " + reply->reason;
  return result;
}

Result<NodeActionRequest> thaw_request(std::string_view freeze_request, const Guardrails& g,
                                       bool dry_run) {
  auto frozen = parse_node_action_request(freeze_request);
  if (!frozen) return Error{"the recorded freeze request: " + frozen.error()};
  if (frozen->action != NodeAction::kContainerFreeze || frozen->container_id.empty()) {
    return Error{"the recorded request is not a container.freeze of a container"};
  }
  NodeActionRequest q;
  q.action = NodeAction::kContainerThaw;
  q.id = new_uuid();
  q.node = frozen->node;
  // The container alone: the process the alert named may be gone since, the frozen cgroup
  // is what must come back.
  q.container_id = frozen->container_id;
  set_scope(g, &q);
  q.dry_run = dry_run;
  q.playbook = frozen->playbook;
  return q;
}

namespace {

struct Options {
  bool allow_host = false;
  int64_t timeout_seconds = 5;
};

bool about_process(NodeAction a) {
  return a == NodeAction::kProcessKill || a == NodeAction::kForensicsCapture;
}

template <NodeAction kAction>
Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  if (about_process(kAction)) o.allow_host = r.boolean("allow_host").value_or(false);
  o.timeout_seconds = r.integer("timeout_seconds", 1, 30).value_or(5);
  r.reject_unknown();
  return o;
}

// An integer alert field (Falco writes numbers as numbers); 0 when absent or null.
Result<int64_t> int_field(const Alert& alert, std::string_view field, int64_t max) {
  auto it = alert.output_fields.find(field);
  if (it == alert.output_fields.end() || it->is_null()) return int64_t{0};
  if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > max) {
    return Error{"alert field \"" + std::string(field) + "\" is not a positive integer"};
  }
  return it->get<int64_t>();
}

// The request for the alert's target; an error names the alert field that cannot name one.
Result<NodeActionRequest> request_for(NodeAction action, const ActionContext& ctx,
                                      const Options& o) {
  const Alert& a = ctx.alert;
  NodeActionRequest q;
  q.action = action;
  q.id = ctx.idempotency_key.empty() ? new_uuid() : std::string(ctx.idempotency_key);
  q.node = a.hostname;
  if (auto subject = node_action_subject(q.node); !subject) {
    return Error{"alert hostname (the node): " + subject.error()};
  }
  auto pid = int_field(a, "proc.pid", 1 << 22);
  if (!pid) return pid.err();
  auto start = int_field(a, "proc.pid.ts", INT64_MAX);
  if (!start) return start.err();
  q.pid = *pid;
  q.start_time_ns = *start;
  // Without proc.pid.ts in the rule's output the alert's own time bounds the process's start.
  if (q.pid != 0 && q.start_time_ns == 0) q.started_before_ns = a.time_ns;
  std::string cid;
  if (a.field_string("container.id", &cid) && cid != "host") q.container_id = cid;
  if (about_process(action) && q.pid == 0) return Error{"the alert has no proc.pid"};
  if (!about_process(action) && q.container_id.empty()) {
    return Error{"the alert names no container (container.id)"};
  }
  q.allow_host = o.allow_host;
  set_scope(ctx.guardrails, &q);
  q.dry_run = ctx.dry_run;
  q.playbook = std::string(ctx.playbook);
  return q;
}

template <NodeAction kAction>
class NodeStep final : public ActionWithOptions<Options, parse_options<kAction>> {
 public:
  std::string_view name() const override { return node_action_name(kAction); }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    auto q = request_for(kAction, ctx, opts);
    if (!q) return ActionResult::failed(q.error());
    // A first look at the namespace the alert claims; the node checks the one it resolves.
    std::string ns;
    if (ctx.alert.field_string(kNamespaceField, &ns)) {
      if (Status st = ctx.guardrails.check_namespace(ns); !st)
        return ActionResult::skipped(st.error());
    }
    return ask_node(ctx.node_agent, *q, std::chrono::seconds(opts.timeout_seconds));
  }
};

}  // namespace

std::unique_ptr<Action> make_process_kill() {
  return std::make_unique<NodeStep<NodeAction::kProcessKill>>();
}
std::unique_ptr<Action> make_container_kill() {
  return std::make_unique<NodeStep<NodeAction::kContainerKill>>();
}
std::unique_ptr<Action> make_container_freeze() {
  return std::make_unique<NodeStep<NodeAction::kContainerFreeze>>();
}
std::unique_ptr<Action> make_container_thaw() {
  return std::make_unique<NodeStep<NodeAction::kContainerThaw>>();
}
std::unique_ptr<Action> make_forensics_capture() {
  return std::make_unique<NodeStep<NodeAction::kForensicsCapture>>();
}

}  // namespace riposte::actions
