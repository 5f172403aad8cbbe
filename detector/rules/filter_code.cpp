// The code a compiled condition runs: one evaluator per check shape (a fast accessor
// compared with constants, the generic path for the rest), the straight-line code generated
// from the program (CodeGen) and its interpreter, for one Filter or a ruleset's FilterChain.
#include <algorithm>

#include "detector/rules/check.h"
#include "detector/rules/operators.h"
#include "detector/rules/value_tree.h"

namespace riposte::detector::rules {
using namespace detail;

namespace {

using Program = Filter::Program;

// The general evaluator: any field, transformers, several values, a field on the right.
bool eval_generic(const Check& c, const EvalContext& ctx) {
  EvalScratch& s = *ctx.scratch;
  s.reset();
  size_t n = c.tree ? eval_value_tree(*c.tree, ctx, s.lhs, c.cap, s)
                    : extract_field(c.field, ctx, s.lhs, c.cap);
  if (!c.xforms.empty() && n > 0) n = apply_xforms(c.xforms, s.lhs, n, s);
  if (c.op == Op::kExists) return n > 0;
  if (n == 0) return false;
  if (c.rhs_is_field) {
    const size_t rcap = c.rhs.multi ? kMaxFieldValues : 4;
    size_t m = c.rhs_tree ? eval_value_tree(*c.rhs_tree, ctx, s.rhs, rcap, s)
                          : extract_field(c.rhs, ctx, s.rhs, rcap);
    if (!c.rhs_xforms.empty() && m > 0) m = apply_xforms(c.rhs_xforms, s.rhs, m, s);
    if (m == 0) return false;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m; ++j)
        if (match_dynamic(c, s.lhs[i], s.rhs[j])) return true;
    return false;
  }
  if (n == 1) return match_const(c, s.lhs[0]);
  if (c.ne_every) {
    for (size_t i = 0; i < n; ++i)
      if (!match_const(c, s.lhs[i])) return false;
    return true;
  }
  for (size_t i = 0; i < n; ++i)
    if (match_const(c, s.lhs[i])) return true;
  return false;
}

// Specialised evaluators for the common shapes: one value from a fast accessor compared with
// constants (fields.h: fast_str_getter / fast_num_getter).
bool eval_type_in(const Check& c, const EvalContext& ctx) {
  return c.type_set.contains(ctx.ev->type);
}
bool eval_type_not_in(const Check& c, const EvalContext& ctx) {
  return !c.type_set.contains(ctx.ev->type);
}

struct StrIn {
  static bool m(const Check& c, std::string_view v) { return c.set.contains(v); }
};
struct StrEq {
  static bool m(const Check& c, std::string_view v) { return str_eq(v, c.k0); }
};
struct StrEqList {
  static bool m(const Check& c, std::string_view v) {
    for (const auto& s : c.strs)
      if (str_eq(s, v)) return true;
    return false;
  }
};
struct StrNe {
  static bool m(const Check& c, std::string_view v) { return !str_eq(v, c.k0); }
};
struct StrStarts {
  static bool m(const Check& c, std::string_view v) { return starts_with(v, c.k0); }
};
struct StrEnds {
  static bool m(const Check& c, std::string_view v) { return ends_with(v, c.k0); }
};
struct StrContains {
  static bool m(const Check& c, std::string_view v) {
    return v.find(c.k0) != std::string_view::npos;
  }
};
struct StrAny {
  static bool m(const Check& c, std::string_view v) { return match_string(c, v); }
};

template <class M>
bool eval_str(const Check& c, const EvalContext& ctx) {
  std::string_view v;
  return c.sget(c.field, ctx, &v) && M::m(c, v);
}
bool eval_str_exists(const Check& c, const EvalContext& ctx) {
  std::string_view v;
  return c.sget(c.field, ctx, &v);
}

template <Op O>
bool eval_num(const Check& c, const EvalContext& ctx) {
  int64_t v;
  if (!c.nget(c.field, ctx, &v)) return false;
  if constexpr (O == Op::kIn) {
    for (int64_t n : c.nums)
      if (n == v) return true;
    return false;
  } else {
    return cmp_num(O, v, c.nums[0]);
  }
}
bool eval_num_exists(const Check& c, const EvalContext& ctx) {
  int64_t v;
  return c.nget(c.field, ctx, &v);
}
bool eval_bool(const Check& c, const EvalContext& ctx) {
  int64_t v;
  if (!c.nget(c.field, ctx, &v)) return false;
  Op op = c.op == Op::kNe ? Op::kNe : Op::kEq;
  for (int64_t n : c.nums)
    if (cmp_num(op, v != 0 ? 1 : 0, n)) return true;
  return false;
}

void choose_evaluator(Check& c) {
  c.fn = eval_generic;
  if (c.type_fast) {
    c.fn = c.op == Op::kNe ? eval_type_not_in : eval_type_in;
    return;
  }
  if (!c.xforms.empty() || c.rhs_is_field || c.field.multi || c.tree) return;
  if (c.type == FieldType::kString) {
    c.sget = fast_str_getter(c.field);
    if (c.sget == nullptr) return;
    switch (c.op) {
      case Op::kExists:
        c.fn = eval_str_exists;
        break;
      case Op::kEq:
      case Op::kIn:
      case Op::kIntersects:
        c.fn = c.use_set            ? eval_str<StrIn>
               : c.strs.size() == 1 ? eval_str<StrEq>
                                    : eval_str<StrEqList>;
        break;
      case Op::kNe:
        c.fn = eval_str<StrNe>;
        break;
      case Op::kStartsWith:
        c.fn = eval_str<StrStarts>;
        break;
      case Op::kEndsWith:
        c.fn = eval_str<StrEnds>;
        break;
      case Op::kContains:
        c.fn = eval_str<StrContains>;
        break;
      default:
        c.fn = eval_str<StrAny>;
        break;
    }
    return;
  }
  if (is_numeric(c.type) || c.type == FieldType::kBool) {
    c.nget = fast_num_getter(c.field);
    if (c.nget == nullptr) return;
    if (c.op == Op::kExists) {
      c.fn = eval_num_exists;
      return;
    }
    if (c.type == FieldType::kBool) {
      c.fn = eval_bool;
      return;
    }
    switch (c.op) {
      case Op::kEq:
        c.fn = eval_num<Op::kEq>;
        break;
      case Op::kNe:
        c.fn = eval_num<Op::kNe>;
        break;
      case Op::kLt:
        c.fn = eval_num<Op::kLt>;
        break;
      case Op::kLe:
        c.fn = eval_num<Op::kLe>;
        break;
      case Op::kGt:
        c.fn = eval_num<Op::kGt>;
        break;
      case Op::kGe:
        c.fn = eval_num<Op::kGe>;
        break;
      case Op::kIn:
      case Op::kIntersects:
        c.fn = eval_num<Op::kIn>;
        break;
      default:
        break;
    }
  }
}

// Emits code for the subtree at n, jumping to T when it holds and F when not; returns its
// entry. Emission goes backwards (targets first); Code is reversed at the end. With a fixed
// event type (`type` != kUnknown), evt.type checks are decided here and emit nothing.
class CodeGen {
 public:
  CodeGen(Code* code, EventType type) : code_(code), type_(type) {}

