// A decoded exec record: the C++ view of bpf/events.h's riposte_exec_record, so everything
// after the ring buffer is testable without the kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace riposte::detector {

struct ExecRecord {
  uint64_t boot_ns = 0;
  uint32_t cpu = 0;  // the CPU the kernel made the record on (evt.cpu)
  uint32_t pid = 0, tid = 0, ppid = 0, vpid = 0, vtid = 0;
  uint32_t sid = 0, pgid = 0, vpgid = 0;
  uint32_t uid = 0, gid = 0, loginuid = UINT32_MAX, tty = 0;  // effective uid/gid
  uint64_t cap_effective = 0, cap_permitted = 0, cap_inheritable = 0;
  uint64_t cgroup_id = 0;
  uint64_t start_boot_ns = 0;             // the process's clone time
  uint64_t pidns_init_start_boot_ns = 0;  // its pid namespace's init start (container start)
  bool exe_upper_layer = false, exe_from_memfd = false, exe_writable = false;
  // The kernel stopped the process at this exec (the exec hold): it runs again only when
  // someone deletes its riposte_held entry and signals it (BpfSource::release_held).
  bool held = false;
  // The kernel decided on its own that an enforcing rule matches, and SIGKILLed the process
  // at this exec (kernel_program.h): it dies before its first instruction.
  bool killed_in_kernel = false;
  uint64_t exe_ino = 0, exe_ctime_ns = 0, exe_mtime_ns = 0;  // ctime/mtime: ns since the epoch
  std::string comm;
  std::string filename;           // path given to execve
  std::string exe_path;           // the executable as resolved by the kernel
  std::string cwd;
  std::vector<std::string> argv;  // argv[0] first
  std::string cgroup_v2;          // "/kubepods.slice/...", "/" at the root
  std::string cgroup_v1;          // cpu controller path ("" when absent)
};

// nullopt when the buffer is not a well-formed exec record (wrong kind or size).
std::optional<ExecRecord> decode_exec_record(const void* data, size_t size);

}  // namespace riposte::detector
