// One process's open fds as the rules see them (fd.name, fd.type, socket tuples), kept up to
// date from open/socket/connect/accept/dup/close records. Low fd numbers, the vast majority,
// live in a vector indexed by number whose slots keep their string capacity, so the
// open/close churn of a busy process does not allocate; the rest go to a bounded map. The
// vector stays small (shells keep fd 255 open, and a slot per number up to there would cost
// every such process 35 KB).
// Shared (shared_ptr) by the threads of a process and by CLONE_FILES children.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "detector/event/event.h"

namespace riposte::detector {

class FdTable {
 public:
  static constexpr int64_t kDirect = 32;     // fds below this are slots in a vector
  static constexpr size_t kMaxOther = 4096;  // beyond this many high fds, new ones are not kept

  // null when the fd is not known.
  FdInfo* get(int64_t fd);
  // A cleared entry for fd (replacing what was there), with num set; null when the fd
  // cannot be kept (negative, or the table of high fds is full).
  FdInfo* put(int64_t fd);
  void erase(int64_t fd);
  // exec closes O_CLOEXEC fds without close(2) calls.
  void erase_cloexec();
  size_t size() const { return count_ + other_.size(); }

 private:
  std::vector<FdInfo> direct_;  // num == -1: free slot
  size_t count_ = 0;            // used slots in direct_
  std::unordered_map<int64_t, FdInfo> other_;
};

// Resets an entry to "unknown fd" while keeping its strings' capacity.
void clear_fd(FdInfo* fd);

// An inet socket's two ends as Falco names them: the client is the connecting side, so the
// local end is the server's when the socket was accepted.
void set_socket_ends(FdInfo* fd, const IpAddr& local, uint16_t lport, const IpAddr& remote,
                     uint16_t rport, bool accepted);

}  // namespace riposte::detector
