// EventSource backed by the eBPF programs in bpf/: exec (sched_process_exec), process
// (sched_process_fork/exit) and syscall (fexit on each syscall of interest, or sys_exit).
// All three write to one ring buffer,
// created by the first object and shared with the others by fd, so records arrive in kernel
// order. Lifecycle: open -> size the ring buffer, set rodata -> load -> fill the interest map
// -> attach -> poll; torn down in reverse by the destructor (RAII handles).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "detector/sensor/event_source.h"

struct exec_bpf;
struct process_bpf;
struct syscall_bpf;
struct ring_buffer;

namespace riposte::detector {

// How syscall records are taken (bpf/syscall.bpf.c).
enum class SyscallHook {
  kAuto,        // fexit where the kernel and the interest map allow it, else the tracepoint
  kFexit,       // fexit on __x64_sys_<call> for each call of interest; fail if not possible
  kTracepoint,  // tp_btf/sys_exit: every syscall of every task takes the slow path
};
const char* to_string(SyscallHook hook);

struct BpfSourceOptions {
  // Ring buffer size, rounded up to a power of two of at least one page.
  uint32_t ring_bytes = 8u << 20;
  // Bytes waiting in the ring buffer above which the kernel wakes the reader up; below it,
  // syscall records wait for the next poll tick (fewer wakeups for the traced processes).
  uint32_t wakeup_bytes = 256u << 10;
  // Longest a record waits when the buffer is below wakeup_bytes: the poll tick.
  int tick_ms = 10;
  // Per syscall number (syscall_table.h interest_map()); empty = report no syscalls.
  std::vector<uint8_t> interest;
  SyscallHook syscall_hook = SyscallHook::kAuto;
  // The kernel-side open filter (detector/rules/open_paths.h), per access class: when
  // `filter` is set, only opens whose path starts with one of `prefixes` are reported
  // (irregular paths always are). Unset: every open of that class.
  struct OpenClass {
    bool filter = false;
    std::vector<std::string> prefixes;
  };
  OpenClass open_read, open_write;
  // proc.env: each exec's environment (its first RIPOSTE_ENV_LEN bytes) in a record before
  // the exec record (RecordHandler::on_env); set when a loaded rule reads proc.env.
  bool env = false;
  // The exec hold (bpf/exec.bpf.c): execs whose comm is in `names` (any when names_any) and
  // whose parent's comm is in `pnames` (any when pnames_any) are stopped before their first
  // instruction and reported with ExecRecord::held; see detector/enforce/exec_hold.h.
  struct ExecHold {
    bool enabled = false;
    bool names_any = false, pnames_any = false;
    std::vector<std::string> names, pnames;  // as the kernel keeps them: <= 15 bytes
  };
  ExecHold hold;
};

class BpfSource final : public EventSource {
 public:
  explicit BpfSource(BpfSourceOptions options);
  ~BpfSource() override;
  BpfSource(const BpfSource&) = delete;
  BpfSource& operator=(const BpfSource&) = delete;

  Status start(RecordHandler* handler) override;
  Status poll(int timeout_ms) override;
  uint64_t kernel_drops() const override;
  uint64_t records() const override { return records_; }
  uint64_t malformed() const override { return malformed_; }

  uint32_t ring_bytes() const { return options_.ring_bytes; }
  bool attached() const { return ring_ != nullptr; }
  // The hook in use after start(): kFexit or kTracepoint.
  SyscallHook syscall_hook() const { return hook_; }
  // Whether this kernel lets fexit programs on __x64_sys_* load and attach (BPF trampolines;
  // some kernels and sandboxes refuse them). Loads and drops one small program.
  static bool fexit_available();

  // The exec hold (after start()). Nothing is held unless the deadline set here (in
  // CLOCK_BOOTTIME ns) is ahead: the detector pushes it forward while it is alive.
  void hold_alive_until(uint64_t boot_ns);
  // Replaces the names the kernel holds (the enforcing rules changed), live.
  Status set_hold_names(const BpfSourceOptions::ExecHold& next);
  // The map of held processes (struct riposte_held by pid); -1 when the hold is off.
  int held_map_fd() const;
  // Candidate execs the kernel could not hold (map full, signal refused).
  uint64_t hold_failures() const;
  // The in-kernel decision (detector/enforce/kernel_decision.h): its maps (-1 when the hold
  // is off), and how many rules the exec program evaluates (0: none; set it after the maps).
  struct KernelDecisionMaps {
    int nodes = -1, names = -1, cgroups = -1, pending = -1;
  };
  KernelDecisionMaps kernel_decision_maps() const;
  void set_kernel_rule_count(uint32_t n);

 private:
  struct Deleter {
    void operator()(exec_bpf* p) const;
    void operator()(process_bpf* p) const;
    void operator()(syscall_bpf* p) const;
    void operator()(ring_buffer* p) const;
  };
  Status load_syscall(SyscallHook hook);
  Status attach_syscall();
  Status fill_open_paths();
  Status fill_hold_names();
  static int on_record(void* ctx, void* data, size_t size);
  void dispatch(const void* data, size_t size);

  BpfSourceOptions options_;
  SyscallHook hook_ = SyscallHook::kAuto;
  RecordHandler* handler_ = nullptr;
  // Destroyed in reverse order of declaration: the reader first, then the programs that
  // share its map (the exec object created it).
  std::unique_ptr<exec_bpf, Deleter> exec_;
  std::unique_ptr<process_bpf, Deleter> process_;
  std::unique_ptr<syscall_bpf, Deleter> syscall_;
  std::unique_ptr<ring_buffer, Deleter> ring_;
  uint64_t records_ = 0, malformed_ = 0;
};

}  // namespace riposte::detector
