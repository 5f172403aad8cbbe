// Whether the kernel can decide a rule on its own at exec, exactly: the in-kernel decision of
// the exec hold (bpf/exec.bpf.c). A rule qualifies when every check of its compiled condition,
// for the exec event riposte makes, is one the exec program evaluates with the values the
// detector would use: proc.name (the comm), proc.pname (the parent's name at its last exec),
// proc.tty, container.id against "host" (the cgroup as the detector classified it), with
// =, !=, in and exists, under and/or/not; evt.type, evt.dir and evt.num's invariant fold to
// constants. Anything else, and the rule takes the hold path (the detector decides).
//
// The kernel evaluates the program in three-valued logic (a fact it is not sure of, such as a
// parent it did not see exec, is unknown) and kills only when the condition is true whatever
// the unknowns are; so a process the rule does not match is never killed there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace riposte::detector::rules {

struct KernelNode {
  enum Kind : uint8_t {
    kAnd,
    kOr,
    kNot,
    kTrue,
    kFalse,
    kNameIn,
    kPnameIn,
    kPnameExists,
    kTtyEq,
    kInContainer
  };
  Kind kind = kTrue;
  std::vector<uint32_t> kids;      // operand indices (always larger than this node's)
  std::vector<std::string> names;  // kNameIn, kPnameIn: as the kernel keeps them (<= 15 bytes)
  uint32_t tty = 0;                // kTtyEq
};

struct KernelProgram {
  // Empty when the kernel cannot decide the rule; why_not then says why, naming the field.
  std::vector<KernelNode> nodes;  // nodes[0] is the condition
  std::string why_not;
  bool decidable() const { return why_not.empty(); }
};

// Most nodes one rule may have in the kernel (RIPOSTE_KDEC_NODES).
inline constexpr size_t kKernelNodesMax = 32;

// What the exec program knows at an exec.
struct KernelFacts {
  std::string comm;
  std::optional<std::string> parent;  // the parent's name, when the kernel saw it exec
  uint32_t tty = 0;
  std::optional<bool> in_container;  // when the detector classified the cgroup
};
enum class KernelTri : uint8_t { kFalse, kTrue, kUnknown };

// The program's value as the exec program computes it (bpf/exec.bpf.c, kdec_step), node by
// node from the last, in Kleene's logic. The kernel kills on kTrue only.
KernelTri evaluate(const KernelProgram& p, const KernelFacts& f);

}  // namespace riposte::detector::rules
