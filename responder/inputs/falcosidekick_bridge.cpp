#include "responder/inputs/falcosidekick_bridge.h"

#include "common/alert.h"
#include "common/log.h"
#include "responder/dedup.h"

namespace riposte::responder {

Status FalcosidekickBridge::start(const std::string& subjects) {
  auto sub = source_->subscribe(subjects, "", [this](nats::Message&& m) { on_message(m); });
  if (!sub) return sub.err();
  sub_ = std::move(*sub);
  log::info("falcosidekick input listening", {{"subjects", subjects}});
  return {};
}

void FalcosidekickBridge::on_message(const nats::Message& msg) {
  AlertIngest::Failure failure = AlertIngest::Failure::kNone;
  auto r = ingest_->ingest(msg.data(), "falcosidekick", &failure);
  if (r) return;
  if (failure == AlertIngest::Failure::kInvalid) {
    nlohmann::json record = {{"reason", r.error()},
                             {"subject", std::string(msg.subject())},
                             {"payload_bytes", msg.data().size()},
                             {"payload", std::string(msg.data().substr(0, 4096))}};
    auto ack = sink_->js_publish(
        kDeadLetterSubject, record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
        hash_key({"deadletter", msg.subject(), msg.data()}),
        {{"Riposte-Reason", r.error().substr(0, 200)}});
    if (!ack) log::warn("dead-letter publish failed", {{"error", ack.error()}});
  }
  // Core NATS cannot redeliver: the other replicas' copies are the retry.
  log::warn("falcosidekick alert not republished",
            {{"subject", std::string(msg.subject())}, {"error", r.error()}});
}

}  // namespace riposte::responder
