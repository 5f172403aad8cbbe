// Necessary-condition analysis over a compiled condition: a set S such that whenever the
// condition holds, the event's value of one field lies in S. What the kernel-side filters are
// built from (open_paths.cpp: paths an open must have; exec_names.cpp: names an exec must
// have to be held). A set is never too small; it may be too large (then the kernel passes an
// event the rules reject, which costs time, never a missed match).
//
// Set must provide: static any(), static none(), is_any(), add(const Set&) (union) and
// weight() (for picking the narrowest operand of an `and`; any is the widest).
#pragma once

#include <cstddef>
#include <cstdint>

#include "detector/rules/check.h"

namespace riposte::detector::rules::detail {

// A check's value for every event of the class analysed, where that is decided without the
// event (e.g. the event type): kTrue/kFalse; else kUnknown.
enum class Tri : uint8_t { kFalse, kTrue, kUnknown };

inline Tri negate(Tri t) {
  return t == Tri::kUnknown ? t : (t == Tri::kTrue ? Tri::kFalse : Tri::kTrue);
}

// evt.type =/!=/in constants, against the event types of the class analysed.
inline Tri fold_event_type(const Check& c, const EventTypeSet& of_class) {
  if (!c.type_fast) return Tri::kUnknown;
  EventTypeSet in = c.type_set;
  in &= of_class;
  const bool eq = c.op != Op::kNe;
  if (in == of_class) return eq ? Tri::kTrue : Tri::kFalse;
  if (in.empty()) return eq ? Tri::kFalse : Tri::kTrue;
  return Tri::kUnknown;
}

// libsinsp's evttype analysis (ppm_codes.cpp): evt.num starts at 1, so "evt.num = 0",
// "< 1", "<= 0", "in (0)" hold for no event (Falco's never_true idiom: no LOAD_NO_EVTTYPE
// for a rule that is only that) and "!= 0", "> 0", ">= 1" for every one.
inline Tri evt_num_constant(const Check& c) {
  if (c.field.name != "evt.num" || c.tree || !c.xforms.empty() || c.rhs_is_field ||
      c.field.def == nullptr)
    return Tri::kUnknown;
  bool all_zero = true;
  for (int64_t v : c.nums) all_zero = all_zero && v == 0;
  const int64_t n = c.nums.size() == 1 ? c.nums[0] : -1;
  const Op op = c.op;
  if (((op == Op::kEq || op == Op::kIn || op == Op::kIntersects) && all_zero) ||
      (op == Op::kLt && (n == 0 || n == 1)) || (op == Op::kLe && n == 0))
    return Tri::kFalse;
  if (((op == Op::kNe || op == Op::kGt) && n == 0) || (op == Op::kGe && (n == 0 || n == 1)))
    return Tri::kTrue;
  return Tri::kUnknown;
}

// For the exec event riposte makes (execve, exit direction): evt.type, evt.dir and the evt.num
// invariant are decided.
inline Tri fold_for_exec(const Check& c) {
  if (c.type_fast) {
    EventTypeSet exec;
    exec.insert(EventType::kExecve);
    return fold_event_type(c, exec);
  }
  if (c.field.name == "evt.dir" && !c.rhs_is_field && c.xforms.empty() && c.strs.size() == 1 &&
      (c.op == Op::kEq || c.op == Op::kNe)) {
    return (c.strs[0] == "<") == (c.op == Op::kEq) ? Tri::kTrue : Tri::kFalse;
  }
  return evt_num_constant(c);
}

// Fold: Tri(const Check&). Leaf: Set(const Check&), the values for which the check can hold
// (Set::any() when it does not constrain the field).
template <class Set, class Fold, class Leaf>
class NecessarySet {
 public:
  NecessarySet(const Program& p, Fold fold, Leaf leaf) : p_(p), fold_(fold), leaf_(leaf) {}

  // For the whole condition.
  Set of_condition() const { return p_.nodes.empty() ? Set::any() : of(0); }

 private:
  size_t next(size_t i) const { return i + p_.nodes[i].size; }

  Tri tri(size_t i) const {
    const Program::Node& n = p_.nodes[i];
    switch (n.kind) {
      case Program::kTrue:
        return Tri::kTrue;
      case Program::kFalse:
        return Tri::kFalse;
      case Program::kCheck:
        return fold_(*n.check);
      case Program::kNot:
        return negate(tri(i + 1));
      case Program::kAnd:
      case Program::kOr: {
        const Tri absorbing = n.kind == Program::kAnd ? Tri::kFalse : Tri::kTrue;
        Tri all = negate(absorbing);
        for (size_t k = 0, j = i + 1; k < n.nkids; ++k, j = next(j)) {
          const Tri t = tri(j);
          if (t == absorbing) return absorbing;
          if (t == Tri::kUnknown) all = Tri::kUnknown;
        }
        return all;
      }
    }
    return Tri::kUnknown;
  }

  Set of(size_t i) const {
    const Tri t = tri(i);
    if (t == Tri::kFalse) return Set::none();
    if (t == Tri::kTrue) return Set::any();
    const Program::Node& n = p_.nodes[i];
    switch (n.kind) {
      case Program::kCheck:
        return leaf_(*n.check);
      case Program::kAnd: {  // any operand's set will do: take the narrowest
        Set best = Set::any();
        for (size_t k = 0, j = i + 1; k < n.nkids; ++k, j = next(j)) {
          Set s = of(j);
          if (s.weight() < best.weight()) best = std::move(s);
        }
        return best;
      }
      case Program::kOr: {
        Set u = Set::none();
        for (size_t k = 0, j = i + 1; k < n.nkids && !u.is_any(); ++k, j = next(j)) u.add(of(j));
        return u;
      }
      default:
        return Set::any();  // a negation constrains nothing we can use
    }
  }

  const Program& p_;
  Fold fold_;
  Leaf leaf_;
};

template <class Set, class Fold, class Leaf>
Set necessary_set(const Program& p, Fold fold, Leaf leaf) {
  return NecessarySet<Set, Fold, Leaf>(p, fold, leaf).of_condition();
}

}  // namespace riposte::detector::rules::detail
