// The workload behind a pod, found through ownerReferences (Pod -> ReplicaSet -> Deployment,
// StatefulSet, or a ReplicaSet nothing controls), and the "last ready replica" guardrail that
// pod.delete, pod.evict and workload.scale share.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "responder/actions/kube_call.h"
#include "responder/actions/target.h"

namespace riposte::actions {

// Where workload.scale records the replica count it scaled away from, so it can be restored.
inline constexpr std::string_view kPreviousReplicasAnnotation = "riposte.dev/previous-replicas";

// The param that lifts the last-ready-replica guardrail.
inline constexpr std::string_view kAllowLastReplica = "allow_last_replica";

struct Workload {
  enum Kind { kDeployment, kStatefulSet, kReplicaSet };
  Kind kind = kDeployment;
  std::string namespace_;
  std::string name;
  json object;  // as last read from the API server

  std::string_view resource() const;  // "deployments"
  std::string str() const;            // "deployments/shop/web"
  kube::ResourceRef ref(std::string_view subresource = {}) const;
  int64_t spec_replicas() const;   // spec.replicas (1 when unset, as the API defaults it)
  int64_t ready_replicas() const;  // status.readyReplicas (0 when unset)
};

// "deployments/shop/web" (also "deployment/...", "statefulsets/...", "replicasets/..."), with
// namespace and name validated: for operators naming a workload (riposte CLI, tests).
Result<Workload> parse_workload(std::string_view text);

// The scalable workload that controls the pod. nullopt when there is none (a bare pod, or one
// a DaemonSet, Job or custom controller owns): *reason says which. On a read error returns
// nullopt with *result failed (check result->status).
std::optional<Workload> find_workload(ActionContext& ctx, const PodTarget& t, const json& pod,
                                      std::string* reason, ActionResult* result);

// GET of the workload into w->object; false with *result failed on error.
bool read_workload(ActionContext& ctx, Workload* w, ActionResult* result);

// The guardrail before deleting or evicting a pod: true when it may go. False when *result is
// now final: skipped (the pod is the last ready one of its workload and the playbook did not
// set allow_last_replica) or failed (the owner could not be read).
bool may_remove_pod(ActionContext& ctx, const PodTarget& t, const json& pod,
                    std::string_view doing, ActionResult* result);

// Scales the workload back to the count workload.scale recorded in its
// riposte.dev/previous-replicas annotation and removes the annotation. Honours the namespace
// guardrails and dry-run like an action. For operators (CLI) after an incident is handled.
// expected (>= 0): the count an audit record says the workload was scaled from; restoring
// is refused when the annotation says otherwise (scaled again since: the UI's undo).
ActionResult restore_workload(kube::KubeClient& kube, const Guardrails& guardrails,
                              Workload workload, bool dry_run = false, int64_t expected = -1);

}  // namespace riposte::actions
