// How node actions (process.kill, container.kill/freeze/thaw, forensics.capture) reach the
// detector of a node: the pure interface the actions use, so that their logic is tested with
// a fake; the real one sends core NATS requests (common/node_action.h).
#pragma once

#include <atomic>
#include <chrono>

#include "common/nats.h"
#include "common/node_action.h"
#include "common/result.h"

namespace riposte::actions {

class NodeAgentClient {
 public:
  virtual ~NodeAgentClient() = default;
  // The node's reply; an error when no reply came (nobody serves the node, timeout, no rights)
  // or the reply is not one to this request.
  virtual Result<NodeActionReply> call(const NodeActionRequest& request,
                                       std::chrono::milliseconds timeout) = 0;
};

// Over the responder's NATS connection, bound once it exists (the playbooks load first).
class NatsNodeAgentClient final : public NodeAgentClient {
 public:
  void bind(nats::Connection* conn) { conn_.store(conn); }
  Result<NodeActionReply> call(const NodeActionRequest& request,
                               std::chrono::milliseconds timeout) override;

 private:
  std::atomic<nats::Connection*> conn_{nullptr};
};

}  // namespace riposte::actions
