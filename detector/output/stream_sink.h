// Alerts as lines on a stdio stream: Falco's text format or one JSON object per line.
#pragma once

#include <cstdio>
#include <mutex>

#include "detector/output/alert_sink.h"

namespace riposte::detector {

class StreamSink final : public AlertSink {
 public:
  StreamSink(FILE* out, bool json) : out_(out), json_(json) {}
  Status emit(const Alert& alert) override;

 private:
  std::mutex mu_;
  FILE* out_;
  bool json_;
};

}  // namespace riposte::detector
