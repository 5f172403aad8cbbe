// A process held by a pidfd and identified by its start time: what every kill by the detector
// goes through (the exec hold's late kills, node actions), so that a pid reused by another
// process is never hit. The start time is read after the pidfd is open: if the process died in
// between and its pid was reused, the time read is the newcomer's (no match), and a signal
// through the pidfd of the dead one reaches nobody.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "common/result.h"

namespace riposte::detector {

// The start time of pid in clock ticks since boot (field 22 of /proc/<pid>/stat), or 0.
uint64_t proc_start_ticks(pid_t pid);
// A CLOCK_BOOTTIME time in the same ticks (what /proc/<pid>/stat would show).
uint64_t boot_ns_to_ticks(uint64_t boot_ns);

class Pidfd {
 public:
  // An error when pid does not exist (any more).
  static Result<Pidfd> open(pid_t pid);
  Pidfd(Pidfd&& other) noexcept;
  Pidfd& operator=(Pidfd&& other) noexcept;
  Pidfd(const Pidfd&) = delete;
  Pidfd& operator=(const Pidfd&) = delete;
  ~Pidfd();

  pid_t pid() const { return pid_; }
  // The start time of the process this pidfd holds, in ticks since boot; 0 when it exited
  // before it could be read.
  uint64_t start_ticks() const { return start_ticks_; }
  Status signal(int sig) const;
  // Waits until the process has exited (and is a zombie or reaped); false on timeout.
  bool wait_exit(int timeout_ms) const;

 private:
  Pidfd(int fd, pid_t pid, uint64_t start_ticks) : fd_(fd), pid_(pid), start_ticks_(start_ticks) {}
  int fd_ = -1;
  pid_t pid_ = 0;
  uint64_t start_ticks_ = 0;
};

}  // namespace riposte::detector
