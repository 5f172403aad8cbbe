// Feeds alerts from the RIPOSTE_ALERTS stream to the playbook engine, one durable pull
// consumer shared by every replica. A message is acknowledged only after its outcome is
// known: a failed run is redelivered (with back-off) until max_deliver, and a message that is
// not an alert goes to the dead-letter subject with the reason, then is terminated.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "common/metrics.h"
#include "common/nats.h"
#include "responder/playbook/engine.h"

namespace riposte::responder {

inline constexpr const char* kDefaultDurable = "riposte-responder";

struct ConsumerOptions {
  bool dry_run = false;
  int batch = 64;
  int fetch_timeout_ms = 500;
  int max_deliver = 5;
  int64_t nak_delay_ms = 500;
};

class AlertConsumer {
 public:
  AlertConsumer(nats::Connection* conn, nats::PullConsumer* consumer,
                const playbook::Engine* engine, Registry* registry,
                ConsumerOptions options);

  // Fetches one batch and handles it; returns the number of messages handled.
  Result<int> poll_once();
  // Runs until *stop becomes true.
  void run(const std::atomic<bool>* stop);

  // Handles one message (exposed for tests with core messages).
  void handle(nats::Message& msg);

 private:
  void dead_letter(nats::Message& msg, const std::string& reason);

  nats::Connection* conn_;
  nats::PullConsumer* consumer_;
  const playbook::Engine* engine_;
  Registry* registry_;
  ConsumerOptions options_;
};

}  // namespace riposte::responder
