#include "detector/output/stream_sink.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace riposte::detector {

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
