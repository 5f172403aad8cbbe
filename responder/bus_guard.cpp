#include "responder/bus_guard.h"

#include "common/alert.h"

namespace riposte::responder {

Status check_bus_closed_to_anonymous(const nats::Options& options) {
  nats::Options anon;
  anon.url = options.url;
  anon.ca_file = options.ca_file;  // the server's identity, not a credential
  anon.tls_hostname = options.tls_hostname;
  anon.name = "riposte-responder-anonymous-probe";
  anon.max_reconnect = 0;
  anon.timeout_ms = 2000;
  auto conn = nats::Connection::connect(anon);
  // Refused (authentication required), or nobody listening yet: no anonymous path found.
  if (!conn || !(*conn)->connected()) return {};
  auto ack = (*conn)->js_publish("riposte.alerts.anonymous-probe", "{}", "",
                                 {{"Nats-Expected-Stream", "RIPOSTE_NO_SUCH_STREAM_PROBE"}});
  if (ack) {
    return Error{"NATS at " + options.url + " let an anonymous client store an alert"};
  }
  // Without an answer, the publish may still have reached JetStream: anonymous clients may be
  // allowed to publish alerts but not to receive replies (e.g. mapped to a detector's user,
  // whose replies go to its own prefix). Only the server's refusal of the publish itself
  // (reported before the flush's answer) proves the path closed.
  (void)(*conn)->flush(2000);
  if ((*conn)->last_error().find("Permissions Violation for Publish to \"riposte.alerts.") !=
      std::string::npos) {
    return {};
  }
  return Error{"NATS at " + options.url +
               " lets clients without credentials publish to riposte.alerts.> (anyone who "
               "can reach it could make riposte act): turn on authentication with subject "
               "permissions, or start with --allow-unauthenticated-bus"};
}

}  // namespace riposte::responder
