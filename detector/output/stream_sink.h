// Alerts as lines on a stdio stream: Falco's text format, one JSON object per line, or the
// rule's rendered output alone (for rules whose output is itself a record, e.g. CSV).
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "detector/output/alert_sink.h"

namespace riposte::detector {

// What one line of a StreamSink holds.
enum class LineFormat {
  kJson,       // the alert as Falco's JSON output
  kFalcoText,  // Falco's text line: "<time>: <Priority> <output>"
  kOutput,     // the rule's output as rendered, without the context the detector appends
};

// Parses "json", "text" or "output".
Result<LineFormat> parse_line_format(const std::string& name);

class StreamSink final : public AlertSink {
 public:
  StreamSink(FILE* out, LineFormat format) : out_(out), format_(format) {}
  // A file of lines, appended to and closed with the sink.
  static Result<std::unique_ptr<StreamSink>> append_to(const std::string& path, LineFormat format);
  ~StreamSink() override;
  StreamSink(const StreamSink&) = delete;
  StreamSink& operator=(const StreamSink&) = delete;
  Status emit(const Alert& alert) override;

 private:
  std::mutex mu_;
  FILE* out_;
  LineFormat format_;
  bool owned_ = false;
};

}  // namespace riposte::detector
