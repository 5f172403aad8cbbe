// One policy/v1 Eviction, shared by pod.evict and node.drain. Unlike a DELETE, the API server
// checks PodDisruptionBudgets first and answers 429 (cause "DisruptionBudget") when evicting
// would break one; that refusal is reported as such, not as throttling.
#pragma once

#include <optional>
#include <string>

#include "responder/actions/kube_call.h"
#include "responder/actions/target.h"

namespace riposte::actions {

struct Eviction {
  enum Outcome {
    kEvicted,  // accepted: the pod is being deleted
    kGone,     // already gone (or the uid precondition found a successor)
    kBlocked,  // refused by a PodDisruptionBudget; may pass later
    kFailed,   // any other error
    kDryRun,   // recorded, not sent
  };
  Outcome outcome = kFailed;
  std::string message;  // "evicted pod shop/web-1", "pod shop/web-1 not evicted: refused ..."
  bool retryable = false;
};

// Sends (or records, in dry-run) the eviction of pod t into result->requests. uid, when set,
// is a precondition: a successor reusing the name is left alone.
Eviction evict_pod(ActionContext& ctx, ActionResult* result, const PodTarget& t,
                   std::optional<int64_t> grace_period_seconds);

}  // namespace riposte::actions
