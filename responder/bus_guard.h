// Refusing an open bus: an alert on riposte.alerts.> can make the responder delete pods, scale
// workloads to zero or drain nodes, so the responder checks at start that a client without
// credentials cannot put one there. The probe connects with no credentials (same URL, same CA),
// and, when that is allowed, publishes to the alert subjects with a JetStream expectation
// that cannot hold (Nats-Expected-Stream naming no stream): JetStream answers "wrong stream"
// only to a publish it received, so an answer proves anonymous publishing works, and nothing
// is stored either way. A refused connection, or a publish the server refuses by permissions
// (its "Permissions Violation for Publish" error), is a bus closed to strangers; no answer
// without that refusal is not (anonymous clients may publish but not receive replies).
#pragma once

#include "common/nats.h"
#include "common/result.h"

namespace riposte::responder {

// An error (one line, saying why) when anonymous clients can publish alerts; ok otherwise.
// options: the responder's own (only the URL, CA and timeouts are used).
Status check_bus_closed_to_anonymous(const nats::Options& options);

}  // namespace riposte::responder
