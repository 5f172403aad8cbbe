// EventSource backed by bpf/exec.bpf.c: open -> size the ring buffer -> load -> attach ->
// poll; torn down in reverse by the destructor.
#pragma once

#include <memory>

#include "detector/sensor/event_source.h"

struct exec_bpf;
struct ring_buffer;

namespace riposte::detector {

class BpfExecSource final : public EventSource {
 public:
  // ring_bytes: ring buffer size, rounded up to a power of two of at least one page.
  explicit BpfExecSource(uint32_t ring_bytes = 4u << 20);
  ~BpfExecSource() override;
  BpfExecSource(const BpfExecSource&) = delete;
  BpfExecSource& operator=(const BpfExecSource&) = delete;

  Status start(ExecHandler on_exec) override;
  Status poll(int timeout_ms) override;
  uint64_t kernel_drops() const override;

 private:
  static int on_record(void* ctx, void* data, size_t size);

  uint32_t ring_bytes_;
  ExecHandler on_exec_;
  exec_bpf* skel_ = nullptr;
  ring_buffer* ring_ = nullptr;
};

}  // namespace riposte::detector
