// The node actions' request/reply step (responder/actions/node_local_actions.cpp), for the
// undo of container.freeze too (the UI's undo, `riposte container thaw`).
#pragma once

#include <chrono>
#include <string_view>

#include "common/node_action.h"
#include "common/result.h"
#include "responder/actions/action.h"
#include "responder/actions/guardrails.h"
#include "responder/actions/node_agent_client.h"

namespace riposte::actions {

// Sends q to its node through agent and maps the reply to a step's result: done ->
// succeeded, refused -> skipped (with the node's reason), no answer -> failed and retryable;
// no agent (null) -> failed. In dry-run (q.dry_run) the request is recorded and logged, not
// sent.
ActionResult ask_node(NodeAgentClient* agent, const NodeActionRequest& q,
                      std::chrono::seconds timeout);

// The thaw that undoes a container.freeze: the same node and container as the recorded
// request (a step's requests[0].body), a new id, today's guardrails and dry-run. An error
// when the text is not a recorded freeze of a container.
Result<NodeActionRequest> thaw_request(std::string_view freeze_request, const Guardrails& g,
                                       bool dry_run);

}  // namespace riposte::actions
