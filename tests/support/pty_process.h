// A child process on a pseudo-terminal, as a person at a keyboard runs it: what
// `kubectl exec -it` needs to hand the remote shell a tty (with stdin not a terminal it drops
// -t, and Falco's terminal-shell rule, proc.tty != 0, could never fire). The test holds the
// master side: it reads what the child prints and types into it. Reaped like Subprocess:
// SIGTERM, then SIGKILL, on destruction.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace riposte::testing {

class PtyProcess {
 public:
  static Result<std::unique_ptr<PtyProcess>> spawn(const std::vector<std::string>& argv);
  ~PtyProcess();
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reads what the child printed until `needle` shows up (true) or timeout_ms passes.
  bool wait_output(const std::string& needle, int timeout_ms);
  // Everything read so far.
  const std::string& output() const { return out_; }
  bool type(const std::string& keys);
  // Waits up to timeout_ms for the child to exit by itself; true if it did.
  bool wait_exit(int timeout_ms);

 private:
  PtyProcess(pid_t pid, int master) : pid_(pid), master_(master) {}
  void drain(int timeout_ms);

  pid_t pid_;
  int master_;
  bool exited_ = false;
  std::string out_;
};

}  // namespace riposte::testing
