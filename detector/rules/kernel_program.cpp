#include "detector/rules/kernel_program.h"

#include <algorithm>

#include "detector/rules/check.h"
#include "detector/rules/necessary_set.h"

namespace riposte::detector::rules {
using namespace detail;
namespace {

constexpr size_t kCommMax = 15;  // TASK_COMM_LEN - 1

// Converts the compiled program (prefix order) into kernel nodes (prefix order too), or says
// which check the kernel cannot evaluate.
class KernelCompiler {
 public:
  explicit KernelCompiler(const Program& p) : p_(p) {}

  KernelProgram run() {
    KernelProgram out;
    if (p_.nodes.empty()) {
      out.nodes.push_back({KernelNode::kTrue});
    } else {
      node(0);
      out.nodes = std::move(nodes_);
    }
    if (why_.empty() && out.nodes.size() > kKernelNodesMax) {
      why_ = "the condition has " + std::to_string(out.nodes.size()) +
             " kernel nodes, more than the " + std::to_string(kKernelNodesMax) + " it may have";
    }
    if (!why_.empty()) {
      out.nodes.clear();
      out.why_not = why_;
    }
    return out;
  }

 private:
  uint32_t add(KernelNode n) {
    nodes_.push_back(std::move(n));
    return static_cast<uint32_t>(nodes_.size() - 1);
  }

  // Appends the subtree of program node i; returns its index.
  uint32_t node(size_t i) {
    const Program::Node& n = p_.nodes[i];
    switch (n.kind) {
      case Program::kTrue:
        return add({KernelNode::kTrue});
      case Program::kFalse:
        return add({KernelNode::kFalse});
      case Program::kCheck:
        return check(*n.check);
      case Program::kNot: {
        const uint32_t self = add({KernelNode::kNot});
        const uint32_t kid = node(i + 1);
        nodes_[self].kids = {kid};
        return self;
      }
      case Program::kAnd:
      case Program::kOr: {
        const uint32_t self = add({n.kind == Program::kAnd ? KernelNode::kAnd : KernelNode::kOr});
        std::vector<uint32_t> kids;
        for (size_t k = 0, j = i + 1; k < n.nkids; ++k, j += p_.nodes[j].size)
          kids.push_back(node(j));
        nodes_[self].kids = std::move(kids);
        return self;
      }
    }
    return refuse("a node the kernel program does not know");
  }

  uint32_t refuse(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    return add({KernelNode::kFalse});  // never installed: the rule takes the hold path
  }

  // `leaf`, negated when the check is a `!=`.
  uint32_t maybe_not(bool negate, KernelNode leaf) {
    if (!negate) return add(std::move(leaf));
    const uint32_t self = add({KernelNode::kNot});
    const uint32_t kid = add(std::move(leaf));
    nodes_[self].kids = {kid};
    return self;
  }

