// Which Falco event type each x86_64 syscall the sensor reports becomes, and the kernel-side
// interest map derived from the event types the loaded rules can match.
#pragma once

#include <cstdint>
#include <vector>

#include "detector/event/event.h"
#include "detector/rules/ruleset.h"
#include "detector/sensor/bpf_source.h"

namespace riposte::detector {

inline constexpr uint32_t kSyscallSlots = 512;  // RIPOSTE_SYSCALL_MAX

// kUnknown for numbers the sensor does not model.
EventType event_type_of_syscall(uint32_t nr);

// Interest map contents (bpf/events.h riposte_interest bits), one byte per syscall number:
// RIPOSTE_WANT_RULES for the syscalls of `rule_types` (with `all`, every modelled syscall
// except the data path: read/write/send/recv/mmap/ioctl, which only a rule naming them
// turns on), and
// RIPOSTE_WANT_STATE for the dup family and fcntl, which keep the fd tables right whatever
// the rules are (close does not: entries are checked at use against the fd's identity),
// chdir/fchdir, which keep proc.cwd right, and the setuid family and capset, which keep
// user.*, group.* and thread.cap_* right (rare calls; the kernel sends only successful ones
// for the state). Process lifecycle (fork, exec, exit) has its own programs.
std::vector<uint8_t> interest_map(const std::vector<EventType>& rule_types, bool all);

// What the kernel reports for `rules`: the interest map, the open filter, and each exec's
// environment when a rule reads proc.env.
void select_syscalls(const rules::Ruleset& rules, BpfSourceOptions* options);

}  // namespace riposte::detector
