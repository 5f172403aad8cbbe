/* The one table of the syscalls the syscall sensor knows. Everything else is generated from
 * it: the RIPOSTE_NR_* numbers, the BPF side's per-call spec (spec_of) and fexit hooks
 * (syscall.bpf.c), and on the user side the syscall -> EventType table and the interest map
 * (detector/sensor/syscall_table.cpp), the hooks to attach (bpf_source.cpp) and the second
 * dirfd of a record (syscall_record.cpp). Adding a syscall: one row here, a row in
 * detector/event/event_types.h if it is a new Falco event type, and its decoding in
 * detector/event/syscall_events.cpp (README, "Adding a syscall").
 *
 * X(name, nr, fn, event, kind, str1, dir1, str2, dir2, fd, special)
 *   name    the call (RIPOSTE_NR_<name>)
 *   nr      its x86_64 number (vmlinux.h has no __NR_* constants; user space checks a sample
 *           against <sys/syscall.h> at compile time)
 *   fn      the kernel function implementing it (__x64_sys_<fn>), for the fexit hook
 *   event   the Falco event type it becomes (EventType::k<event>); Falco names some calls
 *           after the libc wrapper (pread) and folds variants (fchmodat2 into fchmodat)
 *   kind    RULES: reported when a loaded rule can match its event type (or every rule can);
 *           DATA: the data path (reads, writes, mappings at millions per second), reported
 *           only for a rule that names its event type; STATE: as RULES, and always reported
 *           for the fd table / proc.cwd / the process's credentials whatever the rules are
 *           (the credential calls then only when they succeeded)
 *   str1, str2  argument holding a user string, -1 none
 *   dir1, dir2  argument holding the dirfd str1 / str2 is relative to, -1 none
 *   fd      argument holding the fd the call is about, FD_RES (the result), -1 none
 *   special extra decoding in the BPF program (enum special in syscall.bpf.c, SP_ omitted)
 *
 * Row order is the order the fexit hooks are listed in. */
#ifndef RIPOSTE_BPF_SYSCALLS_H
#define RIPOSTE_BPF_SYSCALLS_H

