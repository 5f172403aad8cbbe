#include "detector/enforce/kernel_decision.h"

#include <bpf/bpf.h>

#include <cstring>

#include "common/log.h"

extern "C" {
#include "bpf/events.h"
}

namespace riposte::detector {
namespace {

constexpr uint32_t kBankSize = RIPOSTE_KDEC_RULES * RIPOSTE_KDEC_NODES;

uint32_t kind_of(rules::KernelNode::Kind k) {
  using K = rules::KernelNode;
  switch (k) {
    case K::kAnd:
      return RIPOSTE_KDEC_AND;
    case K::kOr:
      return RIPOSTE_KDEC_OR;
    case K::kNot:
      return RIPOSTE_KDEC_NOT;
    case K::kTrue:
      return RIPOSTE_KDEC_TRUE;
    case K::kFalse:
      return RIPOSTE_KDEC_FALSE;
    case K::kNameIn:
      return RIPOSTE_KDEC_NAME_IN;
    case K::kPnameIn:
      return RIPOSTE_KDEC_PNAME_IN;
    case K::kPnameExists:
      return RIPOSTE_KDEC_PNAME_EXISTS;
    case K::kTtyEq:
      return RIPOSTE_KDEC_TTY_EQ;
    case K::kInContainer:
      return RIPOSTE_KDEC_IN_CONTAINER;
  }
  return RIPOSTE_KDEC_UNUSED;
}

// The enforcers a kernel kill may stand for: they need no alert and are not dry runs.
std::vector<Enforcer> kernel_enforcers(const EnforcedRule& rule) {
  std::vector<Enforcer> out;
  for (const Enforcer& by : rule.by)
    if (!by.match && !by.dry_run) out.push_back(by);
  return out;
}

}  // namespace

KernelDecision::KernelDecision(Maps maps, std::function<void(uint32_t)> set_rule_count,
                               Registry* registry)
    : maps_(maps),
      set_rule_count_(std::move(set_rule_count)),
      classified_(&registry->counter(
          "riposte_detector_kernel_decision_cgroups_classified_total",
          "Cgroups the detector classified for the in-kernel decision (container or host, "
          "in whose guardrails)")) {}

std::string KernelDecision::hold_reason(const EnforcedRule& rule) {
  const rules::KernelProgram p = rule.rule->filter.kernel_program();
  if (!p.decidable()) return p.why_not;
  if (kernel_enforcers(rule).empty())
    return "enforced only by playbooks (their match is checked on the alert) or dry runs";
  return "";
}

Status KernelDecision::install(const HoldPlan& plan) {
  if (maps_.nodes < 0) return Error{"kernel decision: the exec hold is not loaded"};
  ++generation_;
  const uint32_t gen = generation_ & 0xff;
  const uint32_t bank = generation_ & 1;
  std::vector<std::vector<Enforcer>> enforcers;
  std::vector<std::string> names;
  std::vector<riposte_kdec_node> nodes(kBankSize);
  uint32_t sets = 0;
  for (const EnforcedRule& rule : plan.rules) {
    if (enforcers.size() == RIPOSTE_KDEC_RULES) break;  // the rest: the hold path
    if (!hold_reason(rule).empty()) continue;
    const rules::KernelProgram p = rule.rule->filter.kernel_program();
    const size_t base = enforcers.size() * RIPOSTE_KDEC_NODES;
    for (size_t i = 0; i < p.nodes.size(); ++i) {
      const rules::KernelNode& n = p.nodes[i];
      riposte_kdec_node& k = nodes[base + i];
      k.kind = kind_of(n.kind);
      for (uint32_t kid : n.kids) k.kids |= uint64_t{1} << kid;
      if (n.kind == rules::KernelNode::kTtyEq) k.arg = n.tty;
      if (n.kind == rules::KernelNode::kNameIn || n.kind == rules::KernelNode::kPnameIn) {
        k.arg = gen << 16 | sets++;
        for (const std::string& name : n.names) {
          riposte_kdec_name_key key{};
          key.set = k.arg;
          std::memcpy(key.comm, name.data(), name.size());  // <= 15 bytes
          const uint8_t one = 1;
          if (bpf_map_update_elem(maps_.names, &key, &one, BPF_ANY) != 0) {
            return Error{"kernel decision: cannot fill the name sets: " +
                         std::string(std::strerror(errno))};
          }
        }
      }
    }
    enforcers.push_back(kernel_enforcers(rule));
    names.push_back(rule.rule->name);
  }
  for (uint32_t i = 0; i < kBankSize; ++i) {
    const uint32_t key = bank * kBankSize + i;
    if (bpf_map_update_elem(maps_.nodes, &key, &nodes[i], BPF_ANY) != 0)
      return Error{"kernel decision: cannot write the program: " +
                   std::string(std::strerror(errno))};
  }
  // The switch: from here the kernel runs the new bank, and every classification of an older
  // generation is unknown to it.
  set_rule_count_(static_cast<uint32_t>(enforcers.size()) | bank << 8 | gen << 16);
  enforcers_ = std::move(enforcers);
  names_ = std::move(names);
  // Names of two generations ago: no program in flight can still read them.
  riposte_kdec_name_key key{}, next{};
  std::vector<riposte_kdec_name_key> stale;
  const void* prev = nullptr;
  while (bpf_map_get_next_key(maps_.names, prev, &next) == 0) {
    const uint32_t g = next.set >> 16;
    if (g != gen && g != ((gen + 0xff) & 0xff)) stale.push_back(next);
    key = next;
    prev = &key;
  }
  for (const auto& k : stale) bpf_map_delete_elem(maps_.names, &k);
  // Classifications of older generations are unknown to the kernel already; dropping them
  // keeps a generation number that wrapped around from reviving one.
  std::vector<riposte_kdec_cgroup_key> old;
  riposte_kdec_cgroup_key ck{}, cnext{};
  prev = nullptr;
  while (bpf_map_get_next_key(maps_.cgroups, prev, &cnext) == 0) {
    old.push_back(cnext);
    ck = cnext;
    prev = &ck;
  }
  for (const auto& k : old) bpf_map_delete_elem(maps_.cgroups, &k);
  return {};
}

void KernelDecision::classify(const ExecRecord& rec, const ProcessInfo& proc,
                              const ExecHold& hold) {
  if (enforcers_.empty()) return;
  const uint32_t pid = rec.pid;
  riposte_kdec_pending pending{};
  if (bpf_map_lookup_elem(maps_.pending, &pid, &pending) != 0) return;
  bpf_map_delete_elem(maps_.pending, &pid);
  if (pending.start_boot_ns != rec.start_boot_ns) return;  // another process's
  uint32_t value = (generation_ & 0xff) << 16;
  if (proc.container != nullptr) value |= RIPOSTE_KDEC_CGROUP_IN_CONTAINER;
  for (size_t r = 0; r < enforcers_.size(); ++r) {
    for (const Enforcer& by : enforcers_[r]) {
      if (hold.in_scope(by, proc, Alert{})) {
        value |= 1u << r;
        break;
      }
    }
  }
  if (bpf_map_update_elem(maps_.cgroups, &pending.cgroup, &value, BPF_ANY) == 0) {
    classified_->inc();
    log::debug("cgroup classified for the in-kernel decision",
               {{"pid", rec.pid},
                {"container", proc.container != nullptr ? proc.container->id : "host"},
                {"rules_in_scope", static_cast<uint64_t>(value & 0xff)}});
  }
}

}  // namespace riposte::detector
