// Where alerts go: stdout (Falco's text line or JSON lines), a JSON-lines file, NATS
// JetStream. emit() may block (a JetStream ack); the detector puts an AsyncSink in front so
// the event path never waits on the network.
#pragma once

#include <string_view>

#include "common/alert.h"
#include "common/result.h"

namespace riposte::detector {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual Status emit(const Alert& alert) = 0;
};

}  // namespace riposte::detector
