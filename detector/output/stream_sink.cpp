#include "detector/output/stream_sink.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace riposte::detector {

Result<std::unique_ptr<StreamSink>> StreamSink::append_to(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return Error{"cannot open " + path + ": " + std::strerror(errno)};
  auto sink = std::make_unique<StreamSink>(f, true);
  sink->owned_ = true;
  return sink;
}

StreamSink::~StreamSink() {
  if (owned_) std::fclose(out_);
}

Status StreamSink::emit(const Alert& alert) {
  std::string line = json_ ? to_json(alert) : falco_text_line(alert);
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mu_);
  // Flushed per alert: a person (or a pipe) is waiting for it.
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0) {
    return Error{std::string("cannot write alert: ") + std::strerror(errno)};
  }
  return {};
}

}  // namespace riposte::detector
