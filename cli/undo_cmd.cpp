// The operator's undo of a responder action after an incident is handled, with the same
// guardrails as the responder (protected namespaces) and a dry-run that prints the requests:
//   riposte workload restore  -> workload.scale   (actions::restore_workload)
//   riposte network unisolate -> network.isolate  (actions::unisolate)
//   riposte container thaw    -> container.freeze (actions::ask_node over NATS, as the
//                                responder's node actions: the responder's NATS user)
// The UI's undo runs the same functions and also audits on the bus; these are audited by the
// API server's audit log (kubeconfig's user) and the node's "node action" log line.
#include <cstdio>
#include <functional>

#include "cli/commands.h"
#include "common/bus_contract.h"
#include "common/daemon_flags.h"
#include "common/flags.h"
#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "common/nats.h"
#include "responder/actions/guardrails.h"
#include "responder/actions/network_isolate.h"
#include "responder/actions/node_agent_client.h"
#include "responder/actions/node_local_actions.h"
#include "responder/actions/workload.h"

namespace riposte::cli {
namespace {

struct GuardFlags {
  std::string own_namespace = "riposte";
  std::vector<std::string> protected_ns;
  bool dry_run = false;

  void add(Flags& f) {
    f.add_bool("dry-run", &dry_run, "print the requests it would send; change nothing");
    f.add_string("own-namespace", &own_namespace, "NS", "riposte's namespace (protected)");
    f.add_list("protected-namespace", &protected_ns, "NS", "another namespace never to touch");
  }
  actions::Guardrails guardrails() const {
    actions::Guardrails g;
    g.protected_namespaces = actions::default_protected_namespaces(own_namespace);
    for (const auto& ns : protected_ns) g.protected_namespaces.insert(ns);
    return g;
  }
};

// Prints what was sent (or would be) and the outcome; the exit code: 1 when it failed.
int report(const actions::ActionResult& r) {
  for (const auto& req : r.requests) {
    std::printf("%s%s%s\n", req.str().c_str(), req.body.empty() ? "" : " ", req.body.c_str());
  }
  std::printf("%s: %s\n", std::string(actions::status_name(r.status)).c_str(), r.message.c_str());
  return r.status == actions::ActionResult::kFailed ? 1 : 0;
}

using KubeUndo = std::function<actions::ActionResult(kube::KubeClient&, const actions::Guardrails&,
                                                     const std::string& target, bool dry_run)>;

// One TARGET, the kubeconfig's client, the guardrails: what workload restore and network
// unisolate share. check_target: a usage error (exit 2) before anything is read.
int kube_undo(const Args& args, const char* command, const char* about, const char* usage,
              const char* target_help, const std::function<Status(const std::string&)>& check,
              const KubeUndo& run) {
  std::vector<std::string> targets;
  std::string kubeconfig;
  GuardFlags g;
  Flags f(command, about, usage);
  f.add_positional("TARGET", &targets, target_help);
  f.add_string("kubeconfig", &kubeconfig, "FILE",
               "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  g.add(f);
  if (int rc = parse_flags(f, args); rc >= 0) return rc;
  if (targets.size() != 1) {
    std::fprintf(stderr, "%s: give exactly one %s\n", command, target_help);
    return 2;
  }
  if (Status st = check(targets[0]); !st.ok()) {
    std::fprintf(stderr, "%s: %s\n", command, st.error().c_str());
    return 2;
  }
  auto cfg = kube::load_config(kubeconfig);
  if (!cfg) {
    std::fprintf(stderr, "%s: %s\n", command, cfg.error().c_str());
    return 1;
  }
  auto kube = kube::HttpKubeClient::create(*cfg);
  if (!kube) {
    std::fprintf(stderr, "%s: %s\n", command, kube.error().c_str());
    return 1;
  }
  return report(run(**kube, g.guardrails(), targets[0], g.dry_run));
}

}  // namespace

int workload_restore(const Args& args) {
  return kube_undo(
      args, "riposte workload restore",
      "Scales a workload that the workload.scale action scaled down back to the replica "
      "count recorded in its riposte.dev/previous-replicas annotation, then removes the "
      "annotation. Refuses protected namespaces like the responder does. Exits 0 when "
      "restored (or nothing to restore), 1 on an error.",
      "riposte workload restore deployments/NAMESPACE/NAME [--dry-run] [--kubeconfig FILE]",
      "deployments/NS/NAME, statefulsets/... or replicasets/... (singular accepted)",
      [](const std::string& t) -> Status {
        if (auto w = actions::parse_workload(t); !w) return Error{w.error()};
        return {};
      },
      [](kube::KubeClient& kube, const actions::Guardrails& g, const std::string& t, bool dry) {
        return actions::restore_workload(kube, g, *actions::parse_workload(t), dry);
      });
}

int network_unisolate(const Args& args) {
  return kube_undo(
      args, "riposte network unisolate",
      "Undoes network.isolate: deletes the NetworkPolicy riposte-isolate-<pod uid> the action "
      "created (only when it still is riposte's isolation of that pod, with its uid and "
      "resourceVersion as preconditions) and takes the riposte.dev/isolated label off the pod. "
      "The policy's name is in the run's audit record (the step's targets) and in the UI. "
      "Refuses protected namespaces like the responder does. Exits 0 when removed (or "
      "nothing to remove), 1 on an error.",
      "riposte network unisolate networkpolicies/NAMESPACE/riposte-isolate-UID [--dry-run]",
      "networkpolicies/NS/riposte-isolate-UID",
      [](const std::string& t) -> Status {
        if (t.rfind("networkpolic", 0) != 0) return Error{"not networkpolicies/NS/NAME: " + t};
        return {};
      },
      [](kube::KubeClient& kube, const actions::Guardrails& g, const std::string& t, bool dry) {
        return actions::unisolate(kube, g, t, dry);
      });
}

int container_thaw(const Args& args) {
  std::string node, container;
  int64_t timeout_seconds = 10;
  GuardFlags g;
  nats::Options o;
  o.url = "nats://127.0.0.1:4222";
  Flags f("riposte container thaw",
          "Undoes container.freeze: asks the detector of NODE (riposte-detector "
          "--node-actions) to thaw the container, exactly as the responder's container.thaw "
          "step does, over NATS with the responder's user (only it may send node actions). "
          "The node re-checks the container and the namespace guardrails. Exits 0 when thawed "
          "(or refused by the node, with its reason), 1 when it failed or nobody answered.",
          "riposte container thaw --node NODE --container-id ID [--nats URL --nats-user "
          "riposte-responder ...] [--dry-run]");
  f.add_string("node", &node, "NODE", "the node the container runs on (the alert's hostname)");
  f.add_string("container-id", &container, "ID", "the container (12 or 64 hex digits)");
  f.add_int("timeout-seconds", &timeout_seconds, "N", "how long to wait for the node's answer");
  g.add(f);
  add_nats_flags(f, &o);
  if (int rc = parse_flags(f, args); rc >= 0) return rc;
  if (node.empty() || container.empty() || timeout_seconds < 1 || timeout_seconds > 60) {
    std::fprintf(stderr,
                 "riposte container thaw: give --node, --container-id (and 1..60 seconds)\n");
    return 2;
  }
  // The same request a recorded freeze of that container undoes to.
  NodeActionRequest frozen;
  frozen.action = NodeAction::kContainerFreeze;
  frozen.id = "cli";
  frozen.node = node;
  frozen.container_id = container;
  frozen.playbook = "riposte container thaw";
  const actions::Guardrails guardrails = g.guardrails();
  auto q = actions::thaw_request(to_json(frozen).dump(), guardrails, g.dry_run);
  if (!q) {
    std::fprintf(stderr, "riposte container thaw: %s\n", q.error().c_str());
    return 2;
  }
  std::unique_ptr<nats::Connection> conn;
  actions::NatsNodeAgentClient agent;
  if (!g.dry_run) {
    o.name = "riposte-cli";
    if (o.inbox_prefix.empty()) o.inbox_prefix = kResponderInboxPrefix;  // its rights
    o.max_reconnect = 0;
    auto c = nats::Connection::connect(o);
    if (!c) {
      std::fprintf(stderr, "riposte container thaw: NATS: %s\n", c.error().c_str());
      return 1;
    }
    conn = std::move(*c);
    agent.bind(conn.get());
  }
  return report(actions::ask_node(&agent, *q, std::chrono::seconds(timeout_seconds)));
}

}  // namespace riposte::cli
