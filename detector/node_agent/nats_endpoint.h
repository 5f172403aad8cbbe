// The node agent on the bus: subscribes to this node's subject (node_action_subject) and
// answers every request on its reply subject. The shipped NATS permissions let only the
// responder publish there, and the detector reply only to requests it received
// (allow_responses), so the endpoint itself needs no credentials check.
#pragma once

#include <memory>
#include <string>

#include "common/nats.h"
#include "common/result.h"
#include "detector/node_agent/node_agent.h"

namespace riposte::detector {

class NodeActionEndpoint {
 public:
  // conn and agent must outlive the endpoint.
  static Result<std::unique_ptr<NodeActionEndpoint>> start(nats::Connection* conn, NodeAgent* agent,
                                                           const std::string& node);
  const std::string& subject() const { return subject_; }

 private:
  NodeActionEndpoint() = default;
  std::string subject_;
  std::unique_ptr<nats::Subscription> sub_;
};

}  // namespace riposte::detector
