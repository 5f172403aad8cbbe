// pod.delete: deletes the pod named by the alert. Its controller (if any) replaces it with a
// fresh one, which is the point: whatever the attacker changed inside is gone.
//   params: grace_period_seconds (optional, 0..86400; the pod's own setting when absent)
//           allow_last_replica (default true, unlike pod.evict and workload.scale: the alert
//             names this very pod as compromised and its controller recreates it at once, so
//             containment wins over availability. false: keep the last ready pod of a
//             workload, at the price of reading the pod and its owner first.)
//           skip_owner_kinds (optional list of controller kinds, e.g. [DaemonSet, StatefulSet]:
//             leave pods such a controller runs), skip_standalone (default false; true: leave
//             pods no controller runs, which nothing would recreate). Either reads the pod
//             first; a pod left alone is reported as skipped, with its controller.
#include <nlohmann/json.hpp>

#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/subject.h"
#include "responder/actions/workload.h"

namespace riposte::actions {
namespace {

struct Options {
  std::optional<int64_t> grace_period_seconds;
  bool allow_last_replica = true;
  std::vector<std::string> skip_owner_kinds;
  bool skip_standalone = false;
};

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  o.grace_period_seconds = r.integer("grace_period_seconds", 0, kMaxGracePeriodSeconds);
  o.allow_last_replica = r.boolean(std::string(kAllowLastReplica)).value_or(true);
  o.skip_owner_kinds = r.string_list("skip_owner_kinds").value_or(std::vector<std::string>{});
  o.skip_standalone = r.boolean("skip_standalone").value_or(false);
  r.reject_unknown();
  return o;
}

std::string delete_options(const Options& o, const PodTarget& t) {
  nlohmann::ordered_json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (o.grace_period_seconds) body["gracePeriodSeconds"] = *o.grace_period_seconds;
  // The pod the alert saw, not a successor that reuses its name (StatefulSets do).
  if (!t.uid.empty()) body["preconditions"] = {{"uid", t.uid}};
  return body.dump();
}

// Why the playbook leaves this pod alone (its controller's kind), or nullopt.
std::optional<std::string> skipped_by_owner(const Options& o, const json& pod) {
  const json* ref = controller_ref(pod);
  if (!ref) {
    if (o.skip_standalone) return std::string("it has no controller (skip_standalone)");
    return std::nullopt;
  }
  const std::string kind = string_at(*ref, "kind");
  for (const auto& k : o.skip_owner_kinds) {
    if (k == kind) {
      return "it is controlled by " + kind + " \"" + string_at(*ref, "name") +
             "\" (skip_owner_kinds)";
    }
  }
  return std::nullopt;
}

class PodDelete final : public ActionWithOptions<Options, parse_options> {
 public:
  std::string_view name() const override { return "pod.delete"; }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    ActionResult result;
    auto target = guarded_pod(ctx, "deleting", &result);
    if (!target) return result;
    const std::string pod = target->namespace_ + "/" + target->name;
    auto path = kube::resource_path(pod_ref(*target));
    if (!path) return ActionResult::failed(path.error());
    if (!opts.allow_last_replica || opts.skip_standalone || !opts.skip_owner_kinds.empty()) {
      auto current = existing_pod(ctx, *target, ActionResult::kSucceeded, &result);
      if (!current) return result;
      if (auto why = skipped_by_owner(opts, *current)) {
        result.status = ActionResult::kSkipped;
        result.message = "not deleting pod " + pod + ": " + *why;
        return result;
      }
      if (!opts.allow_last_replica &&
          !may_remove_pod(ctx, *target, *current, "deleting", &result)) {
        return result;
      }
    }
    auto sent = mutate(ctx, &result,
                       {.method = "DELETE", .path = *path, .body = delete_options(opts, *target)});
    if (!sent) {
      result.status = ActionResult::kDryRun;
      result.message = "would delete pod " + pod;
      return result;
    }
    if (!*sent) {
      result.status = ActionResult::kFailed;
      result.message = "deleting pod " + pod + ": " + sent->error();
      result.retryable = true;
      return result;
    }
    auto err = kube::classify(sent->value());
    if (!err) {
      result.message = "deleted pod " + pod;
    } else if (err->kind == kube::KubeError::kNotFound) {
      result.message = "pod " + pod + " already gone";
    } else if (err->kind == kube::KubeError::kConflict && !target->uid.empty()) {
      result.message = "pod " + pod + " with uid " + target->uid +
                       " already gone (a newer pod has its name; left alone)";
    } else {
      result.status = ActionResult::kFailed;
      result.message = "deleting pod " + pod + ": " + err->describe();
      result.retryable = kube::is_transient(err->kind);
    }
    return result;
  }
};

}  // namespace

std::unique_ptr<Action> make_pod_delete() { return std::make_unique<PodDelete>(); }

}  // namespace riposte::actions
