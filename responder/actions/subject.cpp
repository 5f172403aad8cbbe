#include "responder/actions/subject.h"

namespace riposte::actions {

std::optional<PodTarget> guarded_pod(const ActionContext& ctx, std::string_view doing,
                                     ActionResult* result) {
  auto target = pod_target(ctx.alert);
  if (!target) {
    fail(result, target.error());
    return std::nullopt;
  }
  result->targets.push_back(target->str());
  if (auto allowed = ctx.guardrails.check_namespace(target->namespace_); !allowed) {
    result->status = ActionResult::kSkipped;
    result->message = "not " + std::string(doing) + " pod " + target->namespace_ + "/" +
                      target->name + ": " + allowed.error();
    return std::nullopt;
  }
  return std::move(*target);
}

kube::ResourceRef pod_ref(const PodTarget& t, std::string_view subresource) {
  return {.resource = "pods", .namespace_ = t.namespace_, .name = t.name,
          .subresource = subresource};
}

Answer read_pod(ActionContext& ctx, const PodTarget& t) { return read(ctx, pod_ref(t)); }

bool same_pod(const PodTarget& t, const json& pod) {
  return t.uid.empty() || meta(pod, "uid") == t.uid;
}

std::optional<json> existing_pod(ActionContext& ctx, const PodTarget& t,
                                 ActionResult::Status gone_status, ActionResult* result) {
  const std::string pod = t.namespace_ + "/" + t.name;
  Answer a = read_pod(ctx, t);
  if (a.is(kube::KubeError::kNotFound)) {
    result->status = gone_status;
    result->message = "pod " + pod + " already gone";
    return std::nullopt;
  }
  if (!a.ok()) {
    fail(result, "reading pod " + pod, *a.error);
    return std::nullopt;
  }
  if (!same_pod(t, a.body)) {
    result->status = gone_status;
    result->message = "pod " + pod + " with uid " + t.uid +
                      " already gone (a newer pod has its name; left alone)";
    return std::nullopt;
  }
  return std::move(a.body);
}

std::optional<std::string> node_of(const json& pod, const PodTarget& t, ActionResult* result) {
  const std::string pod_name = t.namespace_ + "/" + t.name;
  std::string node;
  if (auto spec = pod.find("spec"); spec != pod.end()) node = string_at(*spec, "nodeName");
  if (node.empty()) {
    fail(result, "pod " + pod_name + " is not scheduled on a node yet");
    return std::nullopt;
  }
  // The API server validated it, but a name is only ever put in a path after our own check.
  if (auto ok = validate_name(node, NameKind::kSubdomain); !ok) {
    fail(result, "pod " + pod_name + " has an invalid spec.nodeName: " + ok.error());
    return std::nullopt;
  }
  return node;
}

std::optional<std::string> node_of_alert_pod(ActionContext& ctx, std::string_view doing,
                                             ActionResult* result) {
  auto target = guarded_pod(ctx, doing, result);
  if (!target) return std::nullopt;
  // Without the pod there is no node to act on: "gone" is a failure here.
  auto pod = existing_pod(ctx, *target, ActionResult::kFailed, result);
  if (!pod) {
    if (result->status == ActionResult::kFailed && result->message.rfind("pod ", 0) == 0) {
      result->message = "cannot find the node: " + result->message;
    }
    return std::nullopt;
  }
  auto node = node_of(*pod, *target, result);
  if (!node) return node;
  result->targets.push_back("nodes/" + *node);
  if (auto allowed = ctx.guardrails.check_cluster_scoped("node " + *node); !allowed) {
    result->status = ActionResult::kSkipped;
    result->message = std::string(doing) + " pod " + target->namespace_ + "/" + target->name +
                      ": " + allowed.error();
    return std::nullopt;
  }
  return node;
}

kube::ResourceRef node_ref(const std::string& node) {
  return {.resource = "nodes", .name = node};
}

bool is_ready(const json& pod) {
  auto status = pod.find("status");
  if (status == pod.end() || !status->is_object()) return false;
  auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return false;
  for (const auto& c : *conditions) {
    if (string_at(c, "type") == "Ready") return string_at(c, "status") == "True";
  }
  return false;
}

}  // namespace riposte::actions
