#include "detector/rules/filter.h"

#include <algorithm>
#include <charconv>
#include <regex>
#include <unordered_set>

namespace riposte::detector::rules {
namespace {

enum class Op : uint8_t {
  kEq, kNe, kLt, kLe, kGt, kGe, kContains, kIContains, kBContains, kStartsWith, kBStartsWith,
  kEndsWith, kGlob, kIGlob, kRegex, kIn, kIntersects, kPMatch, kExists
};

bool parse_op(std::string_view s, Op* op) {
  static const std::pair<std::string_view, Op> kOps[] = {
      {"=", Op::kEq}, {"==", Op::kEq}, {"!=", Op::kNe}, {"<", Op::kLt}, {"<=", Op::kLe},
      {">", Op::kGt}, {">=", Op::kGe}, {"contains", Op::kContains},
      {"icontains", Op::kIContains}, {"bcontains", Op::kBContains},
      {"startswith", Op::kStartsWith}, {"bstartswith", Op::kBStartsWith},
      {"endswith", Op::kEndsWith}, {"glob", Op::kGlob}, {"iglob", Op::kIGlob},
      {"regex", Op::kRegex}, {"in", Op::kIn}, {"intersects", Op::kIntersects},
      {"pmatch", Op::kPMatch}, {"exists", Op::kExists}};
  for (const auto& [n, o] : kOps) {
    if (n == s) {
      *op = o;
      return true;
    }
  }
  return false;
}

enum class Xform : uint8_t { kToLower, kToUpper, kB64, kBasename, kLen };

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string to_lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = lower(c);
  return o;
}

bool ci_contains(std::string_view hay, std::string_view lowered_needle) {
  if (lowered_needle.empty()) return true;
  if (hay.size() < lowered_needle.size()) return false;
  size_t last = hay.size() - lowered_needle.size();
  for (size_t i = 0; i <= last; ++i) {
    size_t j = 0;
    while (j < lowered_needle.size() && lower(hay[i + j]) == lowered_needle[j]) ++j;
    if (j == lowered_needle.size()) return true;
  }
  return false;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

bool b64_decode(std::string_view in, std::string* out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = val(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

bool hex_decode(std::string_view in, std::string* out) {
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (in.size() % 2 != 0) return false;
  for (size_t i = 0; i < in.size(); i += 2) {
    int h = val(in[i]), l = val(in[i + 1]);
    if (h < 0 || l < 0) return false;
    *out += static_cast<char>(h * 16 + l);
  }
  return true;
}

bool parse_int(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  std::string_view t = s;
  if (t[0] == '+' || t[0] == '-') {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  int base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    base = 16;
    t.remove_prefix(2);
  }
  uint64_t v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v, base);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return false;
  *out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

struct SvHash {
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

constexpr size_t kSetThreshold = 8;

struct Check {
  // Hot members first (one cache line for the common checks).
  bool type_fast = false;  // evt.type =/!=/in constants: answered from type_set
  Op op = Op::kEq;
  FieldType type = FieldType::kString;  // after transformers
  bool rhs_is_field = false;
  ResolvedField field;
  std::vector<std::string> strs;
  std::vector<int64_t> nums;
  EventTypeSet type_set;
  std::vector<Xform> xforms;  // application order: innermost first
  std::unordered_set<std::string_view, SvHash> set;
  std::vector<IpNet> nets;
  std::vector<std::regex> regexes;
  ResolvedField rhs;
  std::vector<Xform> rhs_xforms;
  FieldType rhs_type = FieldType::kString;
};

size_t apply_xforms(const std::vector<Xform>& xs, FieldValue* v, size_t n, EvalScratch& s) {
  for (Xform x : xs) {
    size_t out = 0;
    for (size_t i = 0; i < n; ++i) {
      FieldValue fv = v[i];
      switch (x) {
        case Xform::kToLower:
        case Xform::kToUpper: {
          std::string& b = s.buffer();
          b.assign(fv.str);
          for (auto& ch : b) ch = x == Xform::kToLower ? lower(ch) : upper(ch);
          fv.str = b;
          break;
        }
        case Xform::kB64: {
          std::string& b = s.buffer();
          if (!b64_decode(fv.str, &b)) continue;
          fv.str = b;
          break;
        }
        case Xform::kBasename: {
          size_t slash = fv.str.rfind('/');
          if (slash != std::string_view::npos) fv.str = fv.str.substr(slash + 1);
          break;
        }
        case Xform::kLen:
          fv.num = static_cast<int64_t>(fv.str.size());
          fv.type = FieldType::kInt;
          break;
      }
      v[out++] = fv;
    }
    n = out;
  }
  return n;
}

bool pmatch(std::string_view v, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes) {
    std::string_view ps = p;
    if (ps.size() > 1 && ps.back() == '/') ps.remove_suffix(1);
    if (v.size() < ps.size() || v.substr(0, ps.size()) != ps) continue;
    if (v.size() == ps.size() || ps == "/" || v[ps.size()] == '/') return true;
  }
  return false;
}

bool cmp_num(Op op, int64_t a, int64_t b) {
  switch (op) {
    case Op::kEq: case Op::kIn: case Op::kIntersects: return a == b;
    case Op::kNe: return a != b;
    case Op::kLt: return a < b;
    case Op::kLe: return a <= b;
    case Op::kGt: return a > b;
    case Op::kGe: return a >= b;
    default: return false;
  }
}

bool match_string(const Check& c, std::string_view v) {
  switch (c.op) {
    case Op::kEq:
    case Op::kIn:
    case Op::kIntersects:
      if (!c.set.empty()) return c.set.count(v) != 0;
      for (const auto& s : c.strs)
        if (s == v) return true;
      return false;
    case Op::kNe: return v != c.strs[0];
    case Op::kLt: return v < std::string_view(c.strs[0]);
    case Op::kLe: return v <= std::string_view(c.strs[0]);
    case Op::kGt: return v > std::string_view(c.strs[0]);
    case Op::kGe: return v >= std::string_view(c.strs[0]);
    case Op::kContains:
    case Op::kBContains: return v.find(c.strs[0]) != std::string_view::npos;
    case Op::kIContains: return ci_contains(v, c.strs[0]);
    case Op::kStartsWith:
    case Op::kBStartsWith: return starts_with(v, c.strs[0]);
    case Op::kEndsWith: return ends_with(v, c.strs[0]);
    case Op::kGlob: return glob_match(c.strs[0], v, false);
    case Op::kIGlob: return glob_match(c.strs[0], v, true);
    case Op::kRegex: return std::regex_match(v.begin(), v.end(), c.regexes[0]);
    case Op::kPMatch: return pmatch(v, c.strs);
    case Op::kExists: return true;
  }
  return false;
}

bool match_const(const Check& c, const FieldValue& v) {
  switch (c.type) {
    case FieldType::kString:
    case FieldType::kBytes:
      return match_string(c, v.str);
    case FieldType::kBool:
      for (int64_t n : c.nums)
        if (cmp_num(c.op == Op::kNe ? Op::kNe : Op::kEq, v.flag ? 1 : 0, n)) return true;
      return false;
    case FieldType::kIp:
    case FieldType::kIpNet: {
      bool in = false;
      for (const auto& n : c.nets) {
        if (ip_in_net(v.ip, n)) {
          in = true;
          break;
        }
      }
      return c.op == Op::kNe ? !in : in;
    }
    default:
      if (c.op == Op::kIn || c.op == Op::kIntersects) {
        for (int64_t n : c.nums)
          if (n == v.num) return true;
        return false;
      }
      return cmp_num(c.op, v.num, c.nums[0]);
  }
}

bool match_dynamic(const Check& c, const FieldValue& l, const FieldValue& r) {
  if (is_numeric(c.type) || c.type == FieldType::kBool) {
    int64_t a = c.type == FieldType::kBool ? l.flag : l.num;
    int64_t b = c.type == FieldType::kBool ? r.flag : r.num;
    return cmp_num(c.op, a, b);
  }
  if (c.type == FieldType::kIp || c.type == FieldType::kIpNet) {
    bool eq = l.ip.family == r.ip.family && l.ip.bytes == r.ip.bytes;
    return c.op == Op::kNe ? !eq : eq;
  }
  std::string_view a = l.str, b = r.str;
  switch (c.op) {
    case Op::kEq: case Op::kIn: case Op::kIntersects: return a == b;
    case Op::kNe: return a != b;
    case Op::kLt: return a < b;
    case Op::kLe: return a <= b;
    case Op::kGt: return a > b;
    case Op::kGe: return a >= b;
    case Op::kContains: case Op::kBContains: return a.find(b) != std::string_view::npos;
    case Op::kIContains: {
      // rare path: lowering the dynamic needle needs a buffer
      std::string nb(b);
      for (auto& ch : nb) ch = lower(ch);
      return ci_contains(a, nb);
    }
    case Op::kStartsWith: case Op::kBStartsWith: return starts_with(a, b);
    case Op::kEndsWith: return ends_with(a, b);
    case Op::kGlob: return glob_match(b, a, false);
    case Op::kIGlob: return glob_match(to_lower(b), a, true);
    case Op::kPMatch: return pmatch(a, {std::string(b)});
    default: return false;
  }
}

bool eval_check(const Check& c, const EvalContext& ctx) {
  if (c.type_fast) {
    bool in = c.type_set.contains(ctx.ev->type);
    return c.op == Op::kNe ? !in : in;
  }
  EvalScratch& s = *ctx.scratch;
  s.reset();
  size_t cap = c.field.multi ? kMaxFieldValues : 4;
  size_t n = extract_field(c.field, ctx, s.lhs, cap);
  if (!c.xforms.empty() && n > 0) n = apply_xforms(c.xforms, s.lhs, n, s);
  if (c.op == Op::kExists) return n > 0;
  if (n == 0) return false;
  if (c.rhs_is_field) {
    size_t m = extract_field(c.rhs, ctx, s.rhs, c.rhs.multi ? kMaxFieldValues : 4);
    if (!c.rhs_xforms.empty() && m > 0) m = apply_xforms(c.rhs_xforms, s.rhs, m, s);
    if (m == 0) return false;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m; ++j)
        if (match_dynamic(c, s.lhs[i], s.rhs[j])) return true;
    return false;
  }
  for (size_t i = 0; i < n; ++i)
    if (match_const(c, s.lhs[i])) return true;
  return false;
}

std::string_view type_name(FieldType t) {
  switch (t) {
    case FieldType::kString: return "string";
    case FieldType::kBytes: return "bytes";
    case FieldType::kInt: return "number";
    case FieldType::kBool: return "bool";
    case FieldType::kIp: return "ip address";
    case FieldType::kIpNet: return "ip network";
    case FieldType::kPort: return "port";
    case FieldType::kAbsTime: return "timestamp";
    case FieldType::kRelTime: return "duration";
  }
  return "?";
}

bool op_allowed(Op op, FieldType t) {
  if (op == Op::kExists) return true;
  switch (t) {
    case FieldType::kString:
    case FieldType::kBytes:
      return true;
    case FieldType::kBool:
      return op == Op::kEq || op == Op::kNe || op == Op::kIn || op == Op::kIntersects;
    case FieldType::kIp:
    case FieldType::kIpNet:
      return op == Op::kEq || op == Op::kNe || op == Op::kIn || op == Op::kIntersects;
    default:
      return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe ||
             op == Op::kGt || op == Op::kGe || op == Op::kIn || op == Op::kIntersects;
  }
}

bool same_kind(FieldType a, FieldType b) {
  auto k = [](FieldType t) {
    if (is_numeric(t)) return 0;
    if (t == FieldType::kBool) return 1;
    if (t == FieldType::kIp || t == FieldType::kIpNet) return 2;
    return 3;
  };
  return k(a) == k(b);
}

}  // namespace

// ---------------------------------------------------------------------------------------

struct Filter::Node {
  enum class Kind : uint8_t { kAnd, kOr, kNot, kCheck };
  Kind kind = Kind::kCheck;
  std::vector<std::unique_ptr<Node>> kids;
  std::unique_ptr<Check> check;
};

namespace {

bool eval_node(const Filter::Node& n, const EvalContext& ctx) {
  switch (n.kind) {
    case Filter::Node::Kind::kAnd:
      for (const auto& k : n.kids)
        if (!eval_node(*k, ctx)) return false;
      return true;
    case Filter::Node::Kind::kOr:
      for (const auto& k : n.kids)
        if (eval_node(*k, ctx)) return true;
      return false;
    case Filter::Node::Kind::kNot:
      return !eval_node(*n.kids[0], ctx);
    case Filter::Node::Kind::kCheck:
      return eval_check(*n.check, ctx);
  }
  return false;
}

}  // namespace

Filter::Filter() = default;
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

bool Filter::eval(const EvalContext& ctx) const { return root_ && eval_node(*root_, ctx); }

EventTypeSet EventTypeSet::all() {
  EventTypeSet s;
  for (size_t i = 1; i < kEventTypeCount; ++i) s.bits_.set(i);
  return s;
}

EventTypeSet EventTypeSet::complement() const {
  EventTypeSet s = all();
  s.bits_ &= ~bits_;
  return s;
}

std::vector<EventType> EventTypeSet::to_vector() const {
  std::vector<EventType> v;
  for (size_t i = 1; i < kEventTypeCount; ++i)
    if (bits_.test(i)) v.push_back(static_cast<EventType>(i));
  return v;
}

class FilterCompiler {
 public:
  FilterCompiler(SymbolTable& sym, std::vector<CompileError>* errors)
      : sym_(sym), errors_(errors) {}

  std::unique_ptr<Filter> run(const ast::Expr& root) {
    auto f = std::make_unique<Filter>();
    EventTypeSet may_true, may_false;
    f->root_ = compile(root, &may_true, &may_false);
    if (failed_) return nullptr;
    f->types_ = may_true;
    f->fields_ = std::move(fields_);
    return f;
  }

 private:
  using Node = Filter::Node;

  void error(size_t pos, std::string msg, bool unknown_field = false) {
    errors_->push_back(
        {macro_stack_.empty() ? std::string() : macro_stack_.back(), pos, std::move(msg),
         unknown_field, false});
    failed_ = true;
  }
  void warning(size_t pos, std::string msg) {
    errors_->push_back(
        {macro_stack_.empty() ? std::string() : macro_stack_.back(), pos, std::move(msg), false,
         true});
  }

  // may_true: event types for which the node can evaluate true; may_false likewise for false.
  std::unique_ptr<Node> compile(const ast::Expr& e, EventTypeSet* may_true,
                                EventTypeSet* may_false) {
    switch (e.kind) {
      case ast::Expr::Kind::kAnd:
      case ast::Expr::Kind::kOr: {
        bool is_and = e.kind == ast::Expr::Kind::kAnd;
        auto n = std::make_unique<Node>();
        n->kind = is_and ? Node::Kind::kAnd : Node::Kind::kOr;
        EventTypeSet t = is_and ? EventTypeSet::all() : EventTypeSet();
        EventTypeSet f = is_and ? EventTypeSet() : EventTypeSet::all();
        for (const auto& c : e.children) {
          EventTypeSet ct, cf;
          auto k = compile(*c, &ct, &cf);
          if (is_and) {
            t &= ct;
            f |= cf;
          } else {
            t |= ct;
            f &= cf;
          }
          if (k) n->kids.push_back(std::move(k));
        }
        *may_true = t;
        *may_false = f;
        return n;
      }
      case ast::Expr::Kind::kNot: {
        auto n = std::make_unique<Node>();
        n->kind = Node::Kind::kNot;
        EventTypeSet ct, cf;
        auto k = compile(*e.children[0], &ct, &cf);
        *may_true = cf;
        *may_false = ct;
        if (k) n->kids.push_back(std::move(k));
        return n;
      }
      case ast::Expr::Kind::kMacroRef: {
        *may_true = *may_false = EventTypeSet::all();
        if (std::find(macro_stack_.begin(), macro_stack_.end(), e.ident) != macro_stack_.end()) {
          error(e.pos, "macro '" + e.ident + "' references itself");
          return nullptr;
        }
        const ast::Expr* body = sym_.macro(e.ident);
        if (body == nullptr && sym_.macro_broken(e.ident)) {
          error(e.pos, "macro '" + e.ident + "' has errors");
          return nullptr;
        }
        if (body == nullptr) {
          error(e.pos, "Undefined macro '" + e.ident + "' used in filter.");
          return nullptr;
        }
        macro_stack_.push_back(e.ident);
        auto n = compile(*body, may_true, may_false);
        macro_stack_.pop_back();
        return n;
      }
      case ast::Expr::Kind::kCheck:
        return compile_check(e, may_true, may_false);
    }
    return nullptr;
  }

  bool resolve(const ast::FieldExpr& fe, ResolvedField* rf, std::vector<Xform>* xs,
               FieldType* type) {
    std::string err;
    if (!resolve_field(fe.name, fe.arg, fe.has_arg, rf, &err)) {
      error(fe.pos, err, err.rfind("unknown field", 0) == 0);
      return false;
    }
    fields_.push_back(rf->name);
    FieldType t = rf->type;
    for (auto it = fe.transformers.rbegin(); it != fe.transformers.rend(); ++it) {
      const std::string& name = *it;
      Xform x;
      if (name == "tolower") x = Xform::kToLower;
      else if (name == "toupper") x = Xform::kToUpper;
      else if (name == "b64") x = Xform::kB64;
      else if (name == "basename") x = Xform::kBasename;
      else x = Xform::kLen;
      if (t != FieldType::kString && t != FieldType::kBytes) {
        error(fe.pos, "transformer '" + name + "' cannot be applied to field '" + rf->name +
                          "' of type " + std::string(type_name(t)));
        return false;
      }
      if (x == Xform::kLen) t = FieldType::kInt;
      xs->push_back(x);
    }
    *type = t;
    return true;
  }

  std::unique_ptr<Node> compile_check(const ast::Expr& e, EventTypeSet* may_true,
                                      EventTypeSet* may_false) {
    *may_true = *may_false = EventTypeSet::all();
    auto c = std::make_unique<Check>();
    if (!resolve(e.field, &c->field, &c->xforms, &c->type)) return nullptr;
    if (!parse_op(e.op, &c->op)) {
      error(e.op_pos, "unknown operator '" + e.op + "'");
      return nullptr;
    }
    if (!op_allowed(c->op, c->type)) {
      error(e.op_pos, "operator '" + e.op + "' is not supported for field '" + c->field.name +
                          "' of type " + std::string(type_name(c->type)));
      return nullptr;
    }
    if (c->op == Op::kExists) return wrap(std::move(c));

    if (e.rhs == ast::Expr::RhsKind::kField) {
      c->rhs_is_field = true;
      if (!resolve(e.rhs_field, &c->rhs, &c->rhs_xforms, &c->rhs_type)) return nullptr;
      if (!same_kind(c->type, c->rhs_type)) {
        error(e.rhs_field.pos, "field '" + c->field.name + "' of type " +
                                   std::string(type_name(c->type)) +
                                   " cannot be compared with field '" + c->rhs.name +
                                   "' of type " + std::string(type_name(c->rhs_type)));
        return nullptr;
      }
      if (c->op == Op::kRegex) {
        error(e.op_pos, "operator 'regex' needs a constant pattern");
        return nullptr;
      }
      return wrap(std::move(c));
    }

    // Gather constant values, expanding list names.
    std::vector<ast::Value> values;
    if (e.rhs == ast::Expr::RhsKind::kListRef) {
      const auto* items = sym_.list(e.values[0].text);
      if (items == nullptr) {
        error(e.values[0].pos, "unknown list '" + e.values[0].text + "'");
        return nullptr;
      }
      values = *items;
      for (auto& v : values) v.pos = e.values[0].pos;
    } else {
      for (const auto& v : e.values) {
        const std::vector<ast::Value>* items =
            (e.rhs == ast::Expr::RhsKind::kList && !v.quoted) ? sym_.list(v.text) : nullptr;
        if (items != nullptr) {
          for (auto item : *items) {
            item.pos = v.pos;
            values.push_back(std::move(item));
          }
        } else {
          values.push_back(v);
        }
      }
    }
    if (values.empty() && e.rhs == ast::Expr::RhsKind::kValue) {
      error(e.op_pos, "missing value");
      return nullptr;
    }

    bool ok = true;
    for (const auto& v : values) ok = add_value(c.get(), v) && ok;
    if (!ok) return nullptr;
    if ((c->op == Op::kIn || c->op == Op::kIntersects || c->op == Op::kEq) &&
        c->strs.size() > kSetThreshold) {
      for (const auto& s : c->strs) c->set.insert(s);
    }

    // Event-type analysis.
    if (is_event_type_field(c->field) && c->xforms.empty()) {
      EventTypeSet s;
      for (const auto& v : values) {
        auto t = parse_event_type(v.text);
        if (t) {
          s.insert(*t);
        } else if (v.text != "switch") {
          warning(v.pos, "unknown event type '" + v.text + "': riposte does not capture it");
        }
      }
      if (c->op == Op::kEq || c->op == Op::kIn || c->op == Op::kIntersects || c->op == Op::kNe) {
        c->type_fast = true;
        c->type_set = s;
      }
      if (c->op == Op::kEq || c->op == Op::kIn || c->op == Op::kIntersects) {
        *may_true = s;
        *may_false = s.complement();
      } else if (c->op == Op::kNe) {
        *may_true = s.complement();
        *may_false = s;
      }
    }
    return wrap(std::move(c));
  }

  bool add_value(Check* c, const ast::Value& v) {
    const std::string& text = v.text;
    switch (c->type) {
      case FieldType::kString:
      case FieldType::kBytes: {
        std::string s = text;
        if (c->op == Op::kIContains || c->op == Op::kIGlob) s = to_lower(s);
        if (c->op == Op::kBContains || c->op == Op::kBStartsWith) {
          std::string bytes;
          if (!hex_decode(text, &bytes)) {
            error(v.pos, "operator '" + std::string(c->op == Op::kBContains ? "bcontains"
                                                                              : "bstartswith") +
                             "' needs a hex string, got '" + text + "'");
            return false;
          }
          s = std::move(bytes);
        }
        if (c->op == Op::kRegex) {
          try {
            c->regexes.emplace_back(text, std::regex::ECMAScript | std::regex::optimize);
          } catch (const std::regex_error& ex) {
            error(v.pos, "invalid regular expression '" + text + "': " + ex.what());
            return false;
          }
        }
        c->strs.push_back(std::move(s));
        return true;
      }
      case FieldType::kBool: {
        std::string l = to_lower(text);
        if (l != "true" && l != "false") {
          error(v.pos, "'" + text + "' is not a valid value for bool field '" + c->field.name +
                           "' (expected true or false)");
          return false;
        }
        c->nums.push_back(l == "true" ? 1 : 0);
        return true;
      }
      case FieldType::kIp:
      case FieldType::kIpNet: {
        IpNet n;
        if (!parse_cidr(text, &n)) {
          error(v.pos, "'" + text + "' is not a valid IP address or CIDR network for field '" +
                           c->field.name + "'");
          return false;
        }
        c->nets.push_back(n);
        return true;
      }
      default: {
        int64_t n = 0;
        if (!parse_int(text, &n)) {
          error(v.pos, "'" + text + "' is not a valid number for field '" + c->field.name + "'");
          return false;
        }
        c->nums.push_back(n);
        return true;
      }
    }
  }

  std::unique_ptr<Node> wrap(std::unique_ptr<Check> c) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Kind::kCheck;
    n->check = std::move(c);
    return n;
  }

  SymbolTable& sym_;
  std::vector<CompileError>* errors_;
  std::vector<std::string> macro_stack_;
  std::vector<std::string> fields_;
  bool failed_ = false;
};

std::unique_ptr<Filter> compile_filter(const ast::Expr& root, SymbolTable& symbols,
                                       std::vector<CompileError>* errors) {
  FilterCompiler c(symbols, errors);
  return c.run(root);
}

bool glob_match(std::string_view pat, std::string_view s, bool icase) {
  size_t p = 0, i = 0;
  size_t star_p = std::string_view::npos, star_i = 0;
  auto cls_match = [&](size_t& pp, char ch) -> int {
    // returns 1 match, 0 no match, -1 malformed (treat '[' literally)
    size_t q = pp + 1;
    bool neg = false;
    if (q < pat.size() && (pat[q] == '!' || pat[q] == '^')) {
      neg = true;
      ++q;
    }
    bool matched = false;
    bool first = true;
    while (q < pat.size() && (first || pat[q] != ']')) {
      first = false;
      char lo = pat[q];
      if (q + 2 < pat.size() && pat[q + 1] == '-' && pat[q + 2] != ']') {
        char hi = pat[q + 2];
        if (ch >= lo && ch <= hi) matched = true;
        q += 3;
      } else {
        if (ch == lo) matched = true;
        ++q;
      }
    }
    if (q >= pat.size()) return -1;
    pp = q + 1;
    return matched != neg ? 1 : 0;
  };
  while (i < s.size()) {
    char ch = icase ? lower(s[i]) : s[i];
    if (p < pat.size()) {
      char pc = pat[p];
      if (pc == '*') {
        star_p = p++;
        star_i = i;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++i;
        continue;
      }
      if (pc == '[') {
        size_t pp = p;
        int r = cls_match(pp, ch);
        if (r == 1) {
          p = pp;
          ++i;
          continue;
        }
        if (r == -1 && ch == '[') {
          ++p;
          ++i;
          continue;
        }
      } else if (pc == '\\' && p + 1 < pat.size() && pat[p + 1] == ch) {
        p += 2;
        ++i;
        continue;
      } else if (pc == ch) {
        ++p;
        ++i;
        continue;
      }
    }
    if (star_p != std::string_view::npos) {
      p = star_p + 1;
      i = ++star_i;
      continue;
    }
    return false;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

}  // namespace riposte::detector::rules
