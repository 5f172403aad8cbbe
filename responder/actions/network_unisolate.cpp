// unisolate(): the undo of network.isolate, for the UI's undo and `riposte network
// unisolate`. It removes exactly the policy a run recorded, and only when that object still
// is riposte's isolation of one pod: a same-named policy someone else wrote is refused.
#include "responder/actions/kube_call.h"
#include "responder/actions/network_isolate.h"
#include "responder/actions/subject.h"
#include "responder/actions/target.h"

namespace riposte::actions {
namespace {

// "networkpolicies/shop/riposte-isolate-<uid>" (or "networkpolicy/...") -> namespace, name.
Result<std::pair<std::string, std::string>> parse_policy(std::string_view text) {
  const size_t a = text.find('/'), b = a == std::string_view::npos ? a : text.find('/', a + 1);
  if (b == std::string_view::npos || text.find('/', b + 1) != std::string_view::npos) {
    return Error{"\"" + std::string(text) + "\" is not networkpolicies/NAMESPACE/NAME"};
  }
  const std::string_view kind = text.substr(0, a);
  if (kind != "networkpolicies" && kind != "networkpolicy") {
    return Error{"\"" + std::string(kind) + "\" is not networkpolicies"};
  }
  std::string ns(text.substr(a + 1, b - a - 1)), name(text.substr(b + 1));
  if (auto ok = validate_name(ns, NameKind::kLabel); !ok) return Error{"namespace: " + ok.error()};
  if (auto ok = validate_name(name, NameKind::kSubdomain); !ok) return Error{"name: " + ok.error()};
  if (name.rfind(kIsolatePolicyPrefix, 0) != 0 || name.size() == kIsolatePolicyPrefix.size()) {
    return Error{"NetworkPolicy " + name + " is not one network.isolate creates (" +
                 std::string(kIsolatePolicyPrefix) + "<pod uid>)"};
  }
  return std::pair{std::move(ns), std::move(name)};
}

// Why the object is not riposte's isolation of uid, or "".
std::string not_ours(const json& np, const std::string& uid) {
  const json labels = np.value("metadata", json::object()).value("labels", json::object());
  if (string_at(labels, "app.kubernetes.io/managed-by") != "riposte") {
    return "it is not managed by riposte";
  }
  const json sel = np.value("spec", json::object())
                       .value("podSelector", json::object())
                       .value("matchLabels", json::object());
  if (sel != json{{kIsolatedLabel, uid}}) {
    return "its podSelector is not " + std::string(kIsolatedLabel) + "=" + uid;
  }
  return "";
}

}  // namespace

ActionResult unisolate(kube::KubeClient& kube, const Guardrails& guardrails,
                       std::string_view policy, bool dry_run) {
  ActionResult result;
  auto parsed = parse_policy(policy);
  if (!parsed) return ActionResult::failed(parsed.error());
  const auto& [ns, name] = *parsed;
  const std::string uid = name.substr(kIsolatePolicyPrefix.size());
  const std::string what = "networkpolicies/" + ns + "/" + name;
  result.targets.push_back(what);
  if (auto allowed = guardrails.check_namespace(ns); !allowed) {
    result.status = ActionResult::kSkipped;
    result.message = "not removing " + what + ": " + allowed.error();
    return result;
  }
  const Alert no_alert;
  const YAML::Node no_params;
  ActionContext ctx{no_alert, no_params, kube, guardrails, dry_run, "unisolate"};
  const kube::ResourceRef ref{
      .group = "networking.k8s.io", .resource = "networkpolicies", .namespace_ = ns, .name = name};
  Answer np = read(ctx, ref);
  if (np.is(kube::KubeError::kNotFound)) {
    result.status = ActionResult::kSkipped;
    result.message = what + " is not there: nothing to remove";
    return result;
  }
  if (!np.ok()) {
    fail(&result, "reading " + what, *np.error);
    return result;
  }
  if (std::string why = not_ours(np.body, uid); !why.empty()) {
    fail(&result, "not removing " + what + ": " + why);
    return result;
  }
  // Preconditions: exactly the object just checked, not one recreated or changed since.
  const json options = {
      {"apiVersion", "v1"},
      {"kind", "DeleteOptions"},
      {"preconditions",
       {{"uid", meta(np.body, "uid")}, {"resourceVersion", meta(np.body, "resourceVersion")}}}};
  auto deleted = write(ctx, &result, "DELETE", ref, options.dump());
  if (deleted && !deleted->ok() && !deleted->is(kube::KubeError::kNotFound)) {
    fail(&result, "removing " + what, *deleted->error);
    return result;
  }
  // The policy no longer isolates anything; the label would select the pod again if a policy
  // came back, so it goes too (the pod named by the policy, when it is still the same pod).
  const std::string pod_name = annotation(np.body, "riposte.dev/pod");
  std::string pod_note;
  if (validate_name(pod_name, NameKind::kSubdomain)) {
    const PodTarget t{ns, pod_name, uid};
    Answer pod = read(ctx, pod_ref(t));
    const json labels =
        pod.ok() ? pod.body.value("metadata", json::object()).value("labels", json::object())
                 : json::object();
    if (pod.ok() && meta(pod.body, "uid") == uid && string_at(labels, kIsolatedLabel) == uid) {
      json unlabel = {{"metadata", {{"uid", uid}, {"labels", {{kIsolatedLabel, nullptr}}}}}};
      auto patched =
          write(ctx, &result, "PATCH", pod_ref(t), unlabel.dump(), std::string(kMergePatch));
      if (patched && !patched->ok() && !patched->is(kube::KubeError::kNotFound)) {
        fail(&result, "removed " + what + " but unlabelling pod " + ns + "/" + pod_name,
             *patched->error);
        return result;
      }
      pod_note = " and its label on pod " + ns + "/" + pod_name;
    }
  }
  if (!deleted) return finish_dry_run(&result, "would remove " + what + pod_note);
  result.message = "removed " + what + pod_note;
  return result;
}

}  // namespace riposte::actions
