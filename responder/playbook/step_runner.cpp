#include "responder/playbook/step_runner.h"

#include <chrono>
#include <exception>

namespace riposte::playbook {
namespace {

using Clock = std::chrono::steady_clock;

// Puts the step's deadline on every request the action sends.
class DeadlineKubeClient final : public kube::KubeClient {
 public:
  DeadlineKubeClient(kube::KubeClient& inner, Clock::time_point deadline)
      : inner_(inner), deadline_(deadline) {}
  Result<kube::KubeResponse> request(const kube::KubeRequest& request) override {
    kube::KubeRequest r = request;
    if (r.deadline == Clock::time_point{} || r.deadline > deadline_) r.deadline = deadline_;
    return inner_.request(r);
  }
  Result<int> stream(const kube::KubeRequest& request,
                     const std::function<bool(std::string_view)>& on_data) override {
    return inner_.stream(request, on_data);
  }
  void cancel_streams() override { inner_.cancel_streams(); }

 private:
  kube::KubeClient& inner_;
  Clock::time_point deadline_;
};

actions::ActionResult call_now(const ActionCall& call, kube::KubeClient& kube) {
  actions::ActionContext ctx{*call.alert,          call.params,    kube,
                             *call.guardrails,     call.dry_run,   call.playbook,
                             call.idempotency_key, call.node_agent};
  // One broken action (a throwing parser, a bad_alloc) must not take down the responder or
  // the other playbooks for this alert.
  try {
    return call.impl->execute(ctx);
  } catch (const std::exception& e) {
    return actions::ActionResult::failed("internal error: " + std::string(e.what()));
  } catch (...) {
    return actions::ActionResult::failed("internal error: unknown exception");
  }
}

}  // namespace

actions::ActionResult call_action(const ActionCall& call, int64_t timeout_ms) {
  if (timeout_ms <= 0) return call_now(call, *call.kube);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  DeadlineKubeClient bounded(*call.kube, deadline);
  actions::ActionResult r = call_now(call, bounded);
  if (r.status == actions::ActionResult::kFailed && Clock::now() >= deadline) {
    r.message = "timed out after " + std::to_string(timeout_ms) + " ms: " + r.message;
    r.retryable = true;
  }
  return r;
}

}  // namespace riposte::playbook
