// Runs one action, within a timeout when the step has one. The timeout is a deadline on the
// action's requests (see KubeRequest::deadline): no request starts after it and none is
// waited for past it, so a step that timed out has nothing left running when it returns,
// and a redelivery of its alert cannot race with it.
#pragma once

#include <cstdint>
#include <string>

#include "common/alert.h"
#include "common/kube/kube_client.h"
#include "responder/actions/action.h"

namespace riposte::playbook {

struct ActionCall {
  const actions::Action* impl = nullptr;
  const Alert* alert = nullptr;
  YAML::Node params;
  kube::KubeClient* kube = nullptr;
  const actions::Guardrails* guardrails = nullptr;
  bool dry_run = false;
  std::string playbook;
  std::string idempotency_key;  // see ActionContext::idempotency_key
  actions::NodeAgentClient* node_agent = nullptr;
};

// Never throws: an exception from the action is a failed result. Runs on the caller's thread.
actions::ActionResult call_action(const ActionCall& call, int64_t timeout_ms);

}  // namespace riposte::playbook
