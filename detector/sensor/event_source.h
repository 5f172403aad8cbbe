// The detector's boundary with the kernel: something that yields exec records. The real one
// is eBPF (bpf_exec_source.h); tests feed records directly.
#pragma once

#include <cstdint>
#include <functional>

#include "common/result.h"
#include "detector/sensor/exec_record.h"

namespace riposte::detector {

class EventSource {
 public:
  using ExecHandler = std::function<void(const ExecRecord&)>;
  virtual ~EventSource() = default;
  // Loads and attaches; after this, records are buffered until poll() drains them.
  virtual Status start(ExecHandler on_exec) = 0;
  // Delivers buffered records to the handler; waits up to timeout_ms when there are none.
  virtual Status poll(int timeout_ms) = 0;
  // Records the kernel side could not queue (ring buffer full).
  virtual uint64_t kernel_drops() const = 0;
};

}  // namespace riposte::detector
