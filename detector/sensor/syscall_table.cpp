#include "detector/sensor/syscall_table.h"

#include <sys/syscall.h>

#include <array>

extern "C" {
#include "bpf/events.h"
#include "bpf/syscalls.h"
}

namespace riposte::detector {
namespace {

using ET = EventType;

struct Entry {
  uint32_t nr;
  EventType type;
};

// Falco names some calls after the libc wrapper (pread, pwrite) and folds variants
// (fchmodat2 into fchmodat, eventfd2 into eventfd, ...) as its own event tables do.
#define E(name, type) Entry{RIPOSTE_NR_##name, type}
constexpr Entry kEntries[] = {
    E(read, ET::kRead), E(write, ET::kWrite), E(open, ET::kOpen), E(close, ET::kClose),
    E(mmap, ET::kMmap), E(mprotect, ET::kMprotect), E(ioctl, ET::kIoctl), E(pread64, ET::kPread),
    E(pwrite64, ET::kPwrite), E(readv, ET::kReadv), E(writev, ET::kWritev), E(pipe, ET::kPipe),
    E(dup, ET::kDup), E(dup2, ET::kDup2), E(sendfile, ET::kSendfile), E(socket, ET::kSocket),
    E(connect, ET::kConnect), E(accept, ET::kAccept), E(sendto, ET::kSendto),
    E(recvfrom, ET::kRecvfrom), E(sendmsg, ET::kSendmsg), E(recvmsg, ET::kRecvmsg),
    E(bind, ET::kBind), E(listen, ET::kListen), E(clone, ET::kClone), E(fork, ET::kFork),
    E(vfork, ET::kVfork), E(kill, ET::kKill), E(fcntl, ET::kFcntl), E(chdir, ET::kChdir),
    E(fchdir, ET::kFchdir), E(rename, ET::kRename), E(mkdir, ET::kMkdir), E(rmdir, ET::kRmdir),
    E(creat, ET::kCreat), E(link, ET::kLink), E(unlink, ET::kUnlink), E(symlink, ET::kSymlink),
    E(chmod, ET::kChmod), E(fchmod, ET::kFchmod), E(chown, ET::kChown), E(fchown, ET::kFchown),
    E(lchown, ET::kLchown), E(ptrace, ET::kPtrace), E(setuid, ET::kSetuid),
    E(setgid, ET::kSetgid), E(setreuid, ET::kSetreuid), E(setregid, ET::kSetregid),
    E(setresuid, ET::kSetresuid), E(setresgid, ET::kSetresgid), E(capset, ET::kCapset),
    E(pivot_root, ET::kPivotRoot), E(prctl, ET::kPrctl), E(chroot, ET::kChroot),
    E(mount, ET::kMount), E(umount2, ET::kUmount2), E(init_module, ET::kInitModule),
    E(delete_module, ET::kDeleteModule), E(tkill, ET::kTkill),
    E(epoll_create, ET::kEpollCreate), E(tgkill, ET::kTgkill), E(inotify_init, ET::kInotifyInit),
    E(mkdirat, ET::kMkdirat), E(fchownat, ET::kFchownat), E(unlinkat, ET::kUnlinkat),
    E(renameat, ET::kRenameat), E(linkat, ET::kLinkat), E(symlinkat, ET::kSymlinkat),
    E(fchmodat, ET::kFchmodat), E(unshare, ET::kUnshare), E(signalfd, ET::kSignalfd),
    E(timerfd_create, ET::kTimerfdCreate), E(eventfd, ET::kEventfd), E(accept4, ET::kAccept4),
    E(signalfd4, ET::kSignalfd), E(eventfd2, ET::kEventfd), E(epoll_create1, ET::kEpollCreate),
    E(dup3, ET::kDup3), E(pipe2, ET::kPipe2), E(inotify_init1, ET::kInotifyInit),
    E(open_by_handle_at, ET::kOpenByHandleAt), E(setns, ET::kSetns),
    E(process_vm_readv, ET::kProcessVmReadv), E(process_vm_writev, ET::kProcessVmWritev),
    E(finit_module, ET::kFinitModule), E(renameat2, ET::kRenameat2), E(seccomp, ET::kSeccomp),
    E(memfd_create, ET::kMemfdCreate), E(bpf, ET::kBpf), E(userfaultfd, ET::kUserfaultfd),
    E(pidfd_open, ET::kPidfdOpen), E(clone3, ET::kClone3), E(openat2, ET::kOpenat2),
    E(pidfd_getfd, ET::kPidfdGetfd), E(fchmodat2, ET::kFchmodat), E(openat, ET::kOpenat),
};
#undef E

// The numbers above are the x86_64 ABI; the C library's must agree.
static_assert(RIPOSTE_NR_openat == SYS_openat && RIPOSTE_NR_openat2 == SYS_openat2 &&
              RIPOSTE_NR_open == SYS_open && RIPOSTE_NR_close == SYS_close &&
              RIPOSTE_NR_connect == SYS_connect && RIPOSTE_NR_dup3 == SYS_dup3 &&
              RIPOSTE_NR_memfd_create == SYS_memfd_create && RIPOSTE_NR_clone3 == SYS_clone3 &&
              RIPOSTE_NR_fchmodat2 == 452 && RIPOSTE_NR_finit_module == SYS_finit_module &&
              RIPOSTE_NR_pidfd_getfd == SYS_pidfd_getfd && RIPOSTE_NR_renameat2 == SYS_renameat2,
              "bpf/syscalls.h must hold x86_64 numbers");
static_assert(kSyscallSlots == RIPOSTE_SYSCALL_MAX);

constexpr std::array<EventType, kSyscallSlots> build_table() {
  std::array<EventType, kSyscallSlots> t{};
  for (const Entry& e : kEntries) t[e.nr] = e.type;
  return t;
}
constexpr std::array<EventType, kSyscallSlots> kTable = build_table();

// Reads, writes and memory mappings run at millions per second on a busy node. A rule that
// names no event type ("all") does not turn them on; only a rule that names them does.
bool is_data_path(EventType t) {
  switch (t) {
    case ET::kRead: case ET::kWrite: case ET::kPread: case ET::kPwrite: case ET::kReadv:
    case ET::kWritev: case ET::kSendfile: case ET::kMmap: case ET::kMprotect: case ET::kIoctl:
    case ET::kSendto: case ET::kSendmsg: case ET::kRecvfrom: case ET::kRecvmsg:
      return true;
    default:
      return false;
  }
}

}  // namespace

EventType event_type_of_syscall(uint32_t nr) {
  return nr < kSyscallSlots ? kTable[nr] : EventType::kUnknown;
}

std::vector<uint8_t> interest_map(const std::vector<EventType>& rule_types, bool all) {
  std::vector<uint8_t> map(kSyscallSlots, 0);
  std::array<bool, static_cast<size_t>(EventType::kCount)> wanted{};
  for (EventType t : rule_types) wanted[static_cast<size_t>(t)] = true;
  for (uint32_t nr = 0; nr < kSyscallSlots; ++nr) {
    const EventType t = kTable[nr];
    if (t == EventType::kUnknown) continue;
    if (wanted[static_cast<size_t>(t)] || (all && !is_data_path(t))) map[nr] |= RIPOSTE_WANT_RULES;
  }
  // Not close: a close record would cost more than the table's entries are worth, and an
  // entry is checked against the kernel's fd identity in the record of each later use.
  for (uint32_t nr : {RIPOSTE_NR_dup, RIPOSTE_NR_dup2, RIPOSTE_NR_dup3, RIPOSTE_NR_fcntl,
                      RIPOSTE_NR_chdir, RIPOSTE_NR_fchdir}) {
    map[nr] |= RIPOSTE_WANT_STATE;
  }
  return map;
}

void select_syscalls(const rules::Ruleset& rules, BpfSourceOptions* options) {
  const auto& types = rules.event_types();
  options->interest = interest_map(types.to_vector(), types.is_all());
  auto set = [](const rules::PathSet& paths, BpfSourceOptions::OpenClass* oc) {
    oc->filter = !paths.is_any();
    oc->prefixes = paths.prefixes();
  };
  set(rules.open_paths().read, &options->open_read);
  set(rules.open_paths().write, &options->open_write);
}

}  // namespace riposte::detector
