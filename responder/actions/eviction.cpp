#include "responder/actions/eviction.h"

#include "responder/actions/subject.h"

namespace riposte::actions {

Eviction evict_pod(ActionContext& ctx, ActionResult* result, const PodTarget& t,
                   std::optional<int64_t> grace_period_seconds) {
  const std::string pod = t.namespace_ + "/" + t.name;
  nlohmann::ordered_json body = {{"apiVersion", "policy/v1"},
                                 {"kind", "Eviction"},
                                 {"metadata", {{"name", t.name}, {"namespace", t.namespace_}}}};
  nlohmann::ordered_json options = nlohmann::ordered_json::object();
  if (grace_period_seconds) options["gracePeriodSeconds"] = *grace_period_seconds;
  if (!t.uid.empty()) options["preconditions"] = {{"uid", t.uid}};
  if (!options.empty()) body["deleteOptions"] = options;

  Eviction e;
  auto sent = write(ctx, result, "POST", pod_ref(t, "eviction"), body.dump());
  if (!sent) {
    e.outcome = Eviction::kDryRun;
    e.message = "would evict pod " + pod;
    return e;
  }
  if (sent->ok()) {
    e.outcome = Eviction::kEvicted;
    e.message = "evicted pod " + pod;
    return e;
  }
  const kube::KubeError& err = *sent->error;
  if (err.kind == kube::KubeError::kNotFound) {
    e.outcome = Eviction::kGone;
    e.message = "pod " + pod + " already gone";
  } else if (err.kind == kube::KubeError::kConflict && !t.uid.empty()) {
    e.outcome = Eviction::kGone;
    e.message = "pod " + pod + " with uid " + t.uid +
                " already gone (a newer pod has its name; left alone)";
  } else if (err.kind == kube::KubeError::kTooManyRequests &&
             err.has_cause(kube::kDisruptionBudgetCause)) {
    std::string why = err.message;
    for (const auto& c : err.causes) {
      if (c.reason == kube::kDisruptionBudgetCause && !c.message.empty()) why = c.message;
    }
    e.outcome = Eviction::kBlocked;
    e.message = "pod " + pod + " not evicted: refused by a PodDisruptionBudget: " + why;
    e.retryable = true;  // the budget allows it once enough replicas are healthy again
  } else {
    e.outcome = Eviction::kFailed;
    e.message = "evicting pod " + pod + ": " + err.describe();
    e.retryable = kube::is_transient(err.kind);
  }
  return e;
}

}  // namespace riposte::actions
