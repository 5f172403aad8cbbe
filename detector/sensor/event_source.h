// The detector's boundary with the kernel: something that yields process and syscall
// records. The real one is eBPF (bpf_source.h); tests feed records directly.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "detector/sensor/exec_record.h"
#include "detector/sensor/syscall_record.h"

namespace riposte::detector {

// Receives records in kernel order, on the thread that calls EventSource::poll().
class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  virtual void on_exec(const ExecRecord& rec) = 0;
  virtual void on_fork(const ForkRecord& rec) = 0;
  virtual void on_exit(const ExitRecord& rec) = 0;
  // rec's strings are valid only during the call.
  virtual void on_syscall(const SyscallRecord& rec) = 0;
  // The environment of the exec record that follows for rec.pid (only when asked for:
  // BpfSourceOptions::env); its view is valid only during the call.
  virtual void on_env(const EnvRecord& /*rec*/) {}
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Loads and attaches; after this, records are buffered until poll() drains them.
  virtual Status start(RecordHandler* handler) = 0;
  // Delivers buffered records to the handler; waits up to timeout_ms when there are none.
  virtual Status poll(int timeout_ms) = 0;
  // Records the kernel side could not queue (ring buffer full).
  virtual uint64_t kernel_drops() const = 0;
  // Records delivered, and records that could not be decoded (version skew: should be 0).
  virtual uint64_t records() const = 0;
  virtual uint64_t malformed() const = 0;
};

}  // namespace riposte::detector
