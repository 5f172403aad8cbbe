#include "detector/sensor/bpf_source.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <tuple>

#include "exec.skel.h"
#include "process.skel.h"
#include "syscall.skel.h"

extern "C" {
#include "bpf/events.h"
#include "bpf/syscalls.h"
}

namespace riposte::detector {
namespace {

uint32_t round_ring_size(uint32_t bytes) {
  const uint32_t page = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
  uint32_t size = page;
  while (size < bytes && size < (1u << 30)) size <<= 1;
  return size;
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

// The total of a one-slot per-CPU counter map.
uint64_t per_cpu_sum(const bpf_map* map) {
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu));
  uint32_t key = 0;
  if (bpf_map__lookup_elem(map, &key, sizeof key, per_cpu.data(), per_cpu.size() * sizeof(uint64_t),
                           0) != 0) {
    return 0;
  }
  uint64_t total = 0;
  for (uint64_t v : per_cpu) total += v;
  return total;
}

Error load_error(const char* what, int err) {
  return Error{std::string("eBPF: cannot load the ") + what +
               " program (needs root, BTF at /sys/kernel/btf/vmlinux and tp_btf support): " +
               errno_text(err)};
}

// Points a later object's copies of the shared maps at the first object's maps.
template <typename Skel>
int share_maps(Skel* skel, const exec_bpf* owner) {
  if (int err = bpf_map__reuse_fd(skel->maps.records, bpf_map__fd(owner->maps.records))) return err;
  return bpf_map__reuse_fd(skel->maps.drops, bpf_map__fd(owner->maps.drops));
}

struct FexitHook {
  const char* program;
  uint32_t nr;
};
#define RIPOSTE_FEXIT_HOOK(name, ...) FexitHook{"fexit_" #name, RIPOSTE_NR_##name},
constexpr FexitHook kFexitHooks[] = {RIPOSTE_SYSCALLS(RIPOSTE_FEXIT_HOOK)};
#undef RIPOSTE_FEXIT_HOOK

uint8_t interest_of(const std::vector<uint8_t>& interest, uint32_t nr) {
  return nr < interest.size() ? interest[nr] : 0;
}

// A fexit hook runs when the kernel function returns in the caller; a new process's return
// from clone/fork (0, in the child) never goes through it. Rules on those calls need the
// tracepoint.
bool fexit_can_serve(const std::vector<uint8_t>& interest) {
  for (uint32_t nr : {RIPOSTE_NR_clone, RIPOSTE_NR_clone3, RIPOSTE_NR_fork, RIPOSTE_NR_vfork}) {
    if (interest_of(interest, nr) != 0) return false;
  }
  return true;
}

}  // namespace

const char* to_string(SyscallHook hook) {
  switch (hook) {
    case SyscallHook::kAuto: return "auto";
    case SyscallHook::kFexit: return "fexit";
    case SyscallHook::kTracepoint: return "tracepoint";
  }
  return "?";
}

void BpfSource::Deleter::operator()(exec_bpf* p) const { exec_bpf__destroy(p); }
void BpfSource::Deleter::operator()(process_bpf* p) const { process_bpf__destroy(p); }
void BpfSource::Deleter::operator()(syscall_bpf* p) const { syscall_bpf__destroy(p); }
void BpfSource::Deleter::operator()(ring_buffer* p) const { ring_buffer__free(p); }

BpfSource::BpfSource(BpfSourceOptions options) : options_(std::move(options)) {
  options_.ring_bytes = round_ring_size(options_.ring_bytes);
  options_.tick_ms = std::max(options_.tick_ms, 1);
}

BpfSource::~BpfSource() = default;

