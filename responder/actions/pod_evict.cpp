// pod.evict: evicts the pod named by the alert through the policy/v1 Eviction API, so
// PodDisruptionBudgets are honoured: a budget's refusal is reported as such (failed,
// retryable), never forced. The gentler sibling of pod.delete.
//   params: grace_period_seconds (optional, 0..86400)
//           allow_last_replica (default false: the last ready pod of a workload is kept)
#include "responder/actions/eviction.h"
#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/subject.h"
#include "responder/actions/workload.h"

namespace riposte::actions {
namespace {

struct Options {
  std::optional<int64_t> grace_period_seconds;
  bool allow_last_replica = false;
};

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  o.grace_period_seconds = r.integer("grace_period_seconds", 0, kMaxGracePeriodSeconds);
  o.allow_last_replica = r.boolean(std::string(kAllowLastReplica)).value_or(false);
  r.reject_unknown();
  return o;
}

class PodEvict final : public ActionWithOptions<Options, parse_options> {
 public:
  std::string_view name() const override { return "pod.evict"; }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    ActionResult result;
    auto target = guarded_pod(ctx, "evicting", &result);
    if (!target) return result;
    auto pod = existing_pod(ctx, *target, ActionResult::kSucceeded, &result);
    if (!pod) return result;
    if (!opts.allow_last_replica && !may_remove_pod(ctx, *target, *pod, "evicting", &result)) {
      return result;
    }
    // Read before (re)sending: an earlier attempt whose answer was lost may have evicted it.
    if (!meta(*pod, "deletionTimestamp").empty()) {
      result.message = "pod " + target->namespace_ + "/" + target->name + " already being deleted";
      return result;
    }
    // Evict exactly the pod just checked, even when the alert carried no uid.
    if (target->uid.empty()) target->uid = meta(*pod, "uid");
    Eviction e = evict_pod(ctx, &result, *target, opts.grace_period_seconds);
    result.message = e.message;
    switch (e.outcome) {
      case Eviction::kEvicted:
      case Eviction::kGone:
        result.status = ActionResult::kSucceeded;
        break;
      case Eviction::kDryRun:
        result.status = ActionResult::kDryRun;
        break;
      case Eviction::kBlocked:
      case Eviction::kFailed:
        result.status = ActionResult::kFailed;
        result.retryable = e.retryable;
        break;
    }
    return result;
  }
};

}  // namespace

std::unique_ptr<Action> make_pod_evict() { return std::make_unique<PodEvict>(); }

}  // namespace riposte::actions
