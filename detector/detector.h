// The detector's event path: kernel record -> process, fd and container state -> Event ->
// rules -> alert sink. Single-threaded by design (the ring buffer poll thread), so state
// needs no locks; only the sink (a bounded queue in front of the publisher) and the pod
// cache cross threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/metrics.h"
#include "detector/enforce/exec_hold.h"
#include "detector/enforce/kernel_decision.h"
#include "detector/enricher.h"
#include "detector/event/syscall_events.h"
#include "detector/output/alert_sink.h"
#include "detector/rules/ruleset.h"
#include "detector/sensor/event_source.h"
#include "detector/state/process_table.h"

namespace riposte::detector {

class Detector final : public RecordHandler {
 public:
  // boot_to_wall_ns: CLOCK_REALTIME - CLOCK_BOOTTIME, turns record times into wall time.
  Detector(const rules::Ruleset* rules, ProcessEnricher* enricher, ProcessTable* procs,
           const ProcReader* reader, AlertSink* sink, Registry* registry, std::string hostname,
           int64_t boot_to_wall_ns);

  void on_exec(const ExecRecord& rec) override;
  void on_fork(const ForkRecord& rec) override;
  void on_exit(const ExitRecord& rec) override;
  void on_syscall(const SyscallRecord& rec) override;
  void on_env(const EnvRecord& rec) override;

  uint64_t events() const { return num_; }
  // Held execs (enforce/exec_hold.h) are decided here, right after their evaluation and
  // before their alerts are made; null: no hold.
  void set_exec_hold(ExecHold* hold) { hold_ = hold; }
  // The rules in force from the next event on (rules_reload.h); on the event thread, between
  // polls. The old set must outlive alerts in flight (the reloader keeps every set).
  void set_rules(const rules::Ruleset* rules) { rules_ = rules; }
  // The in-kernel decision: the cgroups of execs it left to the hold are classified for it.
  void set_kernel_decision(KernelDecision* kd) { kernel_decision_ = kd; }

 private:
  void evaluate(const Event& ev);
  void emit(const Event& ev);
  // The enforcing rule that matches the exec event (among matches_, or asked directly when
  // the rule matching mode stopped at another rule), or null.
  const EnforcedRule* enforcing_match(const Event& ev) const;
  // The alert the enforcing rule raises for ev: what a playbook's match is checked on.
  Alert enforced_alert(const EnforcedRule& by, const Event& ev) const;
  void count(EventType type);
  uint64_t wall(uint64_t boot_ns) const {
    return static_cast<uint64_t>(static_cast<int64_t>(boot_ns) + boot_to_wall_ns_);
  }

  const rules::Ruleset* rules_;
  ProcessEnricher* enricher_;
  ProcessTable* procs_;
  AlertSink* sink_;
  Registry* registry_;
  std::string hostname_;
  int64_t boot_to_wall_ns_;
  SyscallEvents syscalls_;
  uint64_t num_ = 0;
  Event ev_;                                          // reused for every syscall event
  std::vector<const rules::CompiledRule*> matches_;  // reused: no allocation per event
  std::array<Counter*, static_cast<size_t>(EventType::kCount)> by_type_{};
  Counter* unknown_process_;
  Counter* emit_failures_;
  ExecHold* hold_ = nullptr;
  // Environments of execs whose record has not come yet, by pid (the env record comes just
  // before; records of other CPUs may come between). Bounded: an exec record the ring buffer
  // dropped leaves its environment here until the map is full.
  std::unordered_map<uint32_t, std::vector<std::string>> pending_env_;
  KernelDecision* kernel_decision_ = nullptr;
};

}  // namespace riposte::detector
