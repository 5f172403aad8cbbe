// One process's open fds as the rules see them (fd.name, fd.type, socket tuples), kept up to
// date from open/socket/connect/accept/dup/close records. Low fd numbers, the vast majority,
// live in a vector indexed by number whose slots keep their string capacity, so the
// open/close churn of a busy process does not allocate; the rest go to a bounded map. The
// vector stays small (shells keep fd 255 open, and a slot per number up to there would cost
// every such process 35 KB).
// Shared (shared_ptr) by the threads of a process and by CLONE_FILES children.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "detector/event/event.h"
#include "detector/sensor/syscall_record.h"

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

// Falco's fd.name for a socket: "cip:cport->sip:sport" (client first).
void format_socket_name(const FdInfo& fd, std::string* out);

// The kind of an anonymous-inode (or pipe, memfd) fd from its name: /proc's link text
// ("anon_inode:[eventfd]", "pipe:[123]", "/memfd:x") or the kernel's anon inode name.
FdType anon_fd_type(std::string_view name);

// The fd transitions a syscall record causes, from what the kernel said about the fd (the
// record's KernelFd). Closes are only reported when a rule names them, so an fd may have been
// closed and its number reused unseen: entries carry the file's identity (ino, dev) and are
// checked against the kernel's at every use.

// Falco's fd type for what the kernel says an fd is.
FdType fd_type_of(const KernelFd& k);

// Whether an entry is the file the kernel has at its number. All anonymous-inode fds
// (eventfd, epoll, timerfd, ...) share one inode, so for them the kind must agree too. An
// entry whose identity is unknown is not trusted.
bool same_file(const FdInfo& fd, const KernelFd& k);

// The kernel's view of a socket (k), with the connecting side as Falco's client; only the
// type for what is not an inet socket.
void set_socket(FdInfo* fd, const KernelFd& k, bool accepted);

// A successful bind, or a listen: the kernel's view of a socket whose local end is a server's
// with no peer (FdInfo::server_socket; libsinsp's SERVSOCK when the port is not 0).
void set_server_socket(FdInfo* fd, const KernelFd& k);

// *fd := what the kernel says (k), keeping its number. A file's name is not in k: the caller
// reads it from /proc (ProcReader::read_fd_path).
void reset_from_kernel(FdInfo* fd, const KernelFd& k);

// A connectionless send (sendto with an address on an unconnected inet socket) names the peer:
// the socket's tuple becomes the record's (k), and fd.name_changed says whether it moved.
void set_send_peer(FdInfo* fd, const KernelFd& k);

}  // namespace riposte::detector
