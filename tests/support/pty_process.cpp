#include "tests/support/pty_process.h"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace riposte::testing {

Result<std::unique_ptr<PtyProcess>> PtyProcess::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error{"pty spawn: empty argv"};
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return Error{std::string("forkpty: ") + std::strerror(errno)};
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    execvp(args[0], args.data());
    _exit(127);
  }
  return std::unique_ptr<PtyProcess>(new PtyProcess(pid, master));
}

PtyProcess::~PtyProcess() {
  if (!exited_) {
    kill(pid_, SIGTERM);
    if (!wait_exit(3000)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  close(master_);
}

void PtyProcess::drain(int timeout_ms) {
  pollfd p{master_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return;
  char buf[4096];
  const ssize_t n = read(master_, buf, sizeof buf);
  if (n > 0) out_.append(buf, static_cast<size_t>(n));
}

bool PtyProcess::wait_output(const std::string& needle, int timeout_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out_.find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= end) return false;
    drain(50);
  }
  return true;
}

bool PtyProcess::type(const std::string& keys) {
  return write(master_, keys.data(), keys.size()) == static_cast<ssize_t>(keys.size());
}

bool PtyProcess::wait_exit(int timeout_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!exited_) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      exited_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= end) return false;
    drain(20);  // keeps the pty from filling up while the child finishes
  }
  return true;
}

}  // namespace riposte::testing
