#include "responder/actions/cordon.h"

#include "responder/actions/subject.h"

namespace riposte::actions {

std::optional<Answer> set_unschedulable(ActionContext& ctx, ActionResult* result,
                                        const std::string& node, bool unschedulable) {
  return write(ctx, result, "PATCH", node_ref(node),
               json{{"spec", {{"unschedulable", unschedulable}}}}.dump(),
               std::string(kMergePatch));
}

ActionResult cordon_alert_node(ActionContext& ctx, bool unschedulable) {
  const std::string verb = unschedulable ? "cordon" : "uncordon";
  ActionResult result;
  auto node = node_of_alert_pod(ctx, verb + "ing the node of", &result);
  if (!node) return result;
  auto sent = set_unschedulable(ctx, &result, *node, unschedulable);
  if (!sent) return finish_dry_run(&result, "would " + verb + " node " + *node);
  if (!sent->ok()) {
    fail(&result, verb + "ing node " + *node, *sent->error);
  } else {
    result.message = verb + "ed node " + *node;
  }
  return result;
}

}  // namespace riposte::actions