bool BpfSource::fexit_available() {
  // Quiet: a refusal is an answer here, not an error to print.
  libbpf_print_fn_t previous = libbpf_set_print(nullptr);
  syscall_bpf* skel = syscall_bpf__open();
  bool ok = skel != nullptr;
  if (ok) {
    bpf_map__set_max_entries(skel->maps.records, static_cast<uint32_t>(sysconf(_SC_PAGESIZE)));
    bpf_object* obj = skel->obj;
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, obj) bpf_program__set_autoload(prog, prog == skel->progs.fexit_close);
    bpf_link* link = nullptr;
    ok = syscall_bpf__load(skel) == 0 && (link = bpf_program__attach(skel->progs.fexit_close)) != nullptr;
    bpf_link__destroy(link);
    syscall_bpf__destroy(skel);
  }
  libbpf_set_print(previous);
  return ok;
}

// open -> rodata, shared maps, which programs -> load -> fill the interest map. Only the
// programs of the chosen hook are loaded: one fexit program per syscall of interest, or the
// tracepoint.
Status BpfSource::load_syscall(SyscallHook hook) {
  syscall_.reset(syscall_bpf__open());
  if (!syscall_) return Error{"eBPF: cannot open the syscall programs: " + errno_text(errno)};
  syscall_->rodata->wakeup_bytes = options_.wakeup_bytes;
  syscall_->rodata->self_tgid = static_cast<uint32_t>(getpid());
  syscall_->rodata->open_filter = (options_.open_read.filter ? 1u << RIPOSTE_OPEN_READ : 0u) |
                                  (options_.open_write.filter ? 1u << RIPOSTE_OPEN_WRITE : 0u);
  const bool fexit = hook == SyscallHook::kFexit;
  bpf_program__set_autoload(syscall_->progs.on_sys_exit, !fexit);
  for (const FexitHook& h : kFexitHooks) {
    bpf_program* prog = bpf_object__find_program_by_name(syscall_->obj, h.program);
    if (prog == nullptr) return Error{std::string("eBPF: no program ") + h.program};
    bpf_program__set_autoload(prog, fexit && interest_of(options_.interest, h.nr) != 0);
  }
  if (int err = share_maps(syscall_.get(), exec_.get()); err || (err = syscall_bpf__load(syscall_.get()))) {
    return load_error(fexit ? "syscall (fexit)" : "syscall (tp_btf/sys_exit)", err);
  }
  for (uint32_t nr = 0; nr < options_.interest.size() && nr < RIPOSTE_SYSCALL_MAX; ++nr) {
    uint8_t want = options_.interest[nr];
    if (want == 0) continue;
    if (int err = bpf_map__update_elem(syscall_->maps.interest, &nr, sizeof nr, &want, sizeof want, 0)) {
      return Error{"eBPF: cannot fill the interest map: " + errno_text(err)};
    }
  }
  if (Status st = fill_open_paths(); !st.ok()) return st;
  hook_ = hook;
  return {};
}

Status BpfSource::fill_open_paths() {
  const std::pair<uint8_t, const BpfSourceOptions::OpenClass*> classes[] = {
      {RIPOSTE_OPEN_READ, &options_.open_read}, {RIPOSTE_OPEN_WRITE, &options_.open_write}};
  for (const auto& [cls, oc] : classes) {
    if (!oc->filter) continue;
    for (const std::string& prefix : oc->prefixes) {
      riposte_open_key key{};
      const size_t len = std::min(prefix.size(), sizeof key.data - 1);  // shorter: still a prefix
      key.data[0] = cls;
      std::memcpy(&key.data[1], prefix.data(), len);
      key.prefixlen = static_cast<uint32_t>((1 + len) * 8);
      const uint8_t one = 1;
      if (int err = bpf_map__update_elem(syscall_->maps.open_paths, &key, sizeof key, &one, sizeof one, 0)) {
        return Error{"eBPF: cannot fill the open filter (" + std::to_string(oc->prefixes.size()) +
                     " prefixes): " + errno_text(err)};
      }
    }
  }
  return {};
}

