// The internal form of a compiled condition, shared by the filter compiler
// (filter_compiler.cpp), the generated code (filter_code.cpp), the operators (operators.h) and
// the open-path analysis (open_paths.cpp): typed checks with their constants parsed once, the
// program of nodes, and the straight-line code that runs. Not part of the rules API
// (filter.h is).
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detector/rules/fields.h"
#include "detector/rules/filter.h"

namespace riposte::detector::rules {
namespace detail {

enum class Op : uint8_t {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kContains,
  kIContains,
  kBContains,
  kStartsWith,
  kBStartsWith,
  kEndsWith,
  kGlob,
  kIGlob,
  kRegex,
  kIn,
  kIntersects,
  kPMatch,
  kExists
};

enum class Xform : uint8_t { kToLower, kToUpper, kB64, kBasename, kLen };

// Equality that settles most mismatches on the length and first byte, without a memcmp call.
inline bool str_eq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  if (a[0] != b[0]) return false;
  return a.size() == 1 || std::memcmp(a.data() + 1, b.data() + 1, a.size() - 1) == 0;
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
struct ValueTree;  // value_tree.h
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
  bool ne_every = false;  // `!=` on a socket's two ends: holds when every value differs
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
  // An operand that is a transformer call (join, concat, getopt): evaluated from the tree;
  // `field` / `rhs` then only carry its text as name (def null) and whether it is a list.
  std::shared_ptr<const ValueTree> tree, rhs_tree;
  uint32_t cost = 1;
  double p_true = 0.5;  // guessed probability that the check holds
  std::string key;      // canonical text, for sharing identical checks across rules
  std::string text;     // as written (lists abridged), for describe()
};

// Chooses c.fn for the check's shape (filter_code.cpp).
void select_evaluator(Check& c);

}  // namespace detail

namespace filter_code {

// Straight-line code with short-circuit jumps, what actually runs: each check is one
// instruction that jumps to the next test depending on its outcome, so evaluating a
// condition is a loop over a few instructions, without recursion or per-node calls.
struct Insn {
  enum Op : uint8_t { kTest, kLoad, kStoreTrue, kStoreFalse, kMatch };
  Op op = kTest;
  uint32_t slot = 0;          // kLoad / kStore*: remembered-result slot
  int32_t t = 0;              // kTest / kLoad: next on true; kStore* / kMatch: next
  int32_t f = 0;              // kTest / kLoad: next on false
  int32_t miss = 0;           // kLoad: the sub-condition's code, when not yet known
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
  using Check = detail::Check;
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

namespace detail {
using filter_code::Code;
using filter_code::Insn;
using filter_code::kAccept;
using filter_code::kReject;
using Program = Filter::Program;

// Generates the code Filter::eval runs (filter_code.cpp).
void gen_filter_code(Program* p);
}  // namespace detail

}  // namespace riposte::detector::rules
