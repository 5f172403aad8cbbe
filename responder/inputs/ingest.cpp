#include "responder/inputs/ingest.h"

#include "common/alert.h"
#include "responder/dedup.h"

namespace riposte::responder {

Result<IngestResult> AlertIngest::ingest(std::string_view body, const std::string& input,
                                         Failure* failure) {
  auto set = [&](Failure f) {
    if (failure) *failure = f;
  };
  auto alert = parse_alert(body);
  if (!alert) {
    set(Failure::kInvalid);
    if (metrics_) metrics_->ingested(input, body.size() > kMaxAlertBytes ? "too_large" : "invalid");
    return Error{"invalid alert: " + alert.error()};
  }
  const std::string id = content_key(*alert);
  // Every copy of this event must serialize the same, whichever replica republishes it.
  if (alert->uuid.empty()) alert->uuid = id.substr(0, 32);
  IngestResult out;
  out.subject = alert_subject(*alert);
  auto ack = conn_->js_publish(out.subject, to_json(*alert), id, {{"Riposte-Input", input}});
  if (!ack) {
    set(Failure::kUnavailable);
    if (metrics_) metrics_->ingested(input, "unavailable");
    return Error{"publish to " + out.subject + ": " + ack.error()};
  }
  set(Failure::kNone);
  out.sequence = ack->sequence;
  out.duplicate = ack->duplicate;
  if (metrics_) metrics_->ingested(input, ack->duplicate ? "duplicate" : "accepted");
  return out;
}

}  // namespace riposte::responder
