// node.drain: takes the node the alert's pod runs on out of service, as `kubectl drain`
// would: cordon it, evict (policy/v1, so PodDisruptionBudgets hold) every pod on it except
// DaemonSet pods (their controller ignores cordons and would put them right back) and mirror
// pods (the kubelet owns them), then wait for the evicted pods to be gone. Pods in namespaces
// the guardrails protect are left alone too. Budget refusals are retried until the timeout.
//   params: timeout_seconds (1..3600, default 120), grace_period_seconds (optional)
//   example: {action: node.drain, params: {timeout_seconds: 300}}
#include <chrono>
#include <thread>

#include "responder/actions/cordon.h"
#include "responder/actions/eviction.h"
#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/subject.h"

namespace riposte::actions {
namespace {

using Clock = std::chrono::steady_clock;

// Between polls of pods still terminating, and between retries of budget refusals.
constexpr auto kPollInterval = std::chrono::milliseconds(500);
constexpr auto kBudgetRetryInterval = std::chrono::seconds(1);

struct Options {
  int64_t timeout_seconds = 120;
  std::optional<int64_t> grace_period_seconds;
};

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  o.timeout_seconds = r.integer("timeout_seconds", 1, 3600).value_or(120);
  o.grace_period_seconds = r.integer("grace_period_seconds", 0, kMaxGracePeriodSeconds);
  r.reject_unknown();
  return o;
}

// Why the pod stays on the node, or "" when it is to be evicted.
std::string keep_reason(const ActionContext& ctx, const json& pod, const PodTarget& t) {
  if (const json* owner = controller_ref(pod); owner && string_at(*owner, "kind") == "DaemonSet") {
    return "DaemonSet";
  }
  if (!annotation(pod, "kubernetes.io/config.mirror").empty()) return "mirror";
  const std::string phase = pod.contains("status") ? string_at(pod.at("status"), "phase") : "";
  if (phase == "Succeeded" || phase == "Failed") return "finished";
  if (!validate_name(t.namespace_, NameKind::kLabel).ok() ||
      !validate_name(t.name, NameKind::kSubdomain).ok()) {
    return "invalid name";
  }
  if (!ctx.guardrails.check_namespace(t.namespace_).ok()) return "guardrails";
  return "";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

class NodeDrain final : public ActionWithOptions<Options, parse_options> {
 public:
  std::string_view name() const override { return "node.drain"; }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    const auto deadline = Clock::now() + std::chrono::seconds(opts.timeout_seconds);
    ActionResult result;
    auto node = node_of_alert_pod(ctx, "draining the node of", &result);
    if (!node) return result;
    auto cordoned = set_unschedulable(ctx, &result, *node, true);
    if (cordoned && !cordoned->ok()) {
      fail(&result, "cordoning node " + *node, *cordoned->error);
      return result;
    }
    Answer listed = read(ctx, {.resource = "pods"}, {{"fieldSelector", "spec.nodeName=" + *node}});
    if (!listed.ok()) {
      fail(&result, "listing the pods of node " + *node, *listed.error);
      return result;
    }

    std::vector<PodTarget> to_evict;
    std::vector<PodTarget> evicted;  // and waited for
    std::vector<std::string> kept;
    for (const auto& pod : items(listed.body)) {
      PodTarget t{meta(pod, "namespace"), meta(pod, "name"), meta(pod, "uid")};
      if (std::string why = keep_reason(ctx, pod, t); !why.empty()) {
        kept.push_back(t.namespace_ + "/" + t.name + " (" + why + ")");
      } else if (!meta(pod, "deletionTimestamp").empty()) {
        // Evicted already (an earlier attempt of this step whose answer was lost, or someone
        // else): only waited for, never evicted a second time.
        result.targets.push_back(t.str());
        evicted.push_back(std::move(t));
      } else {
        to_evict.push_back(std::move(t));
      }
    }

    std::vector<std::string> failures;
    for (const auto& t : to_evict) {
      result.targets.push_back(t.str());
      Eviction e = evict_pod(ctx, &result, t, opts.grace_period_seconds);
      while (e.outcome == Eviction::kBlocked && Clock::now() + kBudgetRetryInterval < deadline) {
        std::this_thread::sleep_for(kBudgetRetryInterval);
        e = evict_pod(ctx, &result, t, opts.grace_period_seconds);
      }
      if (e.outcome == Eviction::kEvicted) evicted.push_back(t);
      if (e.outcome == Eviction::kBlocked || e.outcome == Eviction::kFailed) {
        failures.push_back(e.message);
        result.retryable = result.retryable || e.retryable;
      }
    }
    const std::string left = kept.empty() ? "" : "; left on it: " + join(kept);
    if (!cordoned) {
      return finish_dry_run(&result, "would cordon node " + *node + " and evict " +
                                         std::to_string(to_evict.size()) + " pod(s)" + left);
    }

    std::vector<std::string> remaining = wait_gone(ctx, evicted, deadline);
    const std::string summary = "node " + *node + ": cordoned, " +
                                std::to_string(evicted.size()) + " pod(s) evicted";
    if (!failures.empty() || !remaining.empty()) {
      fail(&result, summary + "; " +
                        (failures.empty() ? "" : "not evicted: " + join(failures) + "; ") +
                        (remaining.empty() ? "" : "still terminating after " +
                                                      std::to_string(opts.timeout_seconds) +
                                                      "s: " + join(remaining)) +
                        left);
      result.retryable = true;  // budgets recover and pods finish terminating
      return result;
    }
    result.message = summary + " and gone" + left;
    return result;
  }

 private:
  // Polls until every pod is gone (404, or its name reused by a successor); the ones still
  // there at the deadline.
  static std::vector<std::string> wait_gone(ActionContext& ctx, std::vector<PodTarget> pods,
                                            Clock::time_point deadline) {
    while (true) {
      std::vector<PodTarget> still;
      for (auto& t : pods) {
        Answer a = read_pod(ctx, t);
        if (a.is(kube::KubeError::kNotFound) || (a.ok() && !same_pod(t, a.body))) continue;
        still.push_back(std::move(t));
      }
      pods = std::move(still);
      if (pods.empty() || Clock::now() + kPollInterval > deadline) break;
      std::this_thread::sleep_for(kPollInterval);
    }
    std::vector<std::string> names;
    for (const auto& t : pods) names.push_back(t.namespace_ + "/" + t.name);
    return names;
  }
};

}  // namespace

std::unique_ptr<Action> make_node_drain() { return std::make_unique<NodeDrain>(); }

}  // namespace riposte::actions
