#include "detector/state/pidfd.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <utility>

#include "detector/state/proc_file.h"

namespace riposte::detector {

uint64_t proc_start_ticks(pid_t pid) {
  const std::string stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  // comm (field 2) may hold spaces and parentheses: the fields resume after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string f;
  for (int i = 3; i <= 22 && rest >> f; ++i) {
  }
  return std::strtoull(f.c_str(), nullptr, 10);
}

uint64_t boot_ns_to_ticks(uint64_t boot_ns) {
  const long hz = sysconf(_SC_CLK_TCK);
  return hz > 0 ? boot_ns / (1000000000ull / static_cast<uint64_t>(hz)) : 0;
}

Result<Pidfd> Pidfd::open(pid_t pid) {
  if (pid <= 0) return Error{"no such process"};
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return Error{std::string("pidfd_open: ") + std::strerror(errno)};
  return Pidfd(fd, pid, proc_start_ticks(pid));
}

Pidfd::Pidfd(Pidfd&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), pid_(other.pid_), start_ticks_(other.start_ticks_) {}

Pidfd& Pidfd::operator=(Pidfd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    pid_ = other.pid_;
    start_ticks_ = other.start_ticks_;
  }
  return *this;
}

Pidfd::~Pidfd() {
  if (fd_ >= 0) close(fd_);
}

Status Pidfd::signal(int sig) const {
  if (syscall(SYS_pidfd_send_signal, fd_, sig, nullptr, 0) != 0) {
    return Error{std::string("pidfd_send_signal: ") + std::strerror(errno)};
  }
  return {};
}

bool Pidfd::wait_exit(int timeout_ms) const {
  pollfd p{fd_, POLLIN, 0};
  int r;
  do {
    r = poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

}  // namespace riposte::detector
