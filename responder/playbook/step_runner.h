// Runs one action, within a timeout when the step has one. The action API is synchronous, so a
// step past its timeout is reported as failed (retryable) and left to finish on its own
// thread, which owns copies of everything it reads except the KubeClient.
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
};

// Never throws: an exception from the action is a failed result.
actions::ActionResult call_action(const ActionCall& call, int64_t timeout_ms);

}  // namespace riposte::playbook
