#include "detector/rules/filter.h"

#include "detector/rules/parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include <re2/re2.h>

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

// Equality that settles most mismatches on the length and first byte, without a memcmp call.
inline bool str_eq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  if (a[0] != b[0]) return false;
  return a.size() == 1 || std::memcmp(a.data() + 1, b.data() + 1, a.size() - 1) == 0;
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

// A set of strings for `in`: open addressing over a cheap word-at-a-time hash, with a bitmap
// of the lengths present so most misses cost one bit test.
class StrSet {
 public:
  void build(const std::vector<std::string>& items) {
    items_.clear();
    for (const auto& s : items)
      if (std::find(items_.begin(), items_.end(), s) == items_.end()) items_.push_back(s);
    size_t cap = 8;
    while (cap < items_.size() * 2) cap *= 2;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    len_bits_ = 0;
    for (size_t i = 0; i < items_.size(); ++i) {
      len_bits_ |= len_bit(items_[i].size());
      uint64_t h = hash(items_[i]);
      size_t j = h & mask_;
      while (slots_[j].idx != 0) j = (j + 1) & mask_;
      slots_[j] = Slot{static_cast<uint32_t>(i + 1), static_cast<uint32_t>(h >> 32)};
    }
  }
  bool contains(std::string_view v) const {
    if ((len_bits_ & len_bit(v.size())) == 0) return false;
    uint64_t h = hash(v);
    uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (size_t j = h & mask_;; j = (j + 1) & mask_) {
      const Slot& s = slots_[j];
      if (s.idx == 0) return false;
      if (s.tag == tag && str_eq(items_[s.idx - 1], v)) return true;
    }
  }
  size_t size() const { return items_.size(); }