  uint32_t check(const Check& c) {
    const Tri folded = fold_for_exec(c);
    if (folded != Tri::kUnknown)
      return add({folded == Tri::kTrue ? KernelNode::kTrue : KernelNode::kFalse});
    const std::string& f = c.field.name;
    const std::string what = "`" + c.text + "`: ";
    if (f != "proc.name" && f != "proc.pname" && f != "proc.tty" && f != "container.id")
      return refuse(what + "field " + f + " is not known to the kernel at exec");
    if (c.tree || c.rhs_tree || c.rhs_is_field || !c.xforms.empty())
      return refuse(what + "field " + f + " with a transformer or compared with another field");
    if (c.op == Op::kExists) {
      // proc.name, proc.tty and container.id exist for every exec; the parent only when the
      // kernel saw it exec (otherwise unknown).
      return add({f == "proc.pname" ? KernelNode::kPnameExists : KernelNode::kTrue});
    }
    const bool eq = c.op == Op::kEq || c.op == Op::kIn;
    if (!eq && c.op != Op::kNe)
      return refuse(what + "field " + f + ": only =, != and in are decided in the kernel");
    if (f == "container.id") {
      if (c.strs.size() != 1 || c.strs[0] != "host")
        return refuse(what + "field container.id: only compared with host in the kernel");
      return maybe_not(eq, {KernelNode::kInContainer});  // = host: not in a container
    }
    if (f == "proc.tty") {
      if (c.nums.size() != 1) return refuse(what + "field proc.tty: only one value in the kernel");
      if (c.nums[0] < 0 || c.nums[0] > UINT32_MAX) return maybe_not(!eq, {KernelNode::kFalse});
      KernelNode leaf{KernelNode::kTtyEq};
      leaf.tty = static_cast<uint32_t>(c.nums[0]);
      return maybe_not(!eq, std::move(leaf));
    }
    KernelNode leaf{f == "proc.name" ? KernelNode::kNameIn : KernelNode::kPnameIn};
    for (const std::string& s : c.strs) {
      // A comm is at most 15 bytes with no NUL: a longer value never equals one.
      if (s.size() <= kCommMax && s.find('\0') == std::string::npos) leaf.names.push_back(s);
    }
    return maybe_not(!eq, std::move(leaf));
  }

  const Program& p_;
  std::vector<KernelNode> nodes_;
  std::string why_;
};

}  // namespace

KernelTri evaluate(const KernelProgram& p, const KernelFacts& f) {
  using T = KernelTri;
  std::vector<T> v(p.nodes.size(), T::kUnknown);
  auto in = [](const std::vector<std::string>& names, const std::string& s) {
    return std::find(names.begin(), names.end(), s) != names.end() ? T::kTrue : T::kFalse;
  };
  for (size_t i = p.nodes.size(); i-- > 0;) {
    const KernelNode& n = p.nodes[i];
    bool any_t = false, any_f = false, all_t = true, all_f = true;
    for (uint32_t k : n.kids) {
      any_t |= v[k] == T::kTrue;
      any_f |= v[k] == T::kFalse;
      all_t &= v[k] == T::kTrue;
      all_f &= v[k] == T::kFalse;
    }
    switch (n.kind) {
      case KernelNode::kAnd:
        v[i] = any_f ? T::kFalse : all_t ? T::kTrue : T::kUnknown;
        break;
      case KernelNode::kOr:
        v[i] = any_t ? T::kTrue : all_f ? T::kFalse : T::kUnknown;
        break;
      case KernelNode::kNot:
        v[i] = any_t ? T::kFalse : any_f ? T::kTrue : T::kUnknown;
        break;
      case KernelNode::kTrue:
        v[i] = T::kTrue;
        break;
      case KernelNode::kFalse:
        v[i] = T::kFalse;
        break;
      case KernelNode::kNameIn:
        v[i] = in(n.names, f.comm.substr(0, kCommMax));
        break;
      case KernelNode::kPnameIn:
        v[i] = f.parent ? in(n.names, f.parent->substr(0, kCommMax)) : T::kUnknown;
        break;
      case KernelNode::kPnameExists:
        v[i] = f.parent ? T::kTrue : T::kUnknown;
        break;
      case KernelNode::kTtyEq:
        v[i] = f.tty == n.tty ? T::kTrue : T::kFalse;
        break;
      case KernelNode::kInContainer:
        v[i] = !f.in_container ? T::kUnknown : *f.in_container ? T::kTrue : T::kFalse;
        break;
    }
  }
  return v.empty() ? T::kUnknown : v[0];
}

KernelProgram Filter::kernel_program() const {
  if (!prog_) {
    KernelProgram none;
    none.why_not = "the rule did not compile";
    return none;
  }
  if (!types_.contains(EventType::kExecve)) {
    KernelProgram none;
    none.why_not = "the rule cannot match an exec";
    return none;
  }
  return KernelCompiler(*prog_).run();
}

}  // namespace riposte::detector::rules
