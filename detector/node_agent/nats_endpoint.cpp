#include "detector/node_agent/nats_endpoint.h"

#include <exception>

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
    std::string answer;
    try {
      answer = agent->handle_json(m.data());
    } catch (const std::exception& ex) {  // a bad_alloc, a bug: never the detector's death
      log::error("node action: internal error", {{"error", ex.what()}});
      answer = R"({"id":"","outcome":"failed","reason":"internal error","targets":[]})";
    }
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
