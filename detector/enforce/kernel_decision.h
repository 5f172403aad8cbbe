// The in-kernel decision of the exec hold: enforcing rules the kernel can decide exactly on
// its own (rules/kernel_program.h) are killed by the exec program with bpf_send_signal(SIGKILL)
// at sched_process_exec, with no round trip to the detector. Every other enforcing rule, and
// every exec of a kernel rule the kernel is not sure of, takes the hold path (exec_hold.h).
//
// The guardrails in the kernel: a kill needs the exec's cgroup classified by the detector,
// per kernel rule: in scope of one of the rule's --enforce enforcers (inside a container;
// --enforce-host; --enforce-namespace by the pod's namespace), which is what ExecHold's
// in_scope says for a process there. The kernel cannot know a namespace or a pod, so the
// detector pushes the classification of each cgroup it has seen an exec of (bpf map by the
// cgroup ids); an unclassified cgroup is unknown to the kernel, and the first exec of a kernel
// rule there takes the hold path, which classifies it. Playbook enforcers (their match is
// checked on the alert) and dry runs give the kernel nothing: they stay on the hold path.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/result.h"
#include "detector/enforce/exec_hold.h"
#include "detector/sensor/bpf_source.h"
#include "detector/sensor/exec_record.h"

namespace riposte::detector {

class KernelDecision {
 public:
  using Maps = BpfSource::KernelDecisionMaps;
  // maps: the exec program's; set_rule_count: how many rules it evaluates (the switch).
  KernelDecision(Maps maps, std::function<void(uint32_t)> set_rule_count, Registry* registry);

  // Why an enforcing rule takes the hold path, naming the field when it is the condition;
  // "" when the kernel decides it.
  static std::string hold_reason(const EnforcedRule& rule);

  // Installs the plan's kernel rules (at most RIPOSTE_KDEC_RULES, in plan order): the kernel
  // stops deciding, the maps and the classification are rewritten, then it decides again.
  Status install(const HoldPlan& plan);
  // After the detector evaluated an exec the kernel held or left alone although a kernel rule
  // held for it (its cgroup unclassified or out of scope): classifies that cgroup for `proc`.
  void classify(const ExecRecord& rec, const ProcessInfo& proc, const ExecHold& hold);
  // The rules the kernel decides now.
  const std::vector<std::string>& rule_names() const { return names_; }

 private:
  Maps maps_;
  std::function<void(uint32_t)> set_rule_count_;
  std::vector<std::vector<Enforcer>> enforcers_;  // per kernel rule: the ones it may kill for
  std::vector<std::string> names_;
  uint32_t generation_ = 0;  // of the installed program (bank = its low bit)
  Counter* classified_;
};

}  // namespace riposte::detector
