// pod.delete: deletes the pod named by the alert. Its controller (if any) replaces it with a
// fresh one, which is the point: whatever the attacker changed inside is gone.
//   params: grace_period_seconds (optional, 0..86400; the pod's own setting when absent)
#include <nlohmann/json.hpp>

#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/target.h"

namespace riposte::actions {
namespace {

// A day: any longer and the "response" is no response.
constexpr int64_t kMaxGracePeriodSeconds = 86400;

struct Options {
  std::optional<int64_t> grace_period_seconds;
};

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  o.grace_period_seconds = r.integer("grace_period_seconds", 0, kMaxGracePeriodSeconds);
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

class PodDelete final : public Action {
 public:
  std::string_view name() const override { return "pod.delete"; }

  std::vector<ParamError> validate(const YAML::Node& params) const override {
    std::vector<ParamError> errors;
    parse_options(params, &errors);
    return errors;
  }

  ActionResult execute(ActionContext& ctx) const override {
    const Options opts = parse_options(ctx.params, nullptr);
    auto target = pod_target(ctx.alert);
    if (!target) return ActionResult::failed(target.error());
    const std::string pod = target->namespace_ + "/" + target->name;
    if (auto allowed = ctx.guardrails.check_namespace(target->namespace_); !allowed) {
      auto r = ActionResult::skipped("not deleting pod " + pod + ": " + allowed.error());
      r.targets.push_back(target->str());
      return r;
    }
    auto path = kube::resource_path(
        {.resource = "pods", .namespace_ = target->namespace_, .name = target->name});
    if (!path) return ActionResult::failed(path.error());

    ActionResult result;
    result.targets.push_back(target->str());
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
