// The common end of the external inputs (Falcosidekick's NATS output, the HTTP endpoint for
// Falco's http_output and Falcosidekick's webhook): validate the alert and republish it to the
// RIPOSTE_ALERTS stream with a dedup id, so it gets the stream's guarantees (persisted,
// redelivered until handled, dead-lettered with a reason). The id is the alert's content key
// (rule + output without the time prefix): the same event arriving twice, through two inputs
// or two responder replicas, is stored once within the stream's duplicate window.
//
// ingest() returns only once the stream acknowledged the alert (stored by a quorum of an R3
// stream's replicas), so a caller that reports success upstream (an HTTP 200) never reports
// one that can be lost. Concurrent calls share the connection's round trips (asynchronous
// publishes, each caller waiting for its own acknowledgment): throughput grows with the
// number of callers while each one's latency stays one round trip. What is in flight is
// bounded by the callers (the HTTP input's workers), each holding one alert.
#pragma once

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "common/nats.h"
#include "common/result.h"
#include "responder/responder_metrics.h"

namespace riposte::responder {

struct IngestResult {
  std::string subject;
  uint64_t sequence = 0;
  bool duplicate = false;
};

class AlertIngest {
 public:
  AlertIngest(nats::Connection* conn, ResponderMetrics* metrics);

  enum class Failure { kNone, kInvalid, kUnavailable };
  // input names the source in metrics and in the Riposte-Input header.
  Result<IngestResult> ingest(std::string_view body, const std::string& input,
                              Failure* failure = nullptr);
  // Publishes on `next` from now on (a rotated NATS password); returns once no publish is
  // still using the old connection, so the caller may close it.
  void rebind(nats::Connection* next);

 private:
  void bind_locked(nats::Connection* conn);
  Result<nats::PubAck> store(const std::string& subject, const std::string& payload,
                             const std::string& id, const std::string& input);

  std::shared_mutex mu_;  // held shared by each store, exclusively by rebind
  nats::Connection* conn_ = nullptr;
  ResponderMetrics* metrics_;
  std::unique_ptr<nats::AsyncPublisher> publisher_;  // null: synchronous publishes
  std::atomic<int> in_flight_{0};
};

}  // namespace riposte::responder
