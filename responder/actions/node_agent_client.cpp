#include "responder/actions/node_agent_client.h"

namespace riposte::actions {

Result<NodeActionReply> NatsNodeAgentClient::call(const NodeActionRequest& request,
                                                  std::chrono::milliseconds timeout) {
  nats::Connection* conn = conn_.load();
  if (conn == nullptr) return Error{"not connected to NATS yet"};
  auto subject = node_action_subject(request.node);
  if (!subject) return subject.err();
  auto answer = conn->request(*subject, to_json(request).dump(), static_cast<int>(timeout.count()));
  if (!answer) return Error{"node " + request.node + ": " + answer.error()};
  auto reply = parse_node_action_reply(*answer);
  if (!reply) return Error{"node " + request.node + " answered nonsense: " + reply.error()};
  if (reply->id != request.id) {
    return Error{"node " + request.node + " answered another request (" + reply->id + ")"};
  }
  return reply;
}

}  // namespace riposte::actions
