#include "responder/bus_guard.h"

#include "common/alert.h"

namespace riposte::responder {

Status check_bus_closed_to_anonymous(const nats::Options& options) {
  nats::Options anon;
  anon.url = options.url;
  anon.ca_file = options.ca_file;  // the server's identity, not a credential
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
  // JetStream received it and refused only because of the expectation: anonymous clients can
  // publish alerts. Without an answer (permissions violation, timeout) they cannot.
  if (ack.error().find("expected stream") != std::string::npos ||
      ack.error().find("10060") != std::string::npos) {
    return Error{"NATS at " + options.url +
                 " lets clients without credentials publish to riposte.alerts.> (anyone who "
                 "can reach it could make riposte act): turn on authentication with subject "
                 "permissions, or start with --allow-unauthenticated-bus"};
  }
  return {};
}

}  // namespace riposte::responder