  int32_t gen(const Program::Node* n, int32_t T, int32_t F) {
    if (n->slot == Program::kNoSlot) return gen_plain(n, T, F);
    int32_t st = push({Insn::kStoreTrue, n->slot, T, 0, 0, nullptr});
    int32_t sf = push({Insn::kStoreFalse, n->slot, F, 0, 0, nullptr});
    int32_t body = gen_plain(n, st, sf);
    code_->slots_needed = std::max(code_->slots_needed, n->slot + 1);
    return push({Insn::kLoad, n->slot, T, F, body, nullptr});
  }

  int32_t match(const void* tag, int32_t next) { return push({Insn::kMatch, 0, next, 0, 0, tag}); }

  // Reverses the code so it runs front to back (better locality); returns the new entry.
  static int32_t finish(Code* code, int32_t entry) {
    auto& v = code->insns;
    const int32_t n = static_cast<int32_t>(v.size());
    auto map = [n](int32_t pc) { return pc < 0 ? pc : n - 1 - pc; };
    std::reverse(v.begin(), v.end());
    for (auto& i : v) {
      i.t = map(i.t);
      i.f = map(i.f);
      i.miss = map(i.miss);
    }
    return map(entry);
  }

 private:
  int32_t push(Insn i) {
    code_->insns.push_back(i);
    return static_cast<int32_t>(code_->insns.size() - 1);
  }

  int32_t gen_plain(const Program::Node* n, int32_t T, int32_t F) {
    switch (n->kind) {
      case Program::kTrue:
        return T;
      case Program::kFalse:
        return F;
      case Program::kNot:
        return gen(n + 1, F, T);
      case Program::kCheck: {
        const Check& c = *n->check;
        if (c.type_fast && type_ != EventType::kUnknown) {
          bool in = c.type_set.contains(type_);
          return (c.op == Op::kNe ? !in : in) ? T : F;
        }
        return push({Insn::kTest, 0, T, F, 0, n->check});
      }
      case Program::kAnd:
      case Program::kOr: {
        std::vector<const Program::Node*> kids;
        for (const Program::Node *c = n + 1, *end = n + n->size; c != end; c += c->size)
          kids.push_back(c);
        int32_t next = n->kind == Program::kAnd ? T : F;
        for (auto it = kids.rbegin(); it != kids.rend(); ++it)
          next = n->kind == Program::kAnd ? gen(*it, next, F) : gen(*it, T, next);
        return next;
      }
    }
    return F;
  }

