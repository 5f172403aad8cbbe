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
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/alert.h"
#include "common/metrics.h"
#include "common/result.h"
#include "detector/event/event.h"
#include "detector/rules/ruleset.h"
#include "detector/sensor/bpf_source.h"
#include "detector/sensor/exec_record.h"
#include "responder/playbook/match.h"

namespace riposte::detector {

// Who enforces a rule, and within which bounds (the guardrails). A match is killed when one
// enforcer that is not a dry run has it in scope.
struct Enforcer {
  std::string source;  // "--enforce", or "playbook NAME (file:line:col)"
  // A playbook's match, checked on the alert the exec raises; none for --enforce.
  std::optional<playbook::Match> match;
  std::vector<std::string> namespaces;  // --enforce-namespace globs; empty: any
  std::string confined_to;              // a Playbook object's namespace: only its pods
  bool host = false;                    // also processes outside containers
  bool dry_run = false;                 // count, resume
  bool protect = false;                 // HoldOptions::protected_namespaces apply
};

struct EnforcedRule {
  const rules::CompiledRule* rule = nullptr;
  std::vector<Enforcer> by;
};

struct HoldPlan {
  std::vector<EnforcedRule> rules;    // the enforcing rules, in load order
  BpfSourceOptions::ExecHold kernel;  // what the kernel holds
};

// The plan for enforcing `names` (rule names) of `ruleset` with --enforce's guardrails; an
// error names a rule that does not exist, is disabled, or cannot match an exec.
Result<HoldPlan> plan_exec_hold(const rules::Ruleset& ruleset,
                                const std::vector<std::string>& names,
                                const std::vector<std::string>& namespaces = {},
                                bool include_host = false);
// Adds `by` as an enforcer of `rule` (a rule already in the plan gets one more) and widens
// the kernel's names to the rule's; `rule` must be able to match an exec.
void add_enforcer(HoldPlan* plan, const rules::CompiledRule* rule, Enforcer by);

struct HoldOptions {
  std::chrono::milliseconds deadline{50};  // longest a process stays held undecided
  bool kill_on_timeout = false;            // fail-closed: kill what was not decided in time
  // Pods of these namespaces are never killed by an enforcer with `protect` (playbooks).
  std::set<std::string> protected_namespaces;
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

  // After BpfSource::start(): forks the watchdog on the held map (even with no rule yet:
  // playbooks may add some later).
  Status start(int held_fd);
  const std::vector<EnforcedRule>& rules() const { return plan_.rules; }
  const HoldPlan& plan() const { return plan_; }
  const HoldOptions& options() const { return options_; }
  // A new set of enforcing rules (playbooks changed); the caller updates the kernel's names.
  void replace(HoldPlan plan) { plan_ = std::move(plan); }

  // The exec event was evaluated; `by` is the enforcing rule that matched it, or null. A held
  // process is killed (by) or resumed (!by). One that was not held (a job-control parent
  // would have seen the stop, or the deadline passed) is killed as it runs when `by`, if it
  // is still the same process. One the kernel killed on its own (kernel_decision.h) is only
  // counted: killed_in_kernel when `by` agrees, killed_in_kernel_unmatched (an error: the
  // kernel's decision was not exact) when not.
  void decide(const ExecRecord& rec, const rules::CompiledRule* by);
  // Whether a match of `rule` in this process, which raises `alert`, is to be killed: one of
  // its enforcers has it in scope and is not a dry run. Otherwise counted (dry run or out of
  // scope) and the caller resumes it (decide with no rule).
  bool should_kill(const EnforcedRule& rule, const ProcessInfo& proc, const Alert& alert);
  // Whether should_kill reads the alert (a playbook's match); --enforce's guardrails do not.
  static bool needs_alert(const EnforcedRule& rule);
  // Whether an enforcer's guardrails let it kill this process.
  bool in_scope(const Enforcer& by, const ProcessInfo& proc, const Alert& alert) const;

  // A process exited (its exit record): for an exec killed at exec, from the exec to its
  // death goes to riposte_detector_exec_kill_seconds{path=kernel|hold}.
  void exited(uint32_t pid, uint64_t boot_ns);

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
  Counter* dry_run_;
  Counter* missed_;
  Counter* killed_in_kernel_;
  Counter* killed_in_kernel_unmatched_;
  // Killed at exec, not yet exited: pid -> (exec time, by the kernel).
  std::unordered_map<uint32_t, std::pair<uint64_t, bool>> dying_;
  Histogram* exec_to_death_kernel_;
  Histogram* exec_to_death_hold_;
};

}  // namespace riposte::detector
