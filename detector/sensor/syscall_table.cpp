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

// The columns of bpf/syscalls.h this side needs.
enum class Kind : uint8_t { RULES, DATA, STATE };  // spelled as in the kind column

struct Entry {
  uint32_t nr;
  EventType type;
  Kind kind;
};

#define ENTRY(name, nr, fn, event, kind, ...) Entry{RIPOSTE_NR_##name, ET::k##event, Kind::kind},
constexpr Entry kEntries[] = {RIPOSTE_SYSCALLS(ENTRY)};
#undef ENTRY

// The numbers above are the x86_64 ABI; the C library's must agree.
static_assert(RIPOSTE_NR_openat == SYS_openat && RIPOSTE_NR_openat2 == SYS_openat2 &&
              RIPOSTE_NR_open == SYS_open && RIPOSTE_NR_close == SYS_close &&
              RIPOSTE_NR_connect == SYS_connect && RIPOSTE_NR_dup3 == SYS_dup3 &&
              RIPOSTE_NR_memfd_create == SYS_memfd_create && RIPOSTE_NR_clone3 == SYS_clone3 &&
              RIPOSTE_NR_fchmodat2 == 452 && RIPOSTE_NR_finit_module == SYS_finit_module &&
              RIPOSTE_NR_pidfd_getfd == SYS_pidfd_getfd && RIPOSTE_NR_renameat2 == SYS_renameat2,
              "bpf/syscalls.h must hold x86_64 numbers");
static_assert(kSyscallSlots == RIPOSTE_SYSCALL_MAX);

struct Slot {
  EventType type = EventType::kUnknown;
  Kind kind = Kind::RULES;
};

constexpr std::array<Slot, kSyscallSlots> build_table() {
  std::array<Slot, kSyscallSlots> t{};
  for (const Entry& e : kEntries) t[e.nr] = Slot{e.type, e.kind};
  return t;
}
constexpr std::array<Slot, kSyscallSlots> kTable = build_table();

}  // namespace

EventType event_type_of_syscall(uint32_t nr) {
  return nr < kSyscallSlots ? kTable[nr].type : EventType::kUnknown;
}

std::vector<uint8_t> interest_map(const std::vector<EventType>& rule_types, bool all) {
  std::vector<uint8_t> map(kSyscallSlots, 0);
  std::array<bool, static_cast<size_t>(EventType::kCount)> wanted{};
  for (EventType t : rule_types) wanted[static_cast<size_t>(t)] = true;
  // Reads, writes and memory mappings (DATA) run at millions per second on a busy node: a
  // rule that names no event type ("all") does not turn them on, only a rule naming them does.
  // STATE calls are reported whatever the rules are. Not close: a close record would cost more
  // than the table's entries are worth, and an entry is checked against the kernel's fd
  // identity in the record of each later use.
  for (uint32_t nr = 0; nr < kSyscallSlots; ++nr) {
    const Slot& s = kTable[nr];
    if (s.type == EventType::kUnknown) continue;
    if (wanted[static_cast<size_t>(s.type)] || (all && s.kind != Kind::DATA)) {
      map[nr] |= RIPOSTE_WANT_RULES;
    }
    if (s.kind == Kind::STATE) map[nr] |= RIPOSTE_WANT_STATE;
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
  options->env = rules.reads_field("proc.env");
}

}  // namespace riposte::detector
