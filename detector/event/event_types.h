// The event types riposte models, in one table: X(Type, "falco name", args), from which the
// EventType enum (event.h), its Falco names (event.cpp) and the argument list evt.args and
// evt.arg.* render (detector/rules/fields.cpp) are generated. A syscall's row in
// bpf/syscalls.h names the type it becomes; add a row here only for a new Falco event type.
//
// args: ARGS(kArg...) = the event's parameters in Falco's order (res first where Falco has it);
// GENERIC = every parameter riposte models. Keep Unknown first; the order is EventType's.
#pragma once

// clang-format off
#define RIPOSTE_EVENT_TYPES(X) \
  X(Unknown,         "unknown",           GENERIC) \
  X(Execve,          "execve",            ARGS(kArgRes, kArgExe, kArgFilename, kArgPathname, kArgFlags)) \
  X(Execveat,        "execveat",          ARGS(kArgRes, kArgExe, kArgFilename, kArgPathname, kArgFlags)) \
  X(Clone,           "clone",             ARGS(kArgRes, kArgFlags)) \
  X(Clone3,          "clone3",            ARGS(kArgRes, kArgFlags)) \
  X(Fork,            "fork",              ARGS(kArgRes, kArgFlags)) \
  X(Vfork,           "vfork",             ARGS(kArgRes, kArgFlags)) \
  X(ProcExit,        "procexit",          GENERIC) \
  X(Open,            "open",              ARGS(kArgFd, kArgName, kArgFlags, kArgMode)) \
  X(Openat,          "openat",            ARGS(kArgFd, kArgName, kArgFlags, kArgMode)) \
  X(Openat2,         "openat2",           ARGS(kArgFd, kArgName, kArgFlags, kArgMode)) \
  X(Creat,           "creat",             ARGS(kArgFd, kArgName, kArgMode)) \
  X(Close,           "close",             ARGS(kArgRes, kArgFd)) \
  X(Connect,         "connect",           ARGS(kArgRes, kArgFd)) \
  X(Accept,          "accept",            ARGS(kArgRes, kArgFd)) \
  X(Accept4,         "accept4",           ARGS(kArgRes, kArgFd)) \
  X(Socket,          "socket",            ARGS(kArgFd, kArgDomain, kArgType, kArgProto)) \
  X(Bind,            "bind",              ARGS(kArgRes, kArgFd)) \
  X(Listen,          "listen",            ARGS(kArgRes, kArgFd)) \
  X(Sendto,          "sendto",            ARGS(kArgRes, kArgFd)) \
  X(Sendmsg,         "sendmsg",           ARGS(kArgRes, kArgFd)) \
  X(Recvfrom,        "recvfrom",          ARGS(kArgRes, kArgFd)) \
  X(Recvmsg,         "recvmsg",           ARGS(kArgRes, kArgFd)) \
  X(Dup,             "dup",               ARGS(kArgRes, kArgOldfd)) \
  X(Dup2,            "dup2",              ARGS(kArgRes, kArgOldfd, kArgNewfd, kArgFlags)) \
  X(Dup3,            "dup3",              ARGS(kArgRes, kArgOldfd, kArgNewfd, kArgFlags)) \
  X(Fcntl,           "fcntl",             GENERIC) \
  X(Ptrace,          "ptrace",            ARGS(kArgRes, kArgRequest, kArgPid)) \
  X(Setuid,          "setuid",            ARGS(kArgRes, kArgUid)) \
  X(Setgid,          "setgid",            ARGS(kArgRes, kArgGid)) \
  X(Setresuid,       "setresuid",         ARGS(kArgRes, kArgRuid, kArgEuid, kArgSuid)) \
  X(Setresgid,       "setresgid",         ARGS(kArgRes, kArgRgid, kArgEgid, kArgSgid)) \
  X(Setreuid,        "setreuid",          ARGS(kArgRes, kArgRuid, kArgEuid)) \
  X(Setregid,        "setregid",          ARGS(kArgRes, kArgRgid, kArgEgid)) \
  X(InitModule,      "init_module",       ARGS(kArgRes)) \
  X(FinitModule,     "finit_module",      ARGS(kArgRes, kArgFd, kArgFlags)) \
  X(DeleteModule,    "delete_module",     GENERIC) \
  X(Mount,           "mount",             ARGS(kArgRes, kArgDev, kArgDir, kArgType, kArgFlags)) \
  X(Umount,          "umount",            ARGS(kArgRes, kArgName, kArgFlags)) \
  X(Umount2,         "umount2",           ARGS(kArgRes, kArgName, kArgFlags)) \
  X(Setns,           "setns",             ARGS(kArgRes, kArgFd, kArgNstype)) \
  X(Unshare,         "unshare",           ARGS(kArgRes, kArgFlags)) \
  X(Rename,          "rename",            ARGS(kArgRes, kArgOldpath, kArgNewpath, kArgFlags)) \
  X(Renameat,        "renameat",          ARGS(kArgRes, kArgOldpath, kArgNewpath, kArgFlags)) \
  X(Renameat2,       "renameat2",         ARGS(kArgRes, kArgOldpath, kArgNewpath, kArgFlags)) \
  X(Unlink,          "unlink",            ARGS(kArgRes, kArgPath)) \
  X(Unlinkat,        "unlinkat",          ARGS(kArgRes, kArgName, kArgFlags)) \
  X(Mkdir,           "mkdir",             ARGS(kArgRes, kArgPath, kArgMode)) \
  X(Mkdirat,         "mkdirat",           ARGS(kArgRes, kArgPath, kArgMode)) \
  X(Rmdir,           "rmdir",             ARGS(kArgRes, kArgPath)) \
  X(Chmod,           "chmod",             ARGS(kArgRes, kArgFilename, kArgMode)) \
  X(Fchmod,          "fchmod",            ARGS(kArgRes, kArgFd, kArgMode)) \
  X(Fchmodat,        "fchmodat",          ARGS(kArgRes, kArgFilename, kArgMode)) \
  X(Chown,           "chown",             ARGS(kArgRes, kArgPath, kArgUid, kArgGid)) \
  X(Fchown,          "fchown",            ARGS(kArgRes, kArgFd, kArgUid, kArgGid)) \
  X(Fchownat,        "fchownat",          ARGS(kArgRes, kArgPathname, kArgUid, kArgGid, kArgFlags)) \
  X(Lchown,          "lchown",            ARGS(kArgRes, kArgPath, kArgUid, kArgGid)) \
  X(Symlink,         "symlink",           ARGS(kArgRes, kArgTarget, kArgLinkpath)) \
  X(Symlinkat,       "symlinkat",         ARGS(kArgRes, kArgTarget, kArgLinkpath)) \
  X(Link,            "link",              ARGS(kArgRes, kArgOldpath, kArgNewpath, kArgFlags)) \
  X(Linkat,          "linkat",            ARGS(kArgRes, kArgOldpath, kArgNewpath, kArgFlags)) \
  X(MemfdCreate,     "memfd_create",      ARGS(kArgFd, kArgName, kArgFlags)) \
  X(Bpf,             "bpf",               ARGS(kArgResOrFd, kArgCmd)) \
  X(Chdir,           "chdir",             ARGS(kArgRes, kArgPath)) \
  X(Fchdir,          "fchdir",            ARGS(kArgRes, kArgFd)) \
  X(Chroot,          "chroot",            ARGS(kArgRes, kArgPath)) \
  X(Prctl,           "prctl",             ARGS(kArgRes, kArgOption)) \
  X(Userfaultfd,     "userfaultfd",       GENERIC) \
  X(Kill,            "kill",              ARGS(kArgRes, kArgPid, kArgSig)) \
  X(Tkill,           "tkill",             ARGS(kArgRes, kArgPid, kArgSig)) \
  X(Tgkill,          "tgkill",            ARGS(kArgRes, kArgPid, kArgSig)) \
  X(PivotRoot,       "pivot_root",        GENERIC) \
  X(Mmap,            "mmap",              GENERIC) \
  X(Mprotect,        "mprotect",          GENERIC) \
  X(Read,            "read",              GENERIC) \
  X(Write,           "write",             GENERIC) \
  X(Pread,           "pread",             GENERIC) \
  X(Pwrite,          "pwrite",            GENERIC) \
  X(Readv,           "readv",             GENERIC) \
  X(Writev,          "writev",            GENERIC) \
  X(Sendfile,        "sendfile",          GENERIC) \
  X(Ioctl,           "ioctl",             GENERIC) \
  X(Pipe,            "pipe",              GENERIC) \
  X(Pipe2,           "pipe2",             GENERIC) \
  X(Eventfd,         "eventfd",           GENERIC) \
  X(Signalfd,        "signalfd",          GENERIC) \
  X(TimerfdCreate,   "timerfd_create",    GENERIC) \
  X(InotifyInit,     "inotify_init",      GENERIC) \
  X(EpollCreate,     "epoll_create",      GENERIC) \
  X(Capset,          "capset",            GENERIC) \
  X(Seccomp,         "seccomp",           GENERIC) \
  X(ProcessVmReadv,  "process_vm_readv",  GENERIC) \
  X(ProcessVmWritev, "process_vm_writev", GENERIC) \
  X(PidfdOpen,       "pidfd_open",        GENERIC) \
  X(PidfdGetfd,      "pidfd_getfd",       GENERIC) \
  X(OpenByHandleAt,  "open_by_handle_at", GENERIC) \
  X(Container,       "container",         GENERIC) /* Falco's meta event for container start */ \
  X(PluginEvent,     "pluginevent",       GENERIC) /* an event of another source (k8s_audit): Event::audit */
// clang-format on
