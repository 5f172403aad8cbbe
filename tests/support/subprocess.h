// Child processes for tests (servers, daemons under test): spawned with explicit argv and
// environment, output captured to a file, and always reaped: SIGTERM, then SIGKILL, on
// destruction. Children also get SIGKILL if the test process dies first.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace riposte::testing {

class Subprocess {
 public:
  // argv[0] is looked up in PATH when it has no '/'. env entries are added to (or override)
  // this process's environment. stdout and stderr both go to log_path (truncated).
  static Result<std::unique_ptr<Subprocess>> spawn(const std::vector<std::string>& argv,
                                                   const std::map<std::string, std::string>& env,
                                                   const std::string& log_path);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // False once the child has exited (it is reaped then).
  bool running();
  // Sends SIGTERM, waits up to grace_ms, then SIGKILL; returns the wait status (or the one
  // collected earlier). Safe to call more than once.
  int stop(int grace_ms = 5000);
  // Waits up to timeout_ms for the child to exit by itself; true if it did.
  bool wait_exit(int timeout_ms, int* status = nullptr);
  // The last max_bytes of the captured output.
  std::string log_tail(size_t max_bytes = 4096) const;

 private:
  Subprocess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  bool reap(bool block);

  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
  int status_ = 0;
};

// Spawns a daemon and waits (up to timeout_ms) until its log contains `ready`, a line it
// prints once it serves; else an error with the log's tail (and the daemon is stopped).
Result<std::unique_ptr<Subprocess>> spawn_ready(const std::vector<std::string>& argv,
                                                const std::map<std::string, std::string>& env,
                                                const std::string& log_path,
                                                const std::string& ready, int timeout_ms = 30000);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int pick_free_port();
// Polls until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, int timeout_ms);
// A fresh directory under $TMPDIR (or /tmp) named prefix-XXXXXX.
std::string make_temp_dir(const std::string& prefix);
// The whole file, or "" when unreadable.
std::string read_file(const std::string& path);

}  // namespace riposte::testing