Status BpfSource::fill_hold_names() {
  const std::pair<bpf_map*, const std::vector<std::string>*> maps[] = {
      {exec_->maps.hold_names, &options_.hold.names},
      {exec_->maps.hold_pnames, &options_.hold.pnames}};
  for (const auto& [map, names] : maps) {
    for (const std::string& name : *names) {
      riposte_comm_key key{};
      std::memcpy(key.comm, name.data(), std::min(name.size(), sizeof key.comm - 1));
      const uint8_t one = 1;
      if (int err = bpf_map__update_elem(map, &key, sizeof key, &one, sizeof one, 0)) {
        return Error{"eBPF: cannot fill the exec hold's names (" + std::to_string(names->size()) +
                     "): " + errno_text(err)};
      }
    }
  }
  return {};
}

Status BpfSource::set_hold_names(const BpfSourceOptions::ExecHold& next) {
  if (!exec_ || !options_.hold.enabled) return Error{"eBPF: the exec hold is not loaded"};
  // New names first, then the switches, then the names no longer wanted: an exec meanwhile
  // is held by the old set or the new one (the detector decides either way).
  const BpfSourceOptions::ExecHold prev = options_.hold;
  options_.hold.names = next.names;
  options_.hold.pnames = next.pnames;
  if (Status st = fill_hold_names(); !st.ok()) return st;
  exec_->bss->hold_by_name = !next.names_any;
  exec_->bss->hold_by_pname = !next.pnames_any;
  options_.hold.names_any = next.names_any;
  options_.hold.pnames_any = next.pnames_any;
  const std::tuple<bpf_map*, const std::vector<std::string>*, const std::vector<std::string>*>
      maps[] = {{exec_->maps.hold_names, &prev.names, &next.names},
                {exec_->maps.hold_pnames, &prev.pnames, &next.pnames}};
  for (const auto& [map, before, now] : maps) {
    for (const std::string& name : *before) {
      if (std::find(now->begin(), now->end(), name) != now->end()) continue;
      riposte_comm_key key{};
      std::memcpy(key.comm, name.data(), std::min(name.size(), sizeof key.comm - 1));
      bpf_map__delete_elem(map, &key, sizeof key, 0);
    }
  }
  return {};
}

void BpfSource::hold_alive_until(uint64_t boot_ns) {
  if (exec_ && options_.hold.enabled) exec_->bss->hold_alive_until_ns = boot_ns;
}

int BpfSource::held_map_fd() const {
  return exec_ && options_.hold.enabled ? bpf_map__fd(exec_->maps.held) : -1;
}

uint64_t BpfSource::hold_failures() const {
  return exec_ ? per_cpu_sum(exec_->maps.hold_failures) : 0;
}

BpfSource::KernelDecisionMaps BpfSource::kernel_decision_maps() const {
  if (!exec_ || !options_.hold.enabled) return {};
  return {bpf_map__fd(exec_->maps.kdec_nodes), bpf_map__fd(exec_->maps.kdec_names),
          bpf_map__fd(exec_->maps.kdec_cgroups), bpf_map__fd(exec_->maps.kdec_pending)};
}

void BpfSource::set_kernel_rule_count(uint32_t n) {
  if (exec_ && options_.hold.enabled) exec_->bss->kdec_rules = n;
}

Status BpfSource::attach_syscall() {
  if (int err = syscall_bpf__attach(syscall_.get())) {
    return Error{std::string("eBPF: cannot attach the syscall programs (") + to_string(hook_) + "): " + errno_text(err)};
  }
  return {};
}

