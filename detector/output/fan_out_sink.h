// Sends each alert to every sink (stdout and a file, NATS and a file); the first failure is
// reported after all sinks were tried, so one broken output does not starve the others.
#pragma once

#include <memory>
#include <vector>

#include "detector/output/alert_sink.h"

namespace riposte::detector {

class FanOutSink final : public AlertSink {
 public:
  void add(std::unique_ptr<AlertSink> sink) { sinks_.push_back(std::move(sink)); }
  Status emit(const Alert& alert) override {
    Status result;
    for (auto& s : sinks_) {
      if (Status st = s->emit(alert); !st.ok() && result.ok()) result = st;
    }
    return result;
  }

 private:
  std::vector<std::unique_ptr<AlertSink>> sinks_;
};

}  // namespace riposte::detector
