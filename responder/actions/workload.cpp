#include "responder/actions/workload.h"

#include <array>

#include "responder/actions/subject.h"

namespace riposte::actions {
namespace {

struct KindInfo {
  Workload::Kind kind;
  std::string_view name;      // "Deployment": ownerReferences[].kind
  std::string_view resource;  // "deployments"
  std::string_view singular;  // "deployment", accepted by parse_workload
};

constexpr std::array<KindInfo, 3> kKinds = {{
    {Workload::kDeployment, "Deployment", "deployments", "deployment"},
    {Workload::kStatefulSet, "StatefulSet", "statefulsets", "statefulset"},
    {Workload::kReplicaSet, "ReplicaSet", "replicasets", "replicaset"},
}};

const KindInfo& info(Workload::Kind kind) { return kKinds[static_cast<size_t>(kind)]; }

int64_t int_at(const json& obj, std::string_view section, std::string_view key, int64_t dflt) {
  if (!obj.is_object()) return dflt;
  auto s = obj.find(section);
  if (s == obj.end() || !s->is_object()) return dflt;
  auto v = s->find(key);
  return v != s->end() && v->is_number_integer() ? v->get<int64_t>() : dflt;
}

// The controller of `obj` when it is the apps/v1 `kind` we follow; its name validated.
std::optional<Workload> apps_owner(const json& obj, Workload::Kind kind, const std::string& ns,
                                   std::string* uid) {
  const json* ref = controller_ref(obj);
  if (!ref || string_at(*ref, "apiVersion") != "apps/v1" ||
      string_at(*ref, "kind") != info(kind).name) {
    return std::nullopt;
  }
  std::string name = string_at(*ref, "name");
  if (!validate_name(name, NameKind::kSubdomain).ok()) return std::nullopt;
  *uid = string_at(*ref, "uid");
  return Workload{kind, ns, std::move(name), nullptr};
}

std::string describe_controller(const json& obj) {
  const json* ref = controller_ref(obj);
  if (!ref) return "has no controller";
  return "is controlled by " + string_at(*ref, "kind") + " \"" + string_at(*ref, "name") + "\"";
}

// Reads the owner and checks it is the very object the reference names (not a namesake
// created since). nullopt with *result failed on read errors, or with *reason when gone.
std::optional<Workload> read_owner(ActionContext& ctx, Workload w, const std::string& uid,
                                   std::string* reason, ActionResult* result) {
  Answer a = read(ctx, w.ref());
  if (a.is(kube::KubeError::kNotFound) || (a.ok() && !uid.empty() && meta(a.body, "uid") != uid)) {
    *reason = "its owner " + w.str() + " is gone";
    return std::nullopt;
  }
  if (!a.ok()) {
    fail(result, "reading " + w.str(), *a.error);
    return std::nullopt;
  }
  w.object = std::move(a.body);
  return w;
}

}  // namespace

std::string_view Workload::resource() const { return info(kind).resource; }

std::string Workload::str() const {
  return std::string(resource()) + "/" + namespace_ + "/" + name;
}

kube::ResourceRef Workload::ref(std::string_view subresource) const {
  return {.group = "apps", .resource = resource(), .namespace_ = namespace_, .name = name,
          .subresource = subresource};
}

int64_t Workload::spec_replicas() const { return int_at(object, "spec", "replicas", 1); }
int64_t Workload::ready_replicas() const { return int_at(object, "status", "readyReplicas", 0); }

Result<Workload> parse_workload(std::string_view text) {
  const std::string usage = "expected <kind>/<namespace>/<name> with kind deployments, "
                            "statefulsets or replicasets, got \"" + std::string(text) + "\"";
  size_t a = text.find('/');
  size_t b = a == std::string_view::npos ? a : text.find('/', a + 1);
  if (b == std::string_view::npos || text.find('/', b + 1) != std::string_view::npos) {
    return Error{usage};
  }
  std::string_view kind = text.substr(0, a);
  Workload w;
  bool known = false;
  for (const auto& k : kKinds) {
    if (kind == k.resource || kind == k.singular) {
      w.kind = k.kind;
      known = true;
    }
  }
  if (!known) return Error{usage};
  w.namespace_ = std::string(text.substr(a + 1, b - a - 1));
  w.name = std::string(text.substr(b + 1));
  if (auto ok = validate_name(w.namespace_, NameKind::kLabel); !ok) {
    return Error{"namespace \"" + w.namespace_ + "\": " + ok.error()};
  }
  if (auto ok = validate_name(w.name, NameKind::kSubdomain); !ok) {
    return Error{"name \"" + w.name + "\": " + ok.error()};
  }
  return w;
}

std::optional<Workload> find_workload(ActionContext& ctx, const PodTarget& t, const json& pod,
                                      std::string* reason, ActionResult* result) {
  const std::string pod_name = "pod " + t.namespace_ + "/" + t.name;
  std::string uid;
  if (auto sts = apps_owner(pod, Workload::kStatefulSet, t.namespace_, &uid)) {
    return read_owner(ctx, std::move(*sts), uid, reason, result);
  }
  auto rs_ref = apps_owner(pod, Workload::kReplicaSet, t.namespace_, &uid);
  if (!rs_ref) {
    *reason = pod_name + " " + describe_controller(pod) + ", not by a Deployment, StatefulSet "
              "or ReplicaSet";
    return std::nullopt;
  }
  auto rs = read_owner(ctx, std::move(*rs_ref), uid, reason, result);
  if (!rs) return std::nullopt;
  if (auto deploy = apps_owner(rs->object, Workload::kDeployment, t.namespace_, &uid)) {
    return read_owner(ctx, std::move(*deploy), uid, reason, result);
  }
  if (controller_ref(rs->object)) {
    // A ReplicaSet run by something else (an Argo Rollout, ...): scaling it directly would be
    // undone by that controller.
    *reason = rs->str() + " " + describe_controller(rs->object);
    return std::nullopt;
  }
  return rs;  // a bare ReplicaSet
}

bool read_workload(ActionContext& ctx, Workload* w, ActionResult* result) {
  auto obj = read_or_fail(ctx, w->ref(), "reading " + w->str(), result);
  if (!obj) return false;
  w->object = std::move(*obj);
  return true;
}

bool may_remove_pod(ActionContext& ctx, const PodTarget& t, const json& pod,
                    std::string_view doing, ActionResult* result) {
  // A pod that is not ready serves nothing: removing it cannot cost availability.
  if (!is_ready(pod)) return true;
  std::string reason;
  auto w = find_workload(ctx, t, pod, &reason, result);
  if (!w) return result->status != ActionResult::kFailed;  // a bare pod is its own owner
  if (w->ready_replicas() > 1) return true;
  result->status = ActionResult::kSkipped;
  result->targets.push_back(w->str());
  result->message = "not " + std::string(doing) + " pod " + t.namespace_ + "/" + t.name +
                    ": guardrails: it is the last ready pod of " + w->str() +
                    " (set " + std::string(kAllowLastReplica) + ": true to allow)";
  return false;
}

ActionResult restore_workload(kube::KubeClient& kube, const Guardrails& guardrails,
                              Workload workload, bool dry_run, int64_t expected) {
  const Alert no_alert;
  const YAML::Node no_params;
  ActionContext ctx{no_alert, no_params, kube, guardrails, dry_run, "restore"};
  ActionResult result;
  result.targets.push_back(workload.str());
  if (auto allowed = guardrails.check_namespace(workload.namespace_); !allowed) {
    result.status = ActionResult::kSkipped;
    result.message = "not restoring " + workload.str() + ": " + allowed.error();
    return result;
  }
  if (!read_workload(ctx, &workload, &result)) return result;
  const std::string recorded = annotation(workload.object, kPreviousReplicasAnnotation);
  int64_t previous = -1;
  if (!recorded.empty() && recorded.size() < 7 &&
      recorded.find_first_not_of("0123456789") == std::string::npos) {
    previous = std::stoll(recorded);
  }
  if (recorded.empty()) {
    result.status = ActionResult::kSkipped;
    result.message = workload.str() + " has no " + std::string(kPreviousReplicasAnnotation) +
                     " annotation: nothing to restore";
    return result;
  }
  if (previous < 0) {
    fail(&result, workload.str() + ": annotation " + std::string(kPreviousReplicasAnnotation) +
                      " is not a replica count: \"" + recorded.substr(0, 16) + "\"");
    return result;
  }
  if (expected >= 0 && previous != expected) {
    result.status = ActionResult::kSkipped;
    result.message = "not restoring " + workload.str() + ": its annotation says " + recorded +
                     " replicas, the run recorded " + std::to_string(expected) +
                     " (scaled again since?)";
    return result;
  }
  const std::string what = workload.str() + " to " + std::to_string(previous) + " replicas";
  auto scaled = write(ctx, &result, "PATCH", workload.ref("scale"),
                      json{{"spec", {{"replicas", previous}}}}.dump(), std::string(kMergePatch));
  if (scaled && !scaled->ok()) {
    fail(&result, "restoring " + what, *scaled->error);
    return result;
  }
  // Forget the record only once the count is back, so a failed restore can be run again.
  auto cleared = write(
      ctx, &result, "PATCH", workload.ref(),
      json{{"metadata", {{"annotations", {{kPreviousReplicasAnnotation, nullptr}}}}}}.dump(),
      std::string(kMergePatch));
  if (!scaled) return finish_dry_run(&result, "would restore " + what);
  if (cleared && !cleared->ok()) {
    fail(&result, "restored " + what + " but removing the annotation", *cleared->error);
    return result;
  }
  result.message = "restored " + what;
  return result;
}

}  // namespace riposte::actions
