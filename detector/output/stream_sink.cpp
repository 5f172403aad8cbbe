#include "detector/output/stream_sink.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace riposte::detector {

Result<LineFormat> parse_line_format(const std::string& name) {
  if (name == "json") return LineFormat::kJson;
  if (name == "text") return LineFormat::kFalcoText;
  if (name == "output") return LineFormat::kOutput;
  return Error{"unknown line format '" + name + "' (json, text or output)"};
}

Result<std::unique_ptr<StreamSink>> StreamSink::append_to(const std::string& path,
                                                          LineFormat format) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return Error{"cannot open " + path + ": " + std::strerror(errno)};
  auto sink = std::make_unique<StreamSink>(f, format);
  sink->owned_ = true;
  return sink;
}

StreamSink::~StreamSink() {
  if (owned_) std::fclose(out_);
}

Status StreamSink::emit(const Alert& alert) {
  std::string line;
  switch (format_) {
    case LineFormat::kJson:
      line = to_json(alert);
      break;
    case LineFormat::kFalcoText:
      line = falco_text_line(alert);
      break;
    case LineFormat::kOutput:
      line = alert.output.substr(0, alert.rule_output_size);
      break;
  }
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mu_);
  // Flushed per alert: a person (or a pipe) is waiting for it.
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0) {
    return Error{std::string("cannot write alert: ") + std::strerror(errno)};
  }
  return {};
}

}  // namespace riposte::detector