  static uint64_t load8(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  static uint32_t load4(const char* p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  }
  // Word-at-a-time; the tail is read with overlapping loads (no byte loop, no memcpy call).
  static uint64_t hash(std::string_view s) {
    const char* p = s.data();
    size_t n = s.size();
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    uint64_t w;
    if (n >= 8) {
      const char* last = p + n - 8;
      while (p < last) {
        h = (h ^ load8(p)) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        p += 8;
      }
      w = load8(last);
    } else if (n >= 4) {
      w = (static_cast<uint64_t>(load4(p)) << 32) | load4(p + n - 4);
    } else if (n > 0) {
      w = (static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
          (static_cast<uint64_t>(static_cast<unsigned char>(p[n >> 1])) << 8) |
          static_cast<unsigned char>(p[n - 1]);
    } else {
      w = 0;
    }
    h = (h ^ w) * 0x94d049bb133111ebull;
    return h ^ (h >> 32);
  }

 private:
  struct Slot {
    uint32_t idx = 0;  // item index + 1; 0 = empty
    uint32_t tag = 0;  // high hash bits
  };
  static uint64_t len_bit(size_t n) { return uint64_t{1} << (n < 63 ? n : 63); }
  std::vector<std::string> items_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  uint64_t len_bits_ = 0;
};

// Lists longer than this are looked up in a StrSet; shorter ones are scanned.
constexpr size_t kSetThreshold = 4;
constexpr size_t kMaxMacroDepth = 256;
constexpr size_t kMaxCompileDepth = 2000;
constexpr size_t kMaxCompileNodes = 200000;

struct Check;
using CheckFn = bool (*)(const Check&, const EvalContext&);

struct Check {
  // Hot members first.
  CheckFn fn = nullptr;  // the evaluator chosen for this check's shape (select_evaluator)
  StrGetter sget = nullptr;
  NumGetter nget = nullptr;
  bool type_fast = false;  // evt.type =/!=/in constants: answered from type_set
  bool use_set = false;    // string membership through `set`
  Op op = Op::kEq;
  FieldType type = FieldType::kString;  // after transformers
  bool rhs_is_field = false;
  uint8_t cap = 4;  // values to extract (64 for multi-valued fields)
  EventTypeSet type_set;
  std::string_view k0;  // strs[0] (the constant of single-value operators)
  ResolvedField field;
  std::vector<std::string> strs;
  std::vector<int64_t> nums;
  std::vector<Xform> xforms;  // application order: innermost first
  StrSet set;
  std::vector<IpNet> nets;
  std::vector<std::unique_ptr<re2::RE2>> regexes;
  ResolvedField rhs;
  std::vector<Xform> rhs_xforms;
  FieldType rhs_type = FieldType::kString;
  uint32_t cost = 1;
  double p_true = 0.5;  // guessed probability that the check holds
  std::string key;   // canonical text, for sharing identical checks across rules
  std::string text;  // as written (lists abridged), for describe()
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

bool pmatch_one(std::string_view v, std::string_view ps) {
  if (ps.size() > 1 && ps.back() == '/') ps.remove_suffix(1);
  if (v.size() < ps.size() || v.substr(0, ps.size()) != ps) return false;
  return v.size() == ps.size() || ps == "/" || v[ps.size()] == '/';
}

bool pmatch(std::string_view v, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (pmatch_one(v, p)) return true;
  return false;
}

bool glob_match_ci_pattern(std::string_view pat, std::string_view s);

// Case-insensitive containment where neither side is lowered beforehand.
bool ci_contains_both(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == lower(needle[j])) ++j;
    if (j == needle.size()) return true;
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
      if (c.use_set) return c.set.contains(v);
      for (const auto& s : c.strs)
        if (s.size() == v.size() && std::string_view(s) == v) return true;
      return false;
    case Op::kNe: return v != c.k0;
    case Op::kLt: return v < c.k0;
    case Op::kLe: return v <= c.k0;
    case Op::kGt: return v > c.k0;
    case Op::kGe: return v >= c.k0;
    case Op::kContains:
    case Op::kBContains: return v.find(c.k0) != std::string_view::npos;
    case Op::kIContains: return ci_contains(v, c.k0);
    case Op::kStartsWith:
    case Op::kBStartsWith: return starts_with(v, c.k0);
    case Op::kEndsWith: return ends_with(v, c.k0);
    case Op::kGlob: return glob_match(c.k0, v, false);
    case Op::kIGlob: return glob_match(c.k0, v, true);
    case Op::kRegex: return re2::RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *c.regexes[0]);
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
    case Op::kIContains: return ci_contains_both(a, b);
    case Op::kStartsWith: case Op::kBStartsWith: return starts_with(a, b);
    case Op::kEndsWith: return ends_with(a, b);
    case Op::kGlob: return glob_match(b, a, false);
    case Op::kIGlob: return glob_match_ci_pattern(b, a);
    case Op::kPMatch: return pmatch_one(a, b);
    default: return false;
  }
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

namespace filter_code {

// Straight-line code with short-circuit jumps, what actually runs: each check is one
// instruction that jumps to the next test depending on its outcome, so evaluating a
// condition is a loop over a few instructions, without recursion or per-node calls.
struct Insn {
  enum Op : uint8_t { kTest, kLoad, kStoreTrue, kStoreFalse, kMatch };
  Op op = kTest;
  uint32_t slot = 0;        // kLoad / kStore*: remembered-result slot
  int32_t t = 0;            // kTest / kLoad: next on true; kStore* / kMatch: next
  int32_t f = 0;            // kTest / kLoad: next on false
  int32_t miss = 0;         // kLoad: the sub-condition's code, when not yet known
  const void* ptr = nullptr;  // kTest: the Check; kMatch: the tag
};
constexpr int32_t kAccept = -1;
constexpr int32_t kReject = -2;

struct Code {
  std::vector<Insn> insns;
  int32_t entry = kReject;
  uint32_t slots_needed = 0;
};

}  // namespace filter_code

using filter_code::Code;
using filter_code::Insn;
using filter_code::kAccept;
using filter_code::kReject;

// The compiled form: nodes in prefix order (a node's operands follow it; `size` skips a
// whole subtree), checks in their own array.
struct Filter::Program {
  enum Kind : uint8_t { kAnd, kOr, kNot, kCheck, kTrue, kFalse };
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  struct Node {
    Kind kind = kTrue;
    uint32_t nkids = 0;
    uint32_t size = 1;        // nodes in this subtree, this one included
    uint32_t slot = kNoSlot;  // remembered-result slot (FilterLinker)
    const Check* check = nullptr;
    uint32_t check_index = 0;
  };
  std::vector<Node> nodes;
  std::vector<Check> checks;
  std::vector<uint32_t> ids;    // per node: linker id (kNoSlot when none)
  std::vector<uint32_t> costs;  // per node: estimated cost
  std::unique_ptr<Code> code;   // for Filter::eval (FilterChain generates its own)
};

namespace {

using Program = Filter::Program;

// The general evaluator: any field, transformers, several values, a field on the right.
bool eval_generic(const Check& c, const EvalContext& ctx) {
  EvalScratch& s = *ctx.scratch;
  s.reset();
  size_t n = extract_field(c.field, ctx, s.lhs, c.cap);
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
  if (n == 1) return match_const(c, s.lhs[0]);
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

struct StrIn { static bool m(const Check& c, std::string_view v) { return c.set.contains(v); } };
struct StrEq { static bool m(const Check& c, std::string_view v) { return str_eq(v, c.k0); } };
struct StrEqList {
  static bool m(const Check& c, std::string_view v) {
    for (const auto& s : c.strs)
      if (str_eq(s, v)) return true;
    return false;
  }
};
struct StrNe { static bool m(const Check& c, std::string_view v) { return !str_eq(v, c.k0); } };
struct StrStarts { static bool m(const Check& c, std::string_view v) { return starts_with(v, c.k0); } };
struct StrEnds { static bool m(const Check& c, std::string_view v) { return ends_with(v, c.k0); } };
struct StrContains {
  static bool m(const Check& c, std::string_view v) {
    return v.find(c.k0) != std::string_view::npos;
  }
};
struct StrAny { static bool m(const Check& c, std::string_view v) { return match_string(c, v); } };

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

void select_evaluator(Check& c) {
  c.fn = eval_generic;
  if (c.type_fast) {
    c.fn = c.op == Op::kNe ? eval_type_not_in : eval_type_in;
    return;
  }
  if (!c.xforms.empty() || c.rhs_is_field || c.field.multi) return;
  if (c.type == FieldType::kString) {
    c.sget = fast_str_getter(c.field);
    if (c.sget == nullptr) return;
    switch (c.op) {
      case Op::kExists: c.fn = eval_str_exists; break;
      case Op::kEq: case Op::kIn: case Op::kIntersects:
        c.fn = c.use_set ? eval_str<StrIn>
               : c.strs.size() == 1 ? eval_str<StrEq> : eval_str<StrEqList>;
        break;
      case Op::kNe: c.fn = eval_str<StrNe>; break;
      case Op::kStartsWith: c.fn = eval_str<StrStarts>; break;
      case Op::kEndsWith: c.fn = eval_str<StrEnds>; break;
      case Op::kContains: c.fn = eval_str<StrContains>; break;
      default: c.fn = eval_str<StrAny>; break;
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
      case Op::kEq: c.fn = eval_num<Op::kEq>; break;
      case Op::kNe: c.fn = eval_num<Op::kNe>; break;
      case Op::kLt: c.fn = eval_num<Op::kLt>; break;
      case Op::kLe: c.fn = eval_num<Op::kLe>; break;
      case Op::kGt: c.fn = eval_num<Op::kGt>; break;
      case Op::kGe: c.fn = eval_num<Op::kGe>; break;
      case Op::kIn: case Op::kIntersects: c.fn = eval_num<Op::kIn>; break;
      default: break;
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

  int32_t match(const void* tag, int32_t next) {
    return push({Insn::kMatch, 0, next, 0, 0, tag});
  }

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
int32_t run_code(const Code& code, int32_t pc, const EvalContext& ctx, FilterChain::MatchFn on_match,
                 void* arg, size_t* matches) {
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

void gen_filter_code(Program* p) {
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

void FilterChain::build(EventType type, const std::vector<std::pair<const Filter*, const void*>>& filters,
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
      case Program::kAnd: out += "and"; break;
      case Program::kOr: out += "or"; break;
      case Program::kNot: out += "not"; break;
      case Program::kCheck: out += n.check->text; break;
      case Program::kTrue: out += "true"; break;
      case Program::kFalse: out += "false"; break;
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

// ---- open paths (open_paths.h) ------------------------------------------------------------

namespace {

enum class Tri : uint8_t { kFalse, kTrue, kUnknown };

Tri negate(Tri t) { return t == Tri::kUnknown ? t : (t == Tri::kTrue ? Tri::kFalse : Tri::kTrue); }

// What a check is for every open(2) of the access class, where that is decided: the event
// type (open, openat, openat2) and evt.is_open_read / evt.is_open_write.
Tri fold_for_open(const Check& c, bool write) {
  if (c.type_fast) {
    const EventTypeSet opens = EventTypeSet::opens();
    EventTypeSet in = c.type_set;
    in &= opens;
    const bool eq = c.op != Op::kNe;
    if (in == opens) return eq ? Tri::kTrue : Tri::kFalse;
    if (in.empty()) return eq ? Tri::kFalse : Tri::kTrue;
    return Tri::kUnknown;
  }
  if (c.rhs_is_field || !c.xforms.empty() || c.nums.size() != 1 || (c.op != Op::kEq && c.op != Op::kNe)) {
    return Tri::kUnknown;
  }
  const bool is_read = c.field.name == "evt.is_open_read";
  if (!is_read && c.field.name != "evt.is_open_write") return Tri::kUnknown;
  // O_RDONLY: reads, does not write. O_WRONLY / O_RDWR: writes; reads only with O_RDWR.
  // (An access mode of 3, neither, is never filtered by the kernel.)
  if (is_read && write) return Tri::kUnknown;
  const bool value = is_read ? true : write;
  return (value == (c.nums[0] != 0)) == (c.op == Op::kEq) ? Tri::kTrue : Tri::kFalse;
}

// "/usr/bin/" -> "/usr/bin"; "/" stays.
std::string without_trailing_slashes(std::string d) {
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d;
}

// The paths for which the check can hold (any when it does not constrain fd.name).
PathSet check_paths(const Check& c) {
  if (c.rhs_is_field || !c.xforms.empty()) return PathSet::any();
  const std::string& f = c.field.name;
  std::vector<std::string> prefixes;
  if (f == "fd.name") {
    switch (c.op) {
      case Op::kEq:
      case Op::kIn:
      case Op::kStartsWith:
        return PathSet::of(c.strs);
      case Op::kPMatch:  // "/usr/bin/" also matches "/usr/bin" itself
        for (const auto& d : c.strs) prefixes.push_back(without_trailing_slashes(d));
        return PathSet::of(std::move(prefixes));
      case Op::kGlob:
        for (const auto& g : c.strs) prefixes.push_back(g.substr(0, g.find_first_of("*?[\\")));
        return PathSet::of(std::move(prefixes));
      default:
        return PathSet::any();
    }
  }
  if (f == "fd.directory" && (c.op == Op::kEq || c.op == Op::kIn || c.op == Op::kPMatch)) {
    for (const auto& s : c.strs) {
      const std::string d = without_trailing_slashes(s);
      if (d == "/") return PathSet::any();
      prefixes.push_back(d + "/");
    }
    return PathSet::of(std::move(prefixes));
  }
  if (f == "fd.nameraw" && c.op == Op::kContains && !c.strs.empty() &&
      std::all_of(c.strs.begin(), c.strs.end(), [](const std::string& s) {
        return s.find("..") != std::string::npos || s.find("//") != std::string::npos ||
               s.find("/.") != std::string::npos;
      })) {
    return PathSet::none();  // only irregular paths, which the kernel always passes
  }
  return PathSet::any();
}

struct OpenAnalysis {
  const Program& p;
  bool write;

  size_t next(size_t i) const { return i + p.nodes[i].size; }

  Tri tri(size_t i) const {
    const Program::Node& n = p.nodes[i];
    switch (n.kind) {
      case Program::kTrue: return Tri::kTrue;
      case Program::kFalse: return Tri::kFalse;
      case Program::kCheck: return fold_for_open(*n.check, write);
      case Program::kNot: return negate(tri(i + 1));
      case Program::kAnd:
      case Program::kOr: {
        const Tri absorbing = n.kind == Program::kAnd ? Tri::kFalse : Tri::kTrue;
        Tri all = negate(absorbing);
        for (size_t k = 0, j = i + 1; k < n.nkids; ++k, j = next(j)) {
          Tri t = tri(j);
          if (t == absorbing) return absorbing;
          if (t == Tri::kUnknown) all = Tri::kUnknown;
        }
        return all;
      }
    }
    return Tri::kUnknown;
  }

  // A set every path satisfying node i (for an open of this class) belongs to.
  PathSet paths(size_t i) const {
    const Tri t = tri(i);
    if (t == Tri::kFalse) return PathSet::none();
    if (t == Tri::kTrue) return PathSet::any();
    const Program::Node& n = p.nodes[i];
    switch (n.kind) {
      case Program::kCheck: return check_paths(*n.check);
      case Program::kAnd: {  // any operand's set will do: take the narrowest
        PathSet best = PathSet::any();
        for (size_t k = 0, j = i + 1; k < n.nkids; ++k, j = next(j)) {
          PathSet s = paths(j);
          if (s.weight() < best.weight()) best = std::move(s);
        }
        return best;
      }
      case Program::kOr: {
        PathSet u = PathSet::none();
        for (size_t k = 0, j = i + 1; k < n.nkids && !u.is_any(); ++k, j = next(j)) u.add(paths(j));
        return u;
      }
      default:
        return PathSet::any();  // a negation constrains nothing we can use
    }
  }
};

}  // namespace

OpenPaths Filter::open_paths() const {
  if (!prog_ || prog_->nodes.empty()) return {PathSet::any(), PathSet::any()};
  return {OpenAnalysis{*prog_, false}.paths(0), OpenAnalysis{*prog_, true}.paths(0)};
}

EventTypeSet EventTypeSet::opens() {
  EventTypeSet s;
  for (EventType t : {EventType::kOpen, EventType::kOpenat, EventType::kOpenat2}) s.insert(t);
  return s;
}

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
  FilterCompiler(SymbolTable& sym, std::vector<CompileError>* errors, FilterLinker* linker)
      : sym_(sym), errors_(errors), linker_(linker != nullptr ? linker : &own_linker_) {}

  std::unique_ptr<Filter> run(const ast::Expr& root) {
    auto f = std::make_unique<Filter>();
    EventTypeSet may_true, may_false;
    auto tree = compile(root, &may_true, &may_false);
    if (failed_ || !tree) return nullptr;
    f->types_ = may_true;
    f->fields_ = std::move(fields_);
    tree = simplify(std::move(tree), may_true);
    number(tree.get());
    f->prog_ = std::make_unique<Program>();
    emit(tree.get(), f->prog_.get());
    // Only now that the checks have their final addresses: views into their own strings.
    for (Check& c : f->prog_->checks) {
      c.k0 = c.strs.empty() ? std::string_view() : std::string_view(c.strs[0]);
      select_evaluator(c);
    }
    for (auto& n : f->prog_->nodes)
      if (n.kind == Program::kCheck) n.check = &f->prog_->checks[n.check_index];
    gen_filter_code(f->prog_.get());
    return f;
  }

 private:
  // The tree the compiler builds before optimising and flattening it.
  struct Node {
    Program::Kind kind = Program::kCheck;
    std::vector<std::unique_ptr<Node>> kids;
    std::unique_ptr<Check> check;
    uint32_t cost = 0;
    double p = 0.5;  // guessed probability of being true
    uint32_t id = Program::kNoSlot;
    bool macro = false;  // a macro's body: kept as one operand (shared across rules)
  };

  static std::unique_ptr<Node> constant(bool v) {
    auto n = std::make_unique<Node>();
    n->kind = v ? Program::kTrue : Program::kFalse;
    return n;
  }

  // Folds what the rule's event types decide, empty lists, double negations and nested
  // and/or; drops neutral operands.
  static std::unique_ptr<Node> simplify(std::unique_ptr<Node> n, const EventTypeSet& types) {
    switch (n->kind) {
      case Program::kCheck: {
        const Check& c = *n->check;
        if (c.type_fast) {
          EventTypeSet in = c.type_set;
          in &= types;
          bool eq = c.op != Op::kNe;
          if (in == types) return constant(eq);
          if (in.empty()) return constant(!eq);
        }
        if ((c.op == Op::kIn || c.op == Op::kIntersects || c.op == Op::kPMatch) &&
            !c.rhs_is_field && c.strs.empty() && c.nums.empty() && c.nets.empty())
          return constant(false);
        return n;
      }
      case Program::kNot: {
        n->kids[0] = simplify(std::move(n->kids[0]), types);
        Node* k = n->kids[0].get();
        if (k->kind == Program::kTrue) return constant(false);
        if (k->kind == Program::kFalse) return constant(true);
        if (k->kind == Program::kNot) return std::move(k->kids[0]);
        return n;
      }
      case Program::kAnd:
      case Program::kOr: {
        bool is_and = n->kind == Program::kAnd;
        std::vector<std::unique_ptr<Node>> kids;
        for (auto& k : n->kids) {
          auto sk = simplify(std::move(k), types);
          if (sk->kind == Program::kTrue || sk->kind == Program::kFalse) {
            bool v = sk->kind == Program::kTrue;
            if (v == is_and) continue;  // neutral operand
            return constant(v);         // absorbing operand
          }
          if (sk->kind == n->kind && !sk->macro) {
            for (auto& g : sk->kids) kids.push_back(std::move(g));
            continue;
          }
          kids.push_back(std::move(sk));
        }
        if (kids.empty()) return constant(is_and);
        if (kids.size() == 1) return std::move(kids[0]);
        n->kids = std::move(kids);
        return n;
      }
      case Program::kTrue:
      case Program::kFalse:
        return n;
    }
    return n;
  }

  // Bottom-up: costs and guessed probabilities, duplicate operands dropped (a and a = a),
  // operands ordered so the expected cost of reaching the answer is lowest (an `and` tries
  // first what is cheap and likely false, an `or` what is cheap and likely true), then ids
  // for the linker.
  void number(Node* n) {
    switch (n->kind) {
      case Program::kCheck:
        n->cost = n->check->cost;
        n->p = n->check->p_true;
        n->id = linker_->intern(n->check->key);
        return;
      case Program::kTrue:
      case Program::kFalse:
        n->cost = 0;
        n->p = n->kind == Program::kTrue ? 1.0 : 0.0;
        return;
      case Program::kNot:
        number(n->kids[0].get());
        n->cost = n->kids[0]->cost;
        n->p = 1.0 - n->kids[0]->p;
        n->id = linker_->intern("!(" + std::to_string(n->kids[0]->id) + ")");
        return;
      case Program::kAnd:
      case Program::kOr: {
        bool is_and = n->kind == Program::kAnd;
        std::vector<std::unique_ptr<Node>> kids;
        std::unordered_set<uint32_t> seen;
        for (auto& k : n->kids) {
          number(k.get());
          if (seen.insert(k->id).second) kids.push_back(std::move(k));
        }
        n->kids = std::move(kids);
        auto score = [is_and](const Node& k) {
          double miss = is_and ? 1.0 - k.p : k.p;  // chance this operand decides
          return static_cast<double>(k.cost) / std::max(miss, 0.01);
        };
        std::stable_sort(n->kids.begin(), n->kids.end(),
                         [&](const auto& a, const auto& b) { return score(*a) < score(*b); });
        uint64_t cost = 0;
        double p = 1.0;
        for (auto& k : n->kids) {
          cost += k->cost;
          p *= is_and ? k->p : 1.0 - k->p;
        }
        n->cost = static_cast<uint32_t>(std::min<uint64_t>(cost, UINT32_MAX / 2));
        n->p = is_and ? p : 1.0 - p;
        std::string key = is_and ? "&(" : "|(";
        for (auto& k : n->kids) key += std::to_string(k->id) + ",";
        key += ")";
        n->id = linker_->intern(key);
        return;
      }
    }
  }

  static void emit(Node* n, Program* p) {
    size_t at = p->nodes.size();
    p->nodes.emplace_back();
    p->ids.push_back(n->id);
    p->costs.push_back(n->cost);
    Program::Node pn;
    pn.kind = n->kind;
    pn.nkids = static_cast<uint32_t>(n->kids.size());
    if (n->kind == Program::kCheck) {
      pn.check_index = static_cast<uint32_t>(p->checks.size());
      p->checks.push_back(std::move(*n->check));

    }
    for (auto& k : n->kids) emit(k.get(), p);
    pn.size = static_cast<uint32_t>(p->nodes.size() - at);
    p->nodes[at] = pn;
  }

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

  // Counts n more operands or values against the size limit of one condition.
  bool budget(size_t n, size_t pos) {
    nodes_ += n;
    if (nodes_ <= kMaxCompileNodes) return true;
    if (!too_big_) error(pos, "condition too large with its macros and lists expanded (more than " +
                                  std::to_string(kMaxCompileNodes) + " operands and values)");
    too_big_ = true;
    return false;
  }

  // may_true: event types for which the node can evaluate true; may_false likewise for false.
  std::unique_ptr<Node> compile(const ast::Expr& e, EventTypeSet* may_true,
                                EventTypeSet* may_false) {
    // Macros expanded inside macros can nest far deeper than any one condition.
    struct Depth {
      explicit Depth(size_t* d) : d_(d) { ++*d_; }
      ~Depth() { --*d_; }
      size_t* d_;
    } depth(&depth_);
    if (!budget(1, e.pos)) {
      *may_true = *may_false = EventTypeSet::all();
      return nullptr;
    }
    if (depth_ > kMaxCompileDepth) {
      *may_true = *may_false = EventTypeSet::all();
      if (!too_deep_) error(e.pos, "condition nested too deeply (more than " +
                                       std::to_string(kMaxCompileDepth) + " levels with macros expanded)");
      too_deep_ = true;
      return nullptr;
    }
    switch (e.kind) {
      case ast::Expr::Kind::kAnd:
      case ast::Expr::Kind::kOr: {
        bool is_and = e.kind == ast::Expr::Kind::kAnd;
        auto n = std::make_unique<Node>();
        n->kind = is_and ? Program::kAnd : Program::kOr;
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
        n->kind = Program::kNot;
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
        if (macro_stack_.size() >= kMaxMacroDepth) {
          error(e.pos, "macros nested more than " + std::to_string(kMaxMacroDepth) +
                           " deep at '" + e.ident + "'");
          return nullptr;
        }
        macro_stack_.push_back(e.ident);
        auto n = compile(*body, may_true, may_false);
        macro_stack_.pop_back();
        if (n) n->macro = true;
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
    if (c->op == Op::kExists) return wrap(std::move(c), e, {});

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
      return wrap(std::move(c), e, {});
    }

    // Gather constant values, expanding list names.
    std::vector<ast::Value> values;
    if (e.rhs == ast::Expr::RhsKind::kListRef) {
      const auto* items = sym_.list(e.values[0].text);
      if (items == nullptr) {
        error(e.values[0].pos, "unknown list '" + e.values[0].text + "'");
        return nullptr;
      }
      if (!budget(items->size(), e.values[0].pos)) return nullptr;
      values = *items;
      for (auto& v : values) v.pos = e.values[0].pos;
    } else {
      for (const auto& v : e.values) {
        const std::vector<ast::Value>* items =
            (e.rhs == ast::Expr::RhsKind::kList && !v.quoted) ? sym_.list(v.text) : nullptr;
        if (items != nullptr && !budget(items->size(), v.pos)) return nullptr;
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
      c->set.build(c->strs);
      c->use_set = true;
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
    return wrap(std::move(c), e, values);
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
          // RE2, as Falco: linear time, no backtracking, bounded memory.
          re2::RE2::Options ro;
          ro.set_log_errors(false);
          ro.set_max_mem(4 << 20);
          auto re = std::make_unique<re2::RE2>(text, ro);
          if (!re->ok()) {
            error(v.pos, "invalid regular expression '" + text + "': " + re->error());
            return false;
          }
          c->regexes.push_back(std::move(re));
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

  // How often the check holds, roughly (see FieldClass).
  static double guess_p_true(const Check& c, const std::vector<ast::Value>& values) {
    if (c.type_fast) return 0.5;
    FieldClass cls = c.xforms.empty() ? field_class(c.field) : FieldClass::kIdentity;
    if (c.rhs_is_field) return c.op == Op::kNe ? 0.9 : 0.2;
    bool first_true = !values.empty() && (values[0].text == "true" || values[0].text == "1");
    bool first_zero = !values.empty() && values[0].text == "0";
    switch (c.op) {
      case Op::kExists:
        return 0.9;
      case Op::kNe:
        switch (cls) {
          case FieldClass::kTty: return first_zero ? 0.05 : 0.95;
          case FieldClass::kSequence: return 0.99;
          case FieldClass::kContainerId: return 0.6;
          case FieldClass::kRareFlag: return first_true ? 0.95 : 0.05;
          default: return 0.9;
        }
      case Op::kEq:
      case Op::kIn:
      case Op::kIntersects:
        switch (cls) {
          case FieldClass::kStructural: return 0.6;
          case FieldClass::kRareFlag: return first_true ? 0.05 : 0.95;
          case FieldClass::kTty: return first_zero ? 0.95 : 0.05;
          case FieldClass::kSequence: return 0.01;
          case FieldClass::kContainerId: return 0.4;
          case FieldClass::kIdentity:  // long lists are exception lists: still rarely hit
            return std::min(0.25, 0.03 + 0.005 * static_cast<double>(values.size()));
        }
        return 0.5;
      case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
        return 0.5;
      default:  // contains, startswith, glob, regex, pmatch, ...
        return cls == FieldClass::kStructural ? 0.5 : 0.05;
    }
  }

  static std::string xform_name(Xform x) {
    switch (x) {
      case Xform::kToLower: return "tolower";
      case Xform::kToUpper: return "toupper";
      case Xform::kB64: return "b64";
      case Xform::kBasename: return "basename";
      case Xform::kLen: return "len";
    }
    return "?";
  }
  static std::string field_text(const ResolvedField& f, const std::vector<Xform>& xs) {
    std::string s = f.name;
    for (Xform x : xs) s = xform_name(x) + "(" + s + ")";  // innermost first
    return s;
  }

  // Finishes a check: evaluation hints, cost, sharing key and display text.
  std::unique_ptr<Node> wrap(std::unique_ptr<Check> c, const ast::Expr& e,
                             const std::vector<ast::Value>& values) {
    c->cap = c->field.multi ? static_cast<uint8_t>(kMaxFieldValues) : 4;
    std::string lhs = field_text(c->field, c->xforms);
    c->key = lhs + ' ' + e.op;
    c->text = lhs + ' ' + e.op;
    if (c->rhs_is_field) {
      std::string rhs = field_text(c->rhs, c->rhs_xforms);
      c->key += " val(" + rhs + ")";
      c->text += c->rhs_xforms.empty() ? " val(" + rhs + ")" : " " + rhs;
    } else if (c->op != Op::kExists) {
      bool list = e.rhs == ast::Expr::RhsKind::kList || e.rhs == ast::Expr::RhsKind::kListRef;
      for (const auto& v : values) {
        c->key += '\x1f';
        c->key += v.text;
      }
      std::string shown;
      constexpr size_t kShow = 8;
      for (size_t i = 0; i < values.size() && i < kShow; ++i) {
        if (i) shown += ", ";
        shown += format_value(values[i].text);
      }
      if (values.size() > kShow) shown += ", ... (" + std::to_string(values.size()) + " items)";
      c->text += list ? " (" + shown + ")" : " " + shown;
    }

    uint32_t cost = 1;
    if (!c->type_fast) {
      cost = static_cast<uint32_t>(field_cost(c->field)) + 2 * static_cast<uint32_t>(c->xforms.size());
      switch (c->op) {
        case Op::kExists: break;
        case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
          cost += 1;
          break;
        case Op::kIn: case Op::kIntersects:
          cost += c->use_set ? 2 : 1 + static_cast<uint32_t>(std::max(c->strs.size(), c->nums.size() + c->nets.size()) / 2);
          break;
        case Op::kContains: case Op::kBContains: case Op::kStartsWith: case Op::kBStartsWith:
        case Op::kEndsWith:
          cost += 2;
          break;
        case Op::kIContains: case Op::kGlob: case Op::kIGlob:
          cost += 4;
          break;
        case Op::kRegex:
          cost += 30;
          break;
        case Op::kPMatch:
          cost += 1 + static_cast<uint32_t>(c->strs.size());
          break;
      }
      if (c->rhs_is_field)
        cost += static_cast<uint32_t>(field_cost(c->rhs)) + 2 * static_cast<uint32_t>(c->rhs_xforms.size());
    }
    c->cost = cost;
    c->p_true = guess_p_true(*c, values);
    auto n = std::make_unique<Node>();
    n->kind = Program::kCheck;
    n->check = std::move(c);
    return n;
  }

  SymbolTable& sym_;
  std::vector<CompileError>* errors_;
  FilterLinker own_linker_;
  FilterLinker* linker_ = nullptr;
  std::vector<std::string> macro_stack_;
  std::vector<std::string> fields_;
  size_t depth_ = 0;
  bool too_deep_ = false;
  size_t nodes_ = 0;
  bool too_big_ = false;
  bool failed_ = false;
};

std::unique_ptr<Filter> compile_filter(const ast::Expr& root, SymbolTable& symbols,
                                       std::vector<CompileError>* errors,
                                       FilterLinker* linker) {
  FilterCompiler c(symbols, errors, linker);
  return c.run(root);
}

uint32_t FilterLinker::intern(const std::string& key) {
  auto [it, inserted] = ids_.emplace(key, static_cast<uint32_t>(ids_.size()));
  return it->second;
}

uint32_t FilterLinker::link(const std::vector<Filter*>& filters) {
  // A sub-condition worth remembering: not trivial, and evaluated in more than one place.
  constexpr uint32_t kMinCost = 5;
  std::unordered_map<uint32_t, uint32_t> uses;
  for (const Filter* f : filters) {
    if (!f->prog_) continue;
    const auto& p = *f->prog_;
    for (size_t i = 0; i < p.nodes.size(); ++i)
      if (p.ids[i] != Program::kNoSlot && p.costs[i] >= kMinCost) ++uses[p.ids[i]];
  }
  std::unordered_map<uint32_t, uint32_t> slot_of;
  for (Filter* f : filters) {
    if (!f->prog_) continue;
    auto& p = *f->prog_;
    for (size_t i = 0; i < p.nodes.size(); ++i) {
      p.nodes[i].slot = Program::kNoSlot;
      uint32_t id = p.ids[i];
      if (id == Program::kNoSlot || p.costs[i] < kMinCost) continue;
      auto u = uses.find(id);
      if (u == uses.end() || u->second < 2) continue;
      auto [it, inserted] = slot_of.emplace(id, static_cast<uint32_t>(slot_of.size()));
      p.nodes[i].slot = it->second;
    }
    gen_filter_code(&p);
  }
  return static_cast<uint32_t>(slot_of.size());
}

namespace {

// icase lowers the subject; lower_pat also lowers the pattern as it goes.
bool glob_impl(std::string_view pat, std::string_view s, bool icase, bool lower_pat) {
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
      char lo = lower_pat ? lower(pat[q]) : pat[q];
      if (q + 2 < pat.size() && pat[q + 1] == '-' && pat[q + 2] != ']') {
        char hi = lower_pat ? lower(pat[q + 2]) : pat[q + 2];
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
      char pc = lower_pat ? lower(pat[p]) : pat[p];
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
      } else if (pc == '\\' && p + 1 < pat.size() &&
                 (lower_pat ? lower(pat[p + 1]) : pat[p + 1]) == ch) {
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

}  // namespace

bool glob_match(std::string_view pat, std::string_view s, bool icase) {
  return glob_impl(pat, s, icase, false);
}

namespace {
bool glob_match_ci_pattern(std::string_view pat, std::string_view s) {
  return glob_impl(pat, s, true, true);
}
}  // namespace

}  // namespace riposte::detector::rules
