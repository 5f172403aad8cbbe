// Publishes alerts to JetStream on riposte.alerts.<priority>.<rule_slug>, with Nats-Msg-Id
// set to the alert's deterministic dedup key so a retried publish is stored once.
#pragma once

#include <shared_mutex>

#include "common/nats.h"
#include "detector/output/alert_sink.h"

namespace riposte::detector {

class NatsSink final : public AlertSink {
 public:
  explicit NatsSink(nats::Connection* conn) : conn_(conn) {}
  Status emit(const Alert& alert) override;
  // Publishes on `next` from now on (a rotated NATS password); returns once no publish is
  // still using the old connection, so the caller may close it.
  void rebind(nats::Connection* next);

 private:
  std::shared_mutex mu_;
  nats::Connection* conn_;
};

}  // namespace riposte::detector
