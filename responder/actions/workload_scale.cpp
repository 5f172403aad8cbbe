// workload.scale: scales the workload that runs the alert's pod (found through
// ownerReferences: its Deployment, StatefulSet or bare ReplicaSet) through the /scale
// subresource, by default to 0: every copy of a compromised image stops. The count it scaled
// from is kept in the riposte.dev/previous-replicas annotation so restore_workload() (the
// `riposte` CLI) can bring it back.
//   params: replicas (0..10000, default 0)
//           allow_last_replica (default false: scaling to 0 a workload that still has a ready
//             pod is refused unless the playbook says so)
//   example: {action: workload.scale, params: {replicas: 0, allow_last_replica: true}}
#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/subject.h"
#include "responder/actions/workload.h"

namespace riposte::actions {
namespace {

constexpr std::string_view kScaledByAnnotation = "riposte.dev/scaled-by";

// RFC 6901: "/" in a key is "~1", "~" is "~0".
std::string json_pointer_escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out.push_back(c);
  }
  return out;
}

struct Options {
  int64_t replicas = 0;
  bool allow_last_replica = false;
};

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  o.replicas = r.integer("replicas", 0, 10000).value_or(0);
  o.allow_last_replica = r.boolean(std::string(kAllowLastReplica)).value_or(false);
  r.reject_unknown();
  return o;
}

class WorkloadScale final : public ActionWithOptions<Options, parse_options> {
 public:
  std::string_view name() const override { return "workload.scale"; }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    ActionResult result;
    auto target = guarded_pod(ctx, "scaling the workload of", &result);
    if (!target) return result;
    // The pod is how the workload is found: gone means there is nothing to go by.
    auto pod = existing_pod(ctx, *target, ActionResult::kFailed, &result);
    if (!pod) return result;
    std::string reason;
    auto w = find_workload(ctx, *target, *pod, &reason, &result);
    if (!w) {
      if (result.status == ActionResult::kFailed) return result;
      result.status = ActionResult::kSkipped;
      result.message = "nothing to scale: " + reason;
      return result;
    }
    result.targets.push_back(w->str());
    const int64_t current = w->spec_replicas();
    const std::string to = std::to_string(opts.replicas);
    if (current == opts.replicas) {
      result.message = w->str() + " already at " + to + " replicas";
      return result;
    }
    if (opts.replicas == 0 && w->ready_replicas() > 0 && !opts.allow_last_replica) {
      result.status = ActionResult::kSkipped;
      result.message = "not scaling " + w->str() + " to 0: guardrails: it has " +
                       std::to_string(w->ready_replicas()) + " ready pod(s) (set " +
                       std::string(kAllowLastReplica) + ": true to allow)";
      return result;
    }
    // Record first, so a restore never lacks the count; as a JSON patch whose "test" makes
    // it conditional on the count just read (a concurrent scale fails it rather than being
    // recorded wrongly), but not on the whole object's resourceVersion, which the controller
    // bumps with every status update.
    json ops = json::array({{{"op", "test"}, {"path", "/spec/replicas"}, {"value", current}}});
    if (!w->object["metadata"].contains("annotations")) {
      ops.push_back({{"op", "add"}, {"path", "/metadata/annotations"}, {"value", json::object()}});
    }
    ops.push_back({{"op", "add"},
                   {"path", "/metadata/annotations/" + json_pointer_escape(kPreviousReplicasAnnotation)},
                   {"value", std::to_string(current)}});
    ops.push_back({{"op", "add"},
                   {"path", "/metadata/annotations/" + json_pointer_escape(kScaledByAnnotation)},
                   {"value", std::string(ctx.playbook)}});
    auto recorded = write(ctx, &result, "PATCH", w->ref(), ops.dump(), std::string(kJsonPatch));
    if (recorded && !recorded->ok()) {
      fail(&result, "recording the replica count of " + w->str(), *recorded->error);
      return result;
    }
    auto scaled = write(ctx, &result, "PATCH", w->ref("scale"),
                        json{{"spec", {{"replicas", opts.replicas}}}}.dump(),
                        std::string(kMergePatch));
    const std::string what = w->str() + " from " + std::to_string(current) + " to " + to +
                             " replicas";
    if (!scaled) return finish_dry_run(&result, "would scale " + what);
    if (!scaled->ok()) {
      fail(&result, "scaling " + what, *scaled->error);
      return result;
    }
    result.message = "scaled " + what + " (previous count in " +
                     std::string(kPreviousReplicasAnnotation) + ")";
    return result;
  }
};

}  // namespace

std::unique_ptr<Action> make_workload_scale() { return std::make_unique<WorkloadScale>(); }

}  // namespace riposte::actions
