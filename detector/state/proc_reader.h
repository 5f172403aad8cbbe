// Reads what the kernel records would have told us from /proc, for processes that started
// before the detector (the initial scan) or whose records were missed: the process itself
// (status, stat, cmdline, exe, cwd, loginuid, cgroups) and its open fds, with sockets
// resolved to their address tuples through the tables of the process's own network
// namespace (/proc/<pid>/net/{tcp,tcp6,udp,udp6,unix}).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "detector/event/event.h"
#include "detector/state/fd_table.h"

namespace riposte::detector {

struct ProcSnapshot {
  std::unique_ptr<ProcessInfo> info;
  std::string cgroup_v2;  // "/" when in the root; "" when unknown
  std::string cgroup_v1;  // cpu controller
};

class ProcReader {
 public:
  // boot_to_wall_ns: CLOCK_REALTIME - CLOCK_BOOTTIME, to turn start times into wall time.
  explicit ProcReader(std::string proc_root = "/proc", int64_t boot_to_wall_ns = 0);

  // null when the process is gone (or pid is not a process).
  ProcSnapshot read_process(int64_t pid) const;
  // Fills *fds with the process's open fds (best effort: a process may exit meanwhile).
  void read_fds(int64_t pid, FdTable* fds) const;
  // Every numeric entry of the proc root.
  std::vector<int64_t> list_pids() const;
  // Forgets cached socket tables (call before a scan, so it sees current sockets).
  void reset_socket_cache() const { sockets_.clear(); }

  // Also read /proc/<pid>/environ (its first kEnvBytes) into ProcessInfo::env: set when a
  // rule reads proc.env (BpfSourceOptions::env).
  void set_read_env(bool on) { read_env_ = on; }

  const std::string& root() const { return proc_root_; }
  // *out := the path fd `fd` of `pid` names, when it is a path and (ino != 0) still the file
  // with that inode: a record carries no path for an fd it uses, and the fd may have changed
  // again since (then no name rather than another file's). False when not read.
  bool read_fd_path(int64_t pid, int64_t fd, uint64_t ino, std::string* out) const;

 private:
  struct Socket {
    FdType type = FdType::kUnknown;
    IpAddr local, remote;
    uint16_t lport = 0, rport = 0;
    uint8_t l4proto = 0;
    std::string path;  // unix
  };
  struct SocketTable {
    std::unordered_map<uint64_t, Socket> by_inode;
    // Ports a TCP socket listens on: a connection whose local port is one was accepted.
    std::unordered_set<uint16_t> tcp_listening;
  };
  const SocketTable& sockets_of(int64_t pid) const;
  void fill_socket(int64_t pid, uint64_t ino, FdInfo* fd) const;

  std::string proc_root_;
  int64_t boot_to_wall_ns_;
  long clock_ticks_;
  bool read_env_ = false;
  mutable std::unordered_map<std::string, SocketTable> sockets_;  // by network namespace
};

}  // namespace riposte::detector
