// What an action acts on, derived safely from an alert: the pod it names (validated, inside
// the guardrails), that pod as the API server knows it, and the node it runs on, which comes
// from the pod's spec.nodeName and never from an alert field.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "responder/actions/kube_call.h"
#include "responder/actions/target.h"

namespace riposte::actions {

// The alert's pod when it is a valid name in a namespace the guardrails allow. Otherwise
// nullopt, and *result holds the outcome to return: failed (no valid pod in the alert) or
// skipped (guardrails). `doing` starts the message: "not evicting pod shop/web-1: ...".
std::optional<PodTarget> guarded_pod(const ActionContext& ctx, std::string_view doing,
                                     ActionResult* result);

// Coordinates of the target pod, or one of its subresources ("eviction").
kube::ResourceRef pod_ref(const PodTarget& t, std::string_view subresource = {});

// GET of the pod.
Answer read_pod(ActionContext& ctx, const PodTarget& t);

// False when the alert carried a uid and the pod under that name has another one: the pod
// the alert saw is gone and a successor reuses its name (StatefulSets do).
bool same_pod(const PodTarget& t, const json& pod);

// The pod read for an action that needs it to exist. nullopt when it does not: *result is
// then failed (read error), or succeeded/skipped per gone_status when the pod (or the
// incarnation the alert saw) is gone, with a message saying so.
std::optional<json> existing_pod(ActionContext& ctx, const PodTarget& t,
                                 ActionResult::Status gone_status, ActionResult* result);

// The node the pod is bound to (spec.nodeName), validated as a node name. nullopt with
// *result failed when the pod is not scheduled or the name is not valid.
std::optional<std::string> node_of(const json& pod, const PodTarget& t, ActionResult* result);

// The alert's pod's node, for node actions: guarded_pod + GET + node_of. `doing` as above.
std::optional<std::string> node_of_alert_pod(ActionContext& ctx, std::string_view doing,
                                             ActionResult* result);

kube::ResourceRef node_ref(const std::string& node);

// True when the pod's Ready condition is True.
bool is_ready(const json& pod);

}  // namespace riposte::actions
