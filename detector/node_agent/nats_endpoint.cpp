#include "detector/node_agent/nats_endpoint.h"

#include "common/log.h"

namespace riposte::detector {

Result<std::unique_ptr<NodeActionEndpoint>> NodeActionEndpoint::start(nats::Connection* conn,
                                                                      NodeAgent* agent,
                                                                      const std::string& node) {
  auto subject = node_action_subject(node);
  if (!subject) return Error{"node actions: " + subject.error()};
  std::unique_ptr<NodeActionEndpoint> e(new NodeActionEndpoint());
  e->subject_ = *subject;
  auto sub = conn->subscribe(*subject, "", [conn, agent](nats::Message&& m) {
    const std::string answer = agent->handle_json(m.data());
    if (m.reply().empty()) return;  // a request nobody waits for: acted on and audited all the same
    if (Status st = conn->publish(std::string(m.reply()), answer); !st) {
      log::warn("node action: cannot reply", {{"error", st.error()}});
    }
  });
  if (!sub) return Error{"node actions: subscribe to " + *subject + ": " + sub.error()};
  e->sub_ = std::move(*sub);
  // The subscription is known to the server (or refused) once this round trip returns.
  if (Status st = conn->flush(5000); !st) return Error{"node actions: " + st.error()};
  return e;
}

}  // namespace riposte::detector
