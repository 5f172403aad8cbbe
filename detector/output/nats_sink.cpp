#include "detector/output/nats_sink.h"

namespace riposte::detector {

Status NatsSink::emit(const Alert& alert) {
  auto ack = conn_->js_publish(alert_subject(alert), to_json(alert), alert_dedup_key(alert));
  if (!ack) return Error{ack.error()};
  return {};
}

}  // namespace riposte::detector
