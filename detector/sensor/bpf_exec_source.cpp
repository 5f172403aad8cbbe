#include "detector/sensor/bpf_exec_source.h"

#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "exec.skel.h"

namespace riposte::detector {
namespace {

uint32_t round_ring_size(uint32_t bytes) {
  const uint32_t page = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
  uint32_t size = page;
  while (size < bytes && size < (1u << 30)) size <<= 1;
  return size;
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

}  // namespace

BpfExecSource::BpfExecSource(uint32_t ring_bytes) : ring_bytes_(round_ring_size(ring_bytes)) {}

BpfExecSource::~BpfExecSource() {
  ring_buffer__free(ring_);
  exec_bpf__destroy(skel_);  // detaches, then unloads
}

Status BpfExecSource::start(ExecHandler on_exec) {
  on_exec_ = std::move(on_exec);
  skel_ = exec_bpf__open();
  if (!skel_) return Error{"eBPF: cannot open the exec program: " + errno_text(errno)};
  if (int err = bpf_map__set_max_entries(skel_->maps.records, ring_bytes_); err) {
    return Error{"eBPF: cannot size the ring buffer: " + errno_text(err)};
  }
  if (int err = exec_bpf__load(skel_); err) {
    return Error{"eBPF: cannot load the exec program (needs root, BTF at "
                 "/sys/kernel/btf/vmlinux and tp_btf support): " +
                 errno_text(err)};
  }
  if (int err = exec_bpf__attach(skel_); err) {
    return Error{"eBPF: cannot attach tp_btf/sched_process_exec: " + errno_text(err)};
  }
  ring_ = ring_buffer__new(bpf_map__fd(skel_->maps.records), &BpfExecSource::on_record, this,
                           nullptr);
  if (!ring_) return Error{"eBPF: cannot open the ring buffer: " + errno_text(errno)};
  return {};
}

int BpfExecSource::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<BpfExecSource*>(ctx);
  if (auto rec = decode_exec_record(data, size)) self->on_exec_(*rec);
  return 0;
}

Status BpfExecSource::poll(int timeout_ms) {
  int n = ring_buffer__poll(ring_, timeout_ms);
  if (n < 0 && n != -EINTR) return Error{"eBPF: ring buffer poll failed: " + errno_text(n)};
  return {};
}

uint64_t BpfExecSource::kernel_drops() const {
  if (!skel_) return 0;
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu));
  uint32_t key = 0;
  if (bpf_map__lookup_elem(skel_->maps.drops, &key, sizeof key, per_cpu.data(),
                           per_cpu.size() * sizeof(uint64_t), 0) != 0) {
    return 0;
  }
  uint64_t total = 0;
  for (uint64_t v : per_cpu) total += v;
  return total;
}

}  // namespace riposte::detector
