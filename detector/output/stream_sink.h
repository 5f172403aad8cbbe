// Alerts as lines on a stdio stream: Falco's text format or one JSON object per line.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "detector/output/alert_sink.h"

namespace riposte::detector {

class StreamSink final : public AlertSink {
 public:
  StreamSink(FILE* out, bool json) : out_(out), json_(json) {}
  // A file of JSON lines, appended to and closed with the sink.
  static Result<std::unique_ptr<StreamSink>> append_to(const std::string& path);
  ~StreamSink() override;
  StreamSink(const StreamSink&) = delete;
  StreamSink& operator=(const StreamSink&) = delete;
  Status emit(const Alert& alert) override;

 private:
  std::mutex mu_;
  FILE* out_;
  bool json_;
  bool owned_ = false;
};

}  // namespace riposte::detector
