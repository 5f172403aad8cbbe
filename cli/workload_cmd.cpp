// riposte workload restore: undoes workload.scale after an incident is handled, with the same
// guardrails as the responder (protected namespaces) and a dry-run that prints the requests.
#include <cstdio>

#include "cli/commands.h"
#include "common/flags.h"
#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "responder/actions/guardrails.h"
#include "responder/actions/workload.h"

namespace riposte::cli {

int workload_restore(const Args& args) {
  std::vector<std::string> targets, protected_ns;
  std::string kubeconfig, own_namespace = "riposte";
  bool dry_run = false;
  Flags f("riposte workload restore",
          "Scales a workload that the workload.scale action scaled down back to the replica "
          "count recorded in its riposte.dev/previous-replicas annotation, then removes the "
          "annotation. Refuses protected namespaces like the responder does. Exits 0 when "
          "restored (or nothing to restore), 1 on an error.",
          "riposte workload restore deployments/NAMESPACE/NAME [--dry-run] [--kubeconfig FILE]");
  f.add_positional("KIND/NAMESPACE/NAME", &targets,
                   "deployments/..., statefulsets/... or replicasets/... (singular accepted)");
  f.add_bool("dry-run", &dry_run, "print the requests it would send; change nothing");
  f.add_string("kubeconfig", &kubeconfig, "FILE",
               "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  f.add_string("own-namespace", &own_namespace, "NS", "riposte's namespace (protected)");
  f.add_list("protected-namespace", &protected_ns, "NS", "another namespace never to touch");
  if (int rc = parse_flags(f, args); rc >= 0) return rc;
  if (targets.size() != 1) {
    std::fprintf(stderr, "riposte workload restore: give exactly one KIND/NAMESPACE/NAME\n");
    return 2;
  }
  auto workload = actions::parse_workload(targets[0]);
  if (!workload) {
    std::fprintf(stderr, "riposte workload restore: %s\n", workload.error().c_str());
    return 2;
  }
  auto cfg = kube::load_config(kubeconfig);
  if (!cfg) {
    std::fprintf(stderr, "riposte workload restore: %s\n", cfg.error().c_str());
    return 1;
  }
  auto kube = kube::HttpKubeClient::create(*cfg);
  if (!kube) {
    std::fprintf(stderr, "riposte workload restore: %s\n", kube.error().c_str());
    return 1;
  }
  actions::Guardrails guardrails;
  guardrails.protected_namespaces = actions::default_protected_namespaces(own_namespace);
  for (const auto& ns : protected_ns) guardrails.protected_namespaces.insert(ns);
  auto r = actions::restore_workload(**kube, guardrails, std::move(*workload), dry_run);
  for (const auto& req : r.requests) {
    std::printf("%s%s%s\n", req.str().c_str(), req.body.empty() ? "" : " ", req.body.c_str());
  }
  std::printf("%s: %s\n", std::string(actions::status_name(r.status)).c_str(), r.message.c_str());
  return r.status == actions::ActionResult::kFailed ? 1 : 0;
}

}  // namespace riposte::cli
