#include "detector/output/nats_sink.h"

#include <mutex>

namespace riposte::detector {

Status NatsSink::emit(const Alert& alert) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto ack = conn_->js_publish(alert_subject(alert), to_json(alert), alert_dedup_key(alert));
  if (!ack) return ack.err();
  return {};
}

void NatsSink::rebind(nats::Connection* next) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  conn_ = next;
}

}  // namespace riposte::detector
