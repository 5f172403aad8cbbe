// Publishes alerts to JetStream on riposte.alerts.<priority>.<rule_slug>, with Nats-Msg-Id
// set to the alert's deterministic dedup key so a retried publish is stored once.
#pragma once

#include "common/nats.h"
#include "detector/output/alert_sink.h"

namespace riposte::detector {

class NatsSink final : public AlertSink {
 public:
  explicit NatsSink(nats::Connection* conn) : conn_(conn) {}
  Status emit(const Alert& alert) override;

 private:
  nats::Connection* conn_;
};

}  // namespace riposte::detector