/* clang-format off */
#define RIPOSTE_SYSCALLS(X) \
  X(read,              0, read,              Read,           DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(write,             1, write,             Write,          DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(open,              2, open,              Open,           RULES,  0, -1, -1, -1, FD_RES, OPEN)     \
  X(close,             3, close,             Close,          RULES, -1, -1, -1, -1, -1,     CLOSE)    \
  X(mmap,              9, mmap,              Mmap,           DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(mprotect,         10, mprotect,          Mprotect,       DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(ioctl,            16, ioctl,             Ioctl,          DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(pread64,          17, pread64,           Pread,          DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(pwrite64,         18, pwrite64,          Pwrite,         DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(readv,            19, readv,             Readv,          DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(writev,           20, writev,            Writev,         DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(pipe,             22, pipe,              Pipe,           RULES, -1, -1, -1, -1, -1,     PIPE)     \
  X(dup,              32, dup,               Dup,            STATE, -1, -1, -1, -1, FD_RES, NONE)     \
  X(dup2,             33, dup2,              Dup2,           STATE, -1, -1, -1, -1, FD_RES, NONE)     \
  X(sendfile,         40, sendfile64,        Sendfile,       DATA,  -1, -1, -1, -1, -1,     NONE)     \
  X(socket,           41, socket,            Socket,         RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(connect,          42, connect,           Connect,        RULES, -1, -1, -1, -1,  0,     SOCKADDR) \
  X(accept,           43, accept,            Accept,         RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(sendto,           44, sendto,            Sendto,         DATA,  -1, -1, -1, -1,  0,     SENDTO)   \
  X(recvfrom,         45, recvfrom,          Recvfrom,       DATA,  -1, -1, -1, -1,  0,     NONE)     \
  X(sendmsg,          46, sendmsg,           Sendmsg,        DATA,  -1, -1, -1, -1,  0,     NONE)     \
  X(recvmsg,          47, recvmsg,           Recvmsg,        DATA,  -1, -1, -1, -1,  0,     NONE)     \
  X(bind,             49, bind,              Bind,           RULES, -1, -1, -1, -1,  0,     SOCKADDR) \
  X(listen,           50, listen,            Listen,         RULES, -1, -1, -1, -1,  0,     NONE)     \
  X(clone,            56, clone,             Clone,          RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(fork,             57, fork,              Fork,           RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(vfork,            58, vfork,             Vfork,          RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(kill,             62, kill,              Kill,           RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(fcntl,            72, fcntl,             Fcntl,          STATE, -1, -1, -1, -1, FD_RES, FCNTL)    \
  X(chdir,            80, chdir,             Chdir,          STATE,  0, -1, -1, -1, -1,     CHDIR)    \
  X(fchdir,           81, fchdir,            Fchdir,         STATE, -1, -1, -1, -1,  0,     CHDIR)    \
  X(rename,           82, rename,            Rename,         RULES,  0, -1,  1, -1, -1,     NONE)     \
  X(mkdir,            83, mkdir,             Mkdir,          RULES,  0, -1, -1, -1, -1,     NONE)     \
  X(rmdir,            84, rmdir,             Rmdir,          RULES,  0, -1, -1, -1, -1,     NONE)     \
  X(creat,            85, creat,             Creat,          RULES,  0, -1, -1, -1, FD_RES, OPEN)     \
  X(link,             86, link,              Link,           RULES,  0, -1,  1, -1, -1,     NONE)     \
  X(unlink,           87, unlink,            Unlink,         RULES,  0, -1, -1, -1, -1,     NONE)     \
  X(symlink,          88, symlink,           Symlink,        RULES,  0, -1,  1, -1, -1,     NONE)     \
  X(chmod,            90, chmod,             Chmod,          RULES,  0, -1, -1, -1, -1,     NONE)     \
  X(fchmod,           91, fchmod,            Fchmod,         RULES, -1, -1, -1, -1,  0,     NONE)     \
  X(chown,            92, chown,             Chown,          RULES,  0, -1, -1, -1, -1,     NONE)     \
  X(fchown,           93, fchown,            Fchown,         RULES, -1, -1, -1, -1,  0,     NONE)     \
  X(lchown,           94, lchown,            Lchown,         RULES,  0, -1, -1, -1, -1,     NONE)     \
  X(ptrace,          101, ptrace,            Ptrace,         RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(setuid,          105, setuid,            Setuid,         STATE, -1, -1, -1, -1, -1,     CREDS)    \
  X(setgid,          106, setgid,            Setgid,         STATE, -1, -1, -1, -1, -1,     CREDS)    \
  X(setreuid,        113, setreuid,          Setreuid,       STATE, -1, -1, -1, -1, -1,     CREDS)    \
  X(setregid,        114, setregid,          Setregid,       STATE, -1, -1, -1, -1, -1,     CREDS)    \
  X(setresuid,       117, setresuid,         Setresuid,      STATE, -1, -1, -1, -1, -1,     CREDS)    \
  X(setresgid,       119, setresgid,         Setresgid,      STATE, -1, -1, -1, -1, -1,     CREDS)    \
  X(capset,          126, capset,            Capset,         STATE, -1, -1, -1, -1, -1,     CREDS)    \
  X(pivot_root,      155, pivot_root,        PivotRoot,      RULES,  0, -1,  1, -1, -1,     NONE)     \
  X(prctl,           157, prctl,             Prctl,          RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(chroot,          161, chroot,            Chroot,         RULES,  0, -1, -1, -1, -1,     NONE)     \
  X(mount,           165, mount,             Mount,          RULES,  0, -1,  1, -1, -1,     MOUNT)    \
  X(umount2,         166, umount,            Umount2,        RULES,  0, -1, -1, -1, -1,     NONE)     \
  X(init_module,     175, init_module,       InitModule,     RULES,  2, -1, -1, -1, -1,     NONE)     \
  X(delete_module,   176, delete_module,     DeleteModule,   RULES,  0, -1, -1, -1, -1,     NONE)     \
  X(tkill,           200, tkill,             Tkill,          RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(epoll_create,    213, epoll_create,      EpollCreate,    RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(tgkill,          234, tgkill,            Tgkill,         RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(inotify_init,    253, inotify_init,      InotifyInit,    RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(mkdirat,         258, mkdirat,           Mkdirat,        RULES,  1,  0, -1, -1, -1,     NONE)     \
  X(fchownat,        260, fchownat,          Fchownat,       RULES,  1,  0, -1, -1, -1,     NONE)     \
  X(unlinkat,        263, unlinkat,          Unlinkat,       RULES,  1,  0, -1, -1, -1,     NONE)     \
  X(renameat,        264, renameat,          Renameat,       RULES,  1,  0,  3,  2, -1,     NONE)     \
  X(linkat,          265, linkat,            Linkat,         RULES,  1,  0,  3,  2, -1,     NONE)     \
  X(symlinkat,       266, symlinkat,         Symlinkat,      RULES,  0, -1,  2,  1, -1,     NONE)     \
  X(fchmodat,        268, fchmodat,          Fchmodat,       RULES,  1,  0, -1, -1, -1,     NONE)     \
  X(unshare,         272, unshare,           Unshare,        RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(signalfd,        282, signalfd,          Signalfd,       RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(timerfd_create,  283, timerfd_create,    TimerfdCreate,  RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(eventfd,         284, eventfd,           Eventfd,        RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(accept4,         288, accept4,           Accept4,        RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(signalfd4,       289, signalfd4,         Signalfd,       RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(eventfd2,        290, eventfd2,          Eventfd,        RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(epoll_create1,   291, epoll_create1,     EpollCreate,    RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(dup3,            292, dup3,              Dup3,           STATE, -1, -1, -1, -1, FD_RES, NONE)     \
  X(pipe2,           293, pipe2,             Pipe2,          RULES, -1, -1, -1, -1, -1,     PIPE)     \
  X(inotify_init1,   294, inotify_init1,     InotifyInit,    RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(open_by_handle_at, 304, open_by_handle_at, OpenByHandleAt, RULES, -1, -1, -1, -1, FD_RES, HANDLE) \
  X(setns,           308, setns,             Setns,          RULES, -1, -1, -1, -1,  0,     NONE)     \
  X(process_vm_readv, 310, process_vm_readv, ProcessVmReadv, RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(process_vm_writev, 311, process_vm_writev, ProcessVmWritev, RULES, -1, -1, -1, -1, -1,  NONE)     \
  X(finit_module,    313, finit_module,      FinitModule,    RULES,  1, -1, -1, -1,  0,     NONE)     \
  X(renameat2,       316, renameat2,         Renameat2,      RULES,  1,  0,  3,  2, -1,     NONE)     \
  X(seccomp,         317, seccomp,           Seccomp,        RULES, -1, -1, -1, -1, -1,     NONE)     \
  X(memfd_create,    319, memfd_create,      MemfdCreate,    RULES,  0, -1, -1, -1, FD_RES, NONE)     \
  X(bpf,             321, bpf,               Bpf,            RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(userfaultfd,     323, userfaultfd,       Userfaultfd,    RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(pidfd_open,      434, pidfd_open,        PidfdOpen,      RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(clone3,          435, clone3,            Clone3,         RULES, -1, -1, -1, -1, -1,     CLONE3)   \
  X(openat2,         437, openat2,           Openat2,        RULES,  1,  0, -1, -1, FD_RES, OPENAT2)  \
  X(pidfd_getfd,     438, pidfd_getfd,       PidfdGetfd,     RULES, -1, -1, -1, -1, FD_RES, NONE)     \
  X(fchmodat2,       452, fchmodat2,         Fchmodat,       RULES,  1,  0, -1, -1, -1,     NONE)     \
  X(openat,          257, openat,            Openat,         RULES,  1,  0, -1, -1, FD_RES, OPEN)
/* clang-format on */

#define RIPOSTE_NR_ENUM_(name, nr, ...) RIPOSTE_NR_##name = nr,
enum riposte_syscall_nr { RIPOSTE_SYSCALLS(RIPOSTE_NR_ENUM_) };
#undef RIPOSTE_NR_ENUM_

/* fcntl commands that duplicate an fd (the only fcntl calls the fd table cares about). */
#define RIPOSTE_F_DUPFD 0
#define RIPOSTE_F_DUPFD_CLOEXEC 1030

#endif
