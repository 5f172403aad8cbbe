// What network.isolate leaves in a cluster, and its undo. The NetworkPolicy
// riposte-isolate-<pod uid> selects riposte.dev/isolated=<pod uid>, a label the action puts on
// the pod; both name the pod by its uid, so an undo can check that a policy is riposte's own
// isolation of one pod before removing anything.
#pragma once

#include <string>
#include <string_view>

#include "common/kube/kube_client.h"
#include "responder/actions/action.h"
#include "responder/actions/guardrails.h"

namespace riposte::actions {

inline constexpr std::string_view kIsolatedLabel = "riposte.dev/isolated";
inline constexpr std::string_view kIsolatePolicyPrefix = "riposte-isolate-";

// Removes one isolation: "networkpolicies/<namespace>/riposte-isolate-<uid>" (as a
// network.isolate step's targets name it). Deletes the policy only when it is riposte's
// isolation of that uid (managed-by label, selector, name agree), with the uid and
// resourceVersion read as preconditions, then takes the label off the pod it isolated (uid
// precondition: a successor pod of the same name is left alone). Namespace guardrails and
// dry-run as for an action; a policy already gone is skipped (nothing to undo).
ActionResult unisolate(kube::KubeClient& kube, const Guardrails& guardrails,
                       std::string_view policy, bool dry_run = false);

}  // namespace riposte::actions
