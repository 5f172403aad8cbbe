#include "detector/sensor/exec_record.h"

#include <cstring>
#include <string_view>

extern "C" {
#include "bpf/events.h"
}

namespace riposte::detector {
namespace {

std::string bounded_string(const char* s, size_t cap) { return std::string(s, strnlen(s, cap)); }

std::string join_cgroup(const riposte_cgroup_path& p) {
  if (p.depth == 0) return "/";
  std::string out;
  for (uint32_t i = std::min<uint32_t>(p.depth, RIPOSTE_CGROUP_DEPTH); i-- > 0;) {
    out += '/';
    out += bounded_string(p.names[i], RIPOSTE_CGROUP_NAME_LEN);
  }
  // A truncated path lost its top components; keep it relative-looking so nothing mistakes
  // it for a full path from the root. Parsers only look at the tail anyway.
  return p.truncated ? "..." + out : out;
}

}  // namespace

std::optional<ExecRecord> decode_exec_record(const void* data, size_t size) {
  if (size < sizeof(riposte_exec_record)) return std::nullopt;
  // Copied out: the record is large, but execs are rare and this keeps alignment simple.
  riposte_exec_record raw;
  std::memcpy(&raw, data, sizeof raw);
  if (raw.h.kind != RIPOSTE_REC_EXEC || raw.h.size != sizeof raw) return std::nullopt;

  ExecRecord r;
  r.boot_ns = raw.h.boot_ns;
  r.pid = raw.h.pid;
  r.tid = raw.h.tid;
  r.cpu = raw.h.cpu;
  r.ppid = raw.ppid;
  r.vpid = raw.vpid;
  r.vtid = raw.vtid;
  r.sid = raw.sid;
  r.pgid = raw.pgid;
  r.vpgid = raw.vpgid;
  r.uid = raw.uid;
  r.gid = raw.gid;
  r.loginuid = raw.loginuid;
  r.tty = raw.tty;
  r.held = raw.held == 1;
  r.killed_in_kernel = raw.held == RIPOSTE_HELD_KILLED_IN_KERNEL;
  r.cap_effective = raw.cap_effective;
  r.cap_permitted = raw.cap_permitted;
  r.cap_inheritable = raw.cap_inheritable;
  r.cgroup_id = raw.cgroup_id;
  r.start_boot_ns = raw.start_boot_ns;
  r.pidns_init_start_boot_ns = raw.pidns_init_start_boot_ns;
  r.exe_upper_layer = raw.exe_flags & RIPOSTE_EXE_UPPER_LAYER;
  r.exe_from_memfd = raw.exe_flags & RIPOSTE_EXE_FROM_MEMFD;
  r.exe_writable = raw.exe_flags & RIPOSTE_EXE_WRITABLE;
  r.exe_ino = raw.exe_ino;
  r.exe_ctime_ns = raw.exe_ctime_ns;
  r.exe_mtime_ns = raw.exe_mtime_ns;
  r.comm = bounded_string(raw.comm, sizeof raw.comm);
  r.filename = bounded_string(raw.filename, sizeof raw.filename);
  r.exe_path = bounded_string(raw.exe_path, sizeof raw.exe_path);
  r.cwd = bounded_string(raw.cwd, sizeof raw.cwd);
  std::string_view args(raw.args, std::min<size_t>(raw.args_len, sizeof raw.args));
  while (!args.empty()) {
    auto nul = args.find('\0');
    r.argv.emplace_back(args.substr(0, nul));
    if (nul == std::string_view::npos) break;
    args.remove_prefix(nul + 1);
  }
  r.cgroup_v2 = join_cgroup(raw.cgroup_v2);
  r.cgroup_v1 = raw.cgroup_v1.depth == 0 ? "" : join_cgroup(raw.cgroup_v1);
  return r;
}

}  // namespace riposte::detector