  Code* code_;
  EventType type_;
};

// Runs code from `entry`; calls on_match for kMatch; returns the final target (kAccept or
// kReject).
int32_t run_code(const Code& code, int32_t pc, const EvalContext& ctx,
                 FilterChain::MatchFn on_match, void* arg, size_t* matches) {
  const Insn* insns = code.insns.data();
  uint32_t* results = ctx.scratch->results();
  const uint32_t epoch = ctx.scratch->epoch();
  while (pc >= 0) {
    const Insn& i = insns[pc];
    if (i.op == Insn::kTest) [[likely]] {  // most instructions are checks
      const Check& c = *static_cast<const Check*>(i.ptr);
      pc = c.fn(c, ctx) ? i.t : i.f;
      continue;
    }
    switch (i.op) {
      case Insn::kTest:
        break;
      case Insn::kLoad: {
        uint32_t r = results[i.slot];
        pc = (r >> 1) != epoch ? i.miss : (r & 1) ? i.t : i.f;
        break;
      }
      case Insn::kStoreTrue:
        results[i.slot] = (epoch << 1) | 1u;
        pc = i.t;
        break;
      case Insn::kStoreFalse:
        results[i.slot] = epoch << 1;
        pc = i.t;
        break;
      case Insn::kMatch:
        ++*matches;
        on_match(arg, i.ptr);
        pc = i.t;
        break;
    }
  }
  return pc;
}

void generate_code(Program* p) {
  auto code = std::make_unique<Code>();
  if (!p->nodes.empty()) {
    CodeGen g(code.get(), EventType::kUnknown);
    int32_t entry = g.gen(p->nodes.data(), kAccept, kReject);
    code->entry = CodeGen::finish(code.get(), entry);
  }
  p->code = std::move(code);
}

}  // namespace

Filter::Filter() = default;
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

bool Filter::eval(const EvalContext& ctx) const {
  return types_.contains(ctx.ev->type) && eval_indexed(ctx);
}

bool Filter::eval_indexed(const EvalContext& ctx) const {
  if (!prog_ || !prog_->code) return false;
  ctx.scratch->reserve_results(prog_->code->slots_needed);
  size_t matches = 0;
  return run_code(*prog_->code, prog_->code->entry, ctx, nullptr, nullptr, &matches) == kAccept;
}

struct FilterChain::Impl {
  Code code;
};

FilterChain::FilterChain() = default;
FilterChain::~FilterChain() = default;
FilterChain::FilterChain(FilterChain&&) noexcept = default;
FilterChain& FilterChain::operator=(FilterChain&&) noexcept = default;

void FilterChain::build(EventType type,
                        const std::vector<std::pair<const Filter*, const void*>>& filters,
                        bool first_only) {
  impl_ = std::make_unique<Impl>();
  Code& code = impl_->code;
  CodeGen g(&code, type);
  // Backwards: each filter falls through to the next one.
  int32_t next = kReject;
  for (auto it = filters.rbegin(); it != filters.rend(); ++it) {
    const Filter* f = it->first;
    if (!f->prog_ || f->prog_->nodes.empty()) continue;
    int32_t matched = g.match(it->second, first_only ? kReject : next);
    next = g.gen(f->prog_->nodes.data(), matched, next);
  }
  code.entry = CodeGen::finish(&code, next);
}

size_t FilterChain::run(const EvalContext& ctx, MatchFn on_match, void* arg) const {
  if (!impl_ || impl_->code.entry < 0) return 0;
  ctx.scratch->reserve_results(impl_->code.slots_needed);
  size_t matches = 0;
  run_code(impl_->code, impl_->code.entry, ctx, on_match, arg, &matches);
  return matches;
}

size_t FilterChain::instructions() const { return impl_ ? impl_->code.insns.size() : 0; }

std::string Filter::describe() const {
  std::string out;
  if (!prog_) return out;
  const Program& p = *prog_;
  // Walk the prefix layout with an explicit stack of remaining-operand counts.
  std::vector<uint32_t> remaining;
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const Program::Node& n = p.nodes[i];
    out.append(2 * remaining.size(), ' ');
    switch (n.kind) {
      case Program::kAnd:
        out += "and";
        break;
      case Program::kOr:
        out += "or";
        break;
      case Program::kNot:
        out += "not";
        break;
      case Program::kCheck:
        out += n.check->text;
        break;
      case Program::kTrue:
        out += "true";
        break;
      case Program::kFalse:
        out += "false";
        break;
    }
    out += "    [cost " + std::to_string(p.costs[i]);
    if (n.slot != Program::kNoSlot) out += ", shared";
    out += "]\n";
    if (!remaining.empty()) --remaining.back();
    if (n.kind == Program::kAnd || n.kind == Program::kOr || n.kind == Program::kNot) {
      remaining.push_back(n.kind == Program::kNot ? 1 : n.nkids);
    }
    while (!remaining.empty() && remaining.back() == 0) remaining.pop_back();
  }
  return out;
}

namespace detail {
void select_evaluator(Check& c) { choose_evaluator(c); }
void gen_filter_code(Program* p) { generate_code(p); }
}  // namespace detail

}  // namespace riposte::detector::rules
