#include "responder/playbook/step_runner.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace riposte::playbook {
namespace {

actions::ActionResult call_now(const actions::Action& impl, const Alert& alert,
                               const YAML::Node& params, kube::KubeClient& kube,
                               const actions::Guardrails& guardrails, bool dry_run,
                               const std::string& playbook) {
  actions::ActionContext ctx{alert, params, kube, guardrails, dry_run, playbook};
  // One broken action (a throwing parser, a bad_alloc) must not take down the responder or
  // the other playbooks for this alert.
  try {
    return impl.execute(ctx);
  } catch (const std::exception& e) {
    return actions::ActionResult::failed("internal error: " + std::string(e.what()));
  } catch (...) {
    return actions::ActionResult::failed("internal error: unknown exception");
  }
}

// Everything the detached thread reads, owned by it and the waiter together.
struct Task {
  Alert alert;
  YAML::Node params;
  actions::Guardrails guardrails;
  std::string playbook;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  actions::ActionResult result;
};

}  // namespace

actions::ActionResult call_action(const ActionCall& call, int64_t timeout_ms) {
  if (timeout_ms <= 0) {
    return call_now(*call.impl, *call.alert, call.params, *call.kube, *call.guardrails,
                    call.dry_run, call.playbook);
  }
  auto task = std::make_shared<Task>();
  task->alert = *call.alert;
  if (call.params.IsDefined()) task->params.reset(YAML::Clone(call.params));
  task->guardrails = *call.guardrails;
  task->playbook = call.playbook;
  std::thread([task, impl = call.impl, kube = call.kube, dry_run = call.dry_run] {
    auto r = call_now(*impl, task->alert, task->params, *kube, task->guardrails, dry_run,
                      task->playbook);
    std::lock_guard<std::mutex> lock(task->mu);
    task->result = std::move(r);
    task->done = true;
    task->cv.notify_all();
  }).detach();
  std::unique_lock<std::mutex> lock(task->mu);
  if (!task->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return task->done; })) {
    auto r = actions::ActionResult::failed("timed out after " + std::to_string(timeout_ms) +
                                           " ms (the request may still complete)");
    r.retryable = true;
    return r;
  }
  return std::move(task->result);
}

}  // namespace riposte::playbook
