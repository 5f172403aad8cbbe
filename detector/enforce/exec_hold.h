// Stop a process with a Falco rule before it runs: the user-space half of the exec hold.
//
// The kernel (bpf/exec.bpf.c) stops every exec that could match an enforcing rule, by the
// names the rule allows (rules/exec_names.h), with SIGSTOP sent at sched_process_exec: the
// new program has not run one instruction. The detector evaluates the full rule on the exec
// event exactly as for an alert, then kills (SIGKILL) or resumes (SIGCONT) the process. A
// process the rule does not match always resumes.
//
// Bounded, fail-open by default: a watchdog process (forked at start) resumes whatever is
// held longer than the deadline, and everything held when the detector dies; the kernel
// holds nothing once the detector stops pushing its alive deadline. With kill_on_timeout
// (fail-closed) the watchdog kills instead.
//
// Who decides is whoever deletes the process's entry in the held map first (release_held):
// the detector's decision and the watchdog's deadline never both act on one process.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/result.h"
#include "detector/event/event.h"
#include "detector/rules/ruleset.h"
#include "detector/sensor/bpf_source.h"
#include "detector/sensor/exec_record.h"

namespace riposte::detector {

struct HoldPlan {
  std::vector<const rules::CompiledRule*> rules;  // the enforcing rules, in load order
  BpfSourceOptions::ExecHold kernel;              // what the kernel holds
};

// The plan for enforcing `names` (rule names) of `ruleset`; an error names a rule that does
// not exist, is disabled, or cannot match an exec.
Result<HoldPlan> plan_exec_hold(const rules::Ruleset& ruleset,
                                const std::vector<std::string>& names);

struct HoldOptions {
  std::chrono::milliseconds deadline{50};  // longest a process stays held undecided
  bool kill_on_timeout = false;            // fail-closed: kill what was not decided in time
  // Guardrails: a match is killed only in a container whose pod's namespace matches one of
  // these globs (empty: any namespace), and on the host only when include_host is set. Out
  // of scope, a match is resumed (and counted).
  std::vector<std::string> namespaces;
  bool include_host = false;
};

// Deletes pid's entry from the held map if it is the process that started at start_boot_ns,
// then sends it sig. False when it was not held (decided already, or another process).
// *held_at_ns (if given): when the kernel held it (CLOCK_BOOTTIME).
bool release_held(int held_fd, uint32_t pid, uint64_t start_boot_ns, int sig,
                  uint64_t* held_at_ns = nullptr);

class ExecHold {
 public:
  ExecHold(HoldPlan plan, HoldOptions options, Registry* registry);
  ~ExecHold();  // resumes what is still held, ends the watchdog
  ExecHold(const ExecHold&) = delete;
  ExecHold& operator=(const ExecHold&) = delete;

  // After BpfSource::start(): forks the watchdog on the held map.
  Status start(int held_fd);
  const std::vector<const rules::CompiledRule*>& rules() const { return plan_.rules; }
  const HoldOptions& options() const { return options_; }

  // The exec event was evaluated; `by` is the enforcing rule that matched it, or null. A held
  // process is killed (by) or resumed (!by). One that was not held (a job-control parent
  // would have seen the stop, or the deadline passed) is killed as it runs when `by`, if it
  // is still the same process.
  void decide(const ExecRecord& rec, const rules::CompiledRule* by);
  // Whether a match in this process may be killed (the guardrails of HoldOptions).
  bool in_scope(const ProcessInfo& proc) const;
  // A match out of scope: counted; the caller resumes it (decide with no rule).
  void count_out_of_scope() { out_of_scope_->inc(); }

  // Processes the watchdog released at the deadline or at the detector's death.
  uint64_t expired() const;
  pid_t watchdog_pid() const { return watchdog_; }

 private:
  struct Shared {
    std::atomic<uint64_t> expired{0};
  };

  HoldPlan plan_;
  HoldOptions options_;
  int held_fd_ = -1;
  pid_t watchdog_ = -1;
  Shared* shared_ = nullptr;  // mmap(MAP_SHARED): written by the watchdog
  Counter* killed_;
  Counter* resumed_;
  void kill_running(const ExecRecord& rec, const rules::CompiledRule& by, Counter* outcome);

  Histogram* held_for_;
  Counter* killed_late_;
  Counter* killed_unheld_;
  Counter* out_of_scope_;
  Counter* missed_;
};

}  // namespace riposte::detector
