// Marking a node (un)schedulable, shared by node.cordon, node.uncordon and node.drain.
#pragma once

#include <optional>
#include <string>

#include "responder/actions/kube_call.h"

namespace riposte::actions {

// PATCHes spec.unschedulable of the node; nullopt in dry-run. Idempotent: a second cordon is
// the same patch and the same answer.
std::optional<Answer> set_unschedulable(ActionContext& ctx, ActionResult* result,
                                        const std::string& node, bool unschedulable);

// The whole of node.cordon / node.uncordon: the alert's pod's node, marked.
ActionResult cordon_alert_node(ActionContext& ctx, bool unschedulable);

}  // namespace riposte::actions