Status BpfSource::start(RecordHandler* handler) {
  handler_ = handler;
  exec_.reset(exec_bpf__open());
  process_.reset(process_bpf__open());
  if (!exec_ || !process_) {
    return Error{"eBPF: cannot open the programs: " + errno_text(errno)};
  }
  if (int err = bpf_map__set_max_entries(exec_->maps.records, options_.ring_bytes)) {
    return Error{"eBPF: cannot size the ring buffer: " + errno_text(err)};
  }
  exec_->rodata->wakeup_bytes = options_.wakeup_bytes;
  process_->rodata->wakeup_bytes = options_.wakeup_bytes;
  process_->rodata->env_wanted = options_.env;
  const BpfSourceOptions::ExecHold& hold = options_.hold;
  exec_->rodata->hold_enabled = hold.enabled;
  exec_->bss->hold_by_name = !hold.names_any;
  exec_->bss->hold_by_pname = !hold.pnames_any;

  if (int err = exec_bpf__load(exec_.get())) return load_error("exec", err);
  if (Status st = fill_hold_names(); !st.ok()) return st;
  if (int err = share_maps(process_.get(), exec_.get()); err || (err = process_bpf__load(process_.get()))) {
    return load_error("process", err);
  }
  // kAuto: fexit first; anything that stops it (a missing kernel function, a kernel without
  // trampolines, clone rules) falls back to the tracepoint, which any BTF kernel has.
  SyscallHook hook = options_.syscall_hook;
  const bool fallback = hook == SyscallHook::kAuto;
  if (fallback) {
    hook = fexit_can_serve(options_.interest) && fexit_available() ? SyscallHook::kFexit : SyscallHook::kTracepoint;
  }
  Status loaded = load_syscall(hook);
  if (!loaded.ok() && fallback && hook == SyscallHook::kFexit) loaded = load_syscall(SyscallHook::kTracepoint);
  if (!loaded.ok()) return loaded;

  if (int err = process_bpf__attach(process_.get())) {
    return Error{"eBPF: cannot attach tp_btf/sched_process_fork/exit: " + errno_text(err)};
  }
  if (int err = exec_bpf__attach(exec_.get())) {
    return Error{"eBPF: cannot attach tp_btf/sched_process_exec: " + errno_text(err)};
  }
  Status attached = attach_syscall();
  if (!attached.ok() && fallback && hook_ == SyscallHook::kFexit) {
    if (Status st = load_syscall(SyscallHook::kTracepoint); !st.ok()) return st;
    attached = attach_syscall();
  }
  if (!attached.ok()) return attached;
  ring_.reset(ring_buffer__new(bpf_map__fd(exec_->maps.records), &BpfSource::on_record, this, nullptr));
  if (!ring_) return Error{"eBPF: cannot open the ring buffer: " + errno_text(errno)};
  return {};
}

int BpfSource::on_record(void* ctx, void* data, size_t size) {
  static_cast<BpfSource*>(ctx)->dispatch(data, size);
  return 0;
}

void BpfSource::dispatch(const void* data, size_t size) {
  ++records_;
  switch (record_kind(data, size)) {
    case RIPOSTE_REC_SYSCALL: {
      SyscallRecord rec;
      if (decode_syscall_record(data, size, &rec)) return handler_->on_syscall(rec);
      break;
    }
    case RIPOSTE_REC_EXEC:
      if (auto rec = decode_exec_record(data, size)) return handler_->on_exec(*rec);
      break;
    case RIPOSTE_REC_FORK:
      if (auto rec = decode_fork_record(data, size)) return handler_->on_fork(*rec);
      break;
    case RIPOSTE_REC_EXIT:
      if (auto rec = decode_exit_record(data, size)) return handler_->on_exit(*rec);
      break;
    case RIPOSTE_REC_ENV: {
      EnvRecord rec;
      if (decode_env_record(data, size, &rec)) return handler_->on_env(rec);
      break;
    }
  }
  ++malformed_;
}

Status BpfSource::poll(int timeout_ms) {
  if (!ring_) return Error{"eBPF: poll before start"};
  // Most records are written without a wakeup (see BpfSourceOptions::wakeup_bytes), so an
  // empty buffer is waited on for one tick at most, then read whether or not it woke us.
  int n = ring_buffer__consume(ring_.get());
  if (n == 0) {
    n = ring_buffer__poll(ring_.get(), std::min(timeout_ms, options_.tick_ms));
    if (n >= 0) n = ring_buffer__consume(ring_.get());
  }
  if (n < 0 && n != -EINTR) return Error{"eBPF: ring buffer poll failed: " + errno_text(n)};
  return {};
}

uint64_t BpfSource::kernel_drops() const { return exec_ ? per_cpu_sum(exec_->maps.drops) : 0; }

}  // namespace riposte::detector
