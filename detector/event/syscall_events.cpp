#include "detector/event/syscall_events.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "detector/sensor/syscall_table.h"
#include "detector/state/path.h"

namespace riposte::detector {
namespace {

using ET = EventType;
using KT = KernelFd::Type;

constexpr int64_t kAtFdcwd = AT_FDCWD;

// Syscall arguments arrive as 64-bit registers; ints and ids are their low 32 bits.
int64_t as_int(uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }
uint32_t u32(uint64_t v) { return static_cast<uint32_t>(v); }

const KernelFd kNoView;

// What the record says fd `num` is; no identity (ino 0) when it describes another fd or none.
const KernelFd& view_of(const SyscallRecord& rec, int64_t num) {
  if (rec.fd.num == num) return rec.fd;
  return rec.dir2.num == num ? rec.dir2 : kNoView;
}

}  // namespace

FdInfo* SyscallEvents::fd_for(FdTable& fds, int64_t num) {
  if (FdInfo* fd = fds.get(num)) return fd;
  clear_fd(&scratch_);
  scratch_.num = num;
  return &scratch_;
}

FdInfo* SyscallEvents::checked_fd(const SyscallRecord& rec, FdTable& fds, int64_t num) {
  const KernelFd& k = view_of(rec, num);
  FdInfo* fd = fds.get(num);
  if (k.ino != 0 && (fd == nullptr || !same_file(*fd, k))) {
    if (fd == nullptr) fd = new_fd(fds, rec, num);
    refresh(fd, k, rec.pid, num);
  }
  return fd != nullptr ? fd : fd_for(fds, num);
}

FdInfo* SyscallEvents::new_fd(FdTable& fds, const SyscallRecord& rec, int64_t num) {
  FdInfo* fd = fds.put(num);
  if (fd == nullptr) {
    fd = &scratch_;
    clear_fd(fd);
    fd->num = num;
  }
  const KernelFd& k = view_of(rec, num);
  fd->ino = k.ino;
  fd->dev = k.dev;
  return fd;
}

void SyscallEvents::refresh(FdInfo* fd, const KernelFd& k, int64_t pid, int64_t link_num) {
  reset_from_kernel(fd, k);
  if (refreshed_ != nullptr) refreshed_->inc();
  if (fd->type == FdType::kIpv4 || fd->type == FdType::kIpv6 || reader_ == nullptr) return;
  // Records carry no path for an fd they use: /proc has it.
  reader_->read_fd_path(pid, link_num, k.ino, &fd->name);
}

std::string_view SyscallEvents::resolve(const SyscallRecord& rec, const ProcessInfo& proc,
                                        FdTable& fds, std::string_view raw, int64_t dirfd,
                                        std::string* out) {
  std::string_view base = proc.cwd.empty() ? std::string_view("/") : std::string_view(proc.cwd);
  if (!raw.empty() && raw.front() != '/' && dirfd != kAtFdcwd) {
    if (const FdInfo* dir = checked_fd(rec, fds, dirfd);
        !dir->name.empty() && dir->name.front() == '/') {
      base = dir->name;
    }
  }
  normalize_path(base, raw, out);
  return *out;
}

void SyscallEvents::open_event(const SyscallRecord& rec, ProcessInfo& proc, FdTable& fds, Event* ev) {
  const auto& a = rec.args;
  int64_t dirfd = kAtFdcwd;
  uint32_t flags = 0, mode = 0;
  switch (ev->type) {
    case ET::kOpen: flags = a[1]; mode = a[2]; break;
    case ET::kCreat: flags = O_CREAT | O_WRONLY | O_TRUNC; mode = a[1]; break;
    case ET::kOpenByHandleAt: flags = a[2]; break;
    default: dirfd = as_int(a[0]); flags = a[2]; mode = a[3]; break;  // openat, openat2
  }
  const std::string_view raw = rec.path_resolved ? rec.str2 : rec.str1;
  const std::string_view name =
      rec.path_resolved ? (normalize_path("/", rec.str1, &path_), std::string_view(path_))
                        : resolve(rec, proc, fds, raw, dirfd, &path_);
  ev->args.path = name;
  ev->args.flags = flags;
  ev->args.mode = mode;
  ev->args.fd = dirfd;
  FdInfo* fd = rec.res >= 0 ? new_fd(fds, rec, rec.res) : (clear_fd(&scratch_), &scratch_);
  // As Falco: the type follows the flags (O_DIRECTORY), not the inode.
  fd->type = (flags & O_DIRECTORY) ? FdType::kDirectory : FdType::kFile;
  fd->name.assign(name);
  if (raw != name) fd->nameraw.assign(raw);
  fd->open_flags = flags;
  ev->fd = fd;
}

void SyscallEvents::dup_event(const SyscallRecord& rec, FdTable& fds, Event* ev) {
  const int64_t oldfd = as_int(rec.args[0]);
  const int64_t newfd = rec.res;
  ev->args.fd = oldfd;
  ev->args.fd2 = newfd;
  if (newfd < 0) {
    ev->fd = fd_for(fds, oldfd);
    return;
  }
  // The record describes newfd, which is now the same file as oldfd. Copy first: put() may
  // grow the table and move the old entry.
  const FdInfo* src = fds.get(oldfd);
  const bool known = src != nullptr && (rec.fd.ino == 0 || same_file(*src, rec.fd));
  if (known) copy_ = *src;
  FdInfo* dst = newfd == oldfd ? fd_for(fds, newfd) : new_fd(fds, rec, newfd);
  if (known && newfd != oldfd) {
    *dst = copy_;
    dst->num = newfd;
  } else if (!known) {
    // An fd we never saw opened, or saw closed and reused: what the kernel says it is. The
    // name comes from newfd, which a shell's dup2(s, 0) keeps open longer than oldfd.
    refresh(dst, rec.fd, rec.pid, newfd);
  }
  // dup/dup2 clear close-on-exec; dup3 and F_DUPFD_CLOEXEC set it from their flags.
  const bool cloexec = (ev->type == ET::kDup3 && (rec.args[2] & O_CLOEXEC)) ||
                       (ev->type == ET::kFcntl && rec.args[1] == F_DUPFD_CLOEXEC);
  dst->open_flags = cloexec ? (dst->open_flags | O_CLOEXEC) : (dst->open_flags & ~O_CLOEXEC);
  ev->fd = dst;
}

void SyscallEvents::socket_event(const SyscallRecord& rec, FdTable& fds, Event* ev) {
  const auto& a = rec.args;
  switch (ev->type) {
    case ET::kSocket: {
      ev->args.domain = a[0];
      ev->args.sock_type = a[1];
      ev->args.protocol = a[2];
      if (rec.res < 0) return;
      FdInfo* fd = new_fd(fds, rec, rec.res);
      fd->type = fd_type_of(rec.fd);
      fd->l4proto = rec.fd.l4proto;
      ev->fd = fd;
      return;
    }
    case ET::kAccept:
    case ET::kAccept4: {
      ev->args.fd = as_int(a[0]);
      if (ev->type == ET::kAccept4) ev->args.flags = a[3];
      if (rec.res < 0) {
        ev->fd = checked_fd(rec, fds, as_int(a[0]));  // the record describes the listening socket
        return;
      }
      FdInfo* fd = new_fd(fds, rec, rec.res);
      set_socket(fd, rec.fd, true);
      fd->connected = true;
      if (ev->type == ET::kAccept4 && (a[3] & SOCK_CLOEXEC)) fd->open_flags |= O_CLOEXEC;
      ev->fd = fd;
      return;
    }
    case ET::kConnect:
    case ET::kBind: {
      const int64_t num = as_int(a[0]);
      ev->args.fd = num;
      // an fd we never saw is what this record makes it
      FdInfo* fd = fds.get(num) != nullptr ? checked_fd(rec, fds, num) : new_fd(fds, rec, num);
      if (rec.fd.type == KT::kUnix) {
        fd->type = FdType::kUnix;
        fd->name.assign(rec.str1);
      } else if (ev->type == ET::kBind && rec.res == 0) {
        set_server_socket(fd, rec.fd);
      } else if (rec.fd.type != KT::kNone) {
        set_socket(fd, rec.fd, ev->type == ET::kBind);
      }
      if (ev->type == ET::kConnect) fd->connected = rec.res == 0 || rec.res == -EINPROGRESS;
      ev->fd = fd;
      return;
    }
    default: {  // listen, send*, recv*
      const int64_t num = as_int(a[0]);
      ev->args.fd = num;
      FdInfo* fd = checked_fd(rec, fds, num);
      // A listening socket's address is the kernel's (bound, or the port listen() picked),
      // whether or not its bind was reported: bind records come only for rules naming bind.
      // As after a bind, it is a server socket.
      if (ev->type == ET::kListen && rec.res == 0 &&
          (rec.fd.type == KT::kIpv4 || rec.fd.type == KT::kIpv6)) {
        set_server_socket(fd, rec.fd);
      }
      if (ev->type == ET::kSendto && a[4] != 0) set_send_peer(fd, rec.fd);
      ev->fd = fd;
      return;
    }
  }
}

// Calls whose arguments are paths (absolute after resolve()), modes and owners.
void SyscallEvents::path_event(const SyscallRecord& rec, ProcessInfo& proc, FdTable& fds, Event* ev) {
  const auto& a = rec.args;
  EventArgs& args = ev->args;
  auto path1 = [&](int64_t dirfd) { args.path = resolve(rec, proc, fds, rec.str1, dirfd, &path_); };
  auto path2 = [&](int64_t dirfd) {
    args.path2 = resolve(rec, proc, fds, rec.str2, dirfd, &path2_);
  };
  switch (ev->type) {
    case ET::kRename: case ET::kLink: case ET::kPivotRoot:
      path1(kAtFdcwd);
      path2(kAtFdcwd);
      break;
    case ET::kRenameat: case ET::kRenameat2: case ET::kLinkat:
      path1(as_int(a[0]));
      path2(as_int(a[2]));
      args.flags = a[4];
      break;
    case ET::kSymlink:
      args.path = rec.str1;  // the target is stored as written
      path2(kAtFdcwd);
      break;
    case ET::kSymlinkat:
      args.path = rec.str1;
      path2(as_int(a[1]));
      break;
    case ET::kUnlink: case ET::kRmdir: case ET::kChroot:
      path1(kAtFdcwd);
      break;
    case ET::kUnlinkat:
      path1(as_int(a[0]));
      args.flags = a[2];
      break;
    case ET::kMkdir: case ET::kChmod:
      path1(kAtFdcwd);
      args.mode = a[1];
      break;
    case ET::kMkdirat: case ET::kFchmodat:
      path1(as_int(a[0]));
      args.mode = a[2];
      break;
    case ET::kChown: case ET::kLchown:
      path1(kAtFdcwd);
      args.uid = a[1];
      args.gid = a[2];
      break;
    case ET::kFchownat:
      path1(as_int(a[0]));
      args.uid = a[2];
      args.gid = a[3];
      break;
    case ET::kMount:
      args.path = rec.str1;  // the device is not necessarily a path
      path2(kAtFdcwd);
      args.data = rec.fd.hint;
      args.flags = a[3];
      break;
    case ET::kUmount2:
      path1(kAtFdcwd);
      args.flags = a[1];
      break;
    case ET::kChdir:
    case ET::kFchdir:
      if (rec.path_resolved) {
        normalize_path("/", rec.str1, &path_);
        args.path = path_;
        if (rec.res == 0) proc.cwd.assign(path_);
      } else {
        path1(kAtFdcwd);
      }
      if (ev->type == ET::kFchdir) {
        args.fd = as_int(a[0]);
        ev->fd = checked_fd(rec, fds, args.fd);
      }
      break;
    default:
      break;
  }
}

bool SyscallEvents::build(const SyscallRecord& rec, ProcessInfo* proc, FdTable* fds, Event* ev) {
  ev->type = event_type_of_syscall(rec.nr);
  if (ev->type == ET::kUnknown) return false;
  ev->dir = '<';
  ev->res = rec.res;
  ev->args = EventArgs{};
  ev->fd = nullptr;
  const auto& a = rec.args;
  EventArgs& args = ev->args;
  ProcessInfo& p = *proc;
  FdTable& t = *fds;
  switch (ev->type) {
    case ET::kOpen: case ET::kOpenat: case ET::kOpenat2: case ET::kCreat: case ET::kOpenByHandleAt:
      open_event(rec, p, t, ev);
      break;
    case ET::kClose:
      args.fd = as_int(a[0]);
      ev->fd = fd_for(t, args.fd);
      break;
    case ET::kDup: case ET::kDup2: case ET::kDup3:
      dup_event(rec, t, ev);
      break;
    case ET::kFcntl:
      if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC) {
        dup_event(rec, t, ev);
      } else {
        args.fd = as_int(a[0]);
        ev->fd = fd_for(t, args.fd);
      }
      args.request = a[1];
      break;
    case ET::kSocket: case ET::kAccept: case ET::kAccept4: case ET::kConnect: case ET::kBind:
    case ET::kListen: case ET::kSendto: case ET::kSendmsg: case ET::kRecvfrom: case ET::kRecvmsg:
      socket_event(rec, t, ev);
      break;
    case ET::kPtrace:
      args.request = as_int(a[0]);
      args.pid = as_int(a[1]);
      break;
    case ET::kKill: case ET::kTkill:
      args.pid = as_int(a[0]);
      args.request = as_int(a[1]);
      break;
    case ET::kTgkill:
      args.pid = as_int(a[0]);
      args.request = as_int(a[2]);
      break;
    case ET::kSetuid: args.uid = a[0]; break;
    case ET::kSetgid: args.gid = a[0]; break;
    // setre*/setres*: the effective id is the one that grants privilege
    case ET::kSetreuid: case ET::kSetresuid: args.uid = u32(a[1]) == UINT32_MAX ? u32(a[0]) : u32(a[1]); break;
    case ET::kSetregid: case ET::kSetresgid: args.gid = u32(a[1]) == UINT32_MAX ? u32(a[0]) : u32(a[1]); break;
    case ET::kPrctl: args.request = as_int(a[0]); break;
    case ET::kInitModule: args.data = rec.str1; break;
    case ET::kFinitModule:
      args.fd = as_int(a[0]);
      args.data = rec.str1;
      args.flags = a[2];
      ev->fd = checked_fd(rec, t, args.fd);
      break;
    case ET::kDeleteModule:
      args.path = rec.str1;
      args.flags = a[1];
      break;
    case ET::kSetns:
      args.fd = as_int(a[0]);
      args.nstype = a[1];
      ev->fd = checked_fd(rec, t, args.fd);
      break;
    case ET::kUnshare: args.flags = args.nstype = a[0]; break;
    case ET::kClone: args.flags = a[0]; break;
    case ET::kClone3: args.flags = a[2]; break;
    case ET::kMemfdCreate:
      args.data = rec.str1;
      args.flags = a[1];
      if (rec.res >= 0) {
        FdInfo* fd = new_fd(t, rec, rec.res);
        fd->type = FdType::kMemfd;
        fd->name.assign("memfd:").append(rec.str1);
        if (a[1] & 1) fd->open_flags = O_CLOEXEC;  // MFD_CLOEXEC
        ev->fd = fd;
      }
      break;
    case ET::kBpf:
      args.request = as_int(a[0]);
      if (rec.res >= 0 && rec.fd.type != KT::kNone) {
        FdInfo* fd = new_fd(t, rec, rec.res);
        fd->type = FdType::kBpf;
        ev->fd = fd;
      }
      break;
    case ET::kPipe: case ET::kPipe2:
      if (ev->type == ET::kPipe2) args.flags = a[1];
      if (rec.res == 0) {
        for (uint64_t v : {a[3], a[2]}) {  // first fd last, so ev->fd is the read end
          FdInfo* fd = new_fd(t, rec, as_int(v));
          fd->type = FdType::kPipe;
          if (ev->type == ET::kPipe2 && (a[1] & O_CLOEXEC)) fd->open_flags = O_CLOEXEC;
          ev->fd = fd;
        }
        args.fd = as_int(a[2]);
        args.fd2 = as_int(a[3]);
      }
      break;
    case ET::kEventfd: case ET::kSignalfd: case ET::kTimerfdCreate: case ET::kInotifyInit:
    case ET::kEpollCreate: case ET::kUserfaultfd: case ET::kPidfdOpen: case ET::kPidfdGetfd:
      if (ev->type == ET::kPidfdOpen || ev->type == ET::kPidfdGetfd) args.pid = as_int(a[0]);
      if (rec.res >= 0) {
        FdInfo* fd = new_fd(t, rec, rec.res);
        fd->type = fd_type_of(rec.fd);
        ev->fd = fd;
      }
      break;
    case ET::kProcessVmReadv: case ET::kProcessVmWritev:
      args.pid = as_int(a[0]);
      break;
    case ET::kFchmod:
      args.fd = as_int(a[0]);
      args.mode = a[1];
      ev->fd = checked_fd(rec, t, args.fd);
      break;
    case ET::kFchown:
      args.fd = as_int(a[0]);
      args.uid = a[1];
      args.gid = a[2];
      ev->fd = checked_fd(rec, t, args.fd);
      break;
    case ET::kMmap:
      args.fd = as_int(a[4]);
      args.flags = a[3];
      ev->fd = args.fd >= 0 ? fds->get(args.fd) : nullptr;
      break;
    case ET::kRead: case ET::kWrite: case ET::kPread: case ET::kPwrite: case ET::kReadv:
    case ET::kWritev: case ET::kSendfile: case ET::kIoctl:
      args.fd = as_int(a[0]);
      ev->fd = fds->get(args.fd);
      break;
    default:
      path_event(rec, p, t, ev);
      break;
  }
  return true;
}

void SyscallEvents::finish(const SyscallRecord& rec, FdTable* fds) {
  if (rec.nr == static_cast<uint32_t>(SYS_close) && rec.res == 0) fds->erase(as_int(rec.args[0]));
}

}  // namespace riposte::detector
