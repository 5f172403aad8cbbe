// The operators of Falco's condition language over a compiled check (check.h): string,
// number, boolean and address comparisons, `in`/`pmatch`/`glob`/`regex`, and the
// transformers. Inline: the evaluators in filter_code.cpp call them for every check.
#pragma once

#include <re2/re2.h>

#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "detector/rules/check.h"

namespace riposte::detector::rules::detail {

bool parse_op(std::string_view s, Op* op);
// glob with a pattern that is itself lowered as it goes (iglob against another field).
bool glob_match_ci_pattern(std::string_view pat, std::string_view s);
// pmatch with a pattern holding wildcards: each of its path components is a glob on the
// path's component at the same depth (libsinsp's path_prefix_search), empty ones skipped.
bool pmatch_components(std::string_view path, std::string_view pattern);

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
inline char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

inline std::string to_lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = lower(c);
  return o;
}

inline bool ci_contains(std::string_view hay, std::string_view lowered_needle) {
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

inline bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
inline bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

inline bool b64_decode(std::string_view in, std::string* out) {
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

inline bool hex_decode(std::string_view in, std::string* out) {
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

inline bool parse_int(std::string_view s, int64_t* out) {
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

inline size_t apply_xforms(const std::vector<Xform>& xs, FieldValue* v, size_t n, EvalScratch& s) {
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

inline bool pmatch_one(std::string_view v, std::string_view ps) {
  if (ps.find_first_of("*?[") != std::string_view::npos) return pmatch_components(v, ps);
  if (ps.size() > 1 && ps.back() == '/') ps.remove_suffix(1);
  if (v.size() < ps.size() || v.substr(0, ps.size()) != ps) return false;
  return v.size() == ps.size() || ps == "/" || v[ps.size()] == '/';
}

inline bool pmatch(std::string_view v, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (pmatch_one(v, p)) return true;
  return false;
}

// Case-insensitive containment where neither side is lowered beforehand.
inline bool ci_contains_both(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

// The ordering operators (in and intersects compare as =) on numbers or strings; false for
// the others.
template <class T>
inline bool cmp_ordered(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::kEq:
    case Op::kIn:
    case Op::kIntersects:
      return a == b;
    case Op::kNe:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kLe:
      return a <= b;
    case Op::kGt:
      return a > b;
    case Op::kGe:
      return a >= b;
    default:
      return false;
  }
}

inline bool cmp_num(Op op, int64_t a, int64_t b) { return cmp_ordered(op, a, b); }

inline bool match_string(const Check& c, std::string_view v) {
  switch (c.op) {
    case Op::kEq:
    case Op::kIn:
    case Op::kIntersects:
      if (c.use_set) return c.set.contains(v);
      for (const auto& s : c.strs)
        if (s.size() == v.size() && std::string_view(s) == v) return true;
      return false;
    case Op::kNe:
      return v != c.k0;
    case Op::kLt:
      return v < c.k0;
    case Op::kLe:
      return v <= c.k0;
    case Op::kGt:
      return v > c.k0;
    case Op::kGe:
      return v >= c.k0;
    case Op::kContains:
    case Op::kBContains:
      return v.find(c.k0) != std::string_view::npos;
    case Op::kIContains:
      return ci_contains(v, c.k0);
    case Op::kStartsWith:
    case Op::kBStartsWith:
      return starts_with(v, c.k0);
    case Op::kEndsWith:
      return ends_with(v, c.k0);
    case Op::kGlob:
      return glob_match(c.k0, v, false);
    case Op::kIGlob:
      return glob_match(c.k0, v, true);
    case Op::kRegex:
      return re2::RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *c.regexes[0]);
    case Op::kPMatch:
      return pmatch(v, c.strs);
    case Op::kExists:
      return true;
  }
  return false;
}

inline bool match_const(const Check& c, const FieldValue& v) {
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

inline bool match_dynamic(const Check& c, const FieldValue& l, const FieldValue& r) {
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
    case Op::kContains:
    case Op::kBContains:
      return a.find(b) != std::string_view::npos;
    case Op::kIContains:
      return ci_contains_both(a, b);
    case Op::kStartsWith:
    case Op::kBStartsWith:
      return starts_with(a, b);
    case Op::kEndsWith:
      return ends_with(a, b);
    case Op::kGlob:
      return glob_match(b, a, false);
    case Op::kIGlob:
      return glob_match_ci_pattern(b, a);
    case Op::kPMatch:
      return pmatch_one(a, b);
    default:
      return cmp_ordered(c.op, a, b);
  }
}

inline std::string_view type_name(FieldType t) {
  switch (t) {
    case FieldType::kString:
      return "string";
    case FieldType::kBytes:
      return "bytes";
    case FieldType::kInt:
      return "number";
    case FieldType::kBool:
      return "bool";
    case FieldType::kIp:
      return "ip address";
    case FieldType::kIpNet:
      return "ip network";
    case FieldType::kPort:
      return "port";
    case FieldType::kAbsTime:
      return "timestamp";
    case FieldType::kRelTime:
      return "duration";
  }
  return "?";
}

inline bool op_allowed(Op op, FieldType t) {
  if (op == Op::kExists) return true;
  switch (t) {
    case FieldType::kString:  // bcontains/bstartswith compare bytes: bytes fields only
      return op != Op::kBContains && op != Op::kBStartsWith;
    case FieldType::kBytes:  // libsinsp's PT_BYTEBUF: no ordering, globs, regexes, paths
      return op == Op::kEq || op == Op::kNe || op == Op::kContains || op == Op::kStartsWith ||
             op == Op::kEndsWith || op == Op::kBContains || op == Op::kBStartsWith ||
             op == Op::kIn || op == Op::kIntersects;
    case FieldType::kBool:
      return op == Op::kEq || op == Op::kNe || op == Op::kIn || op == Op::kIntersects;
    case FieldType::kIp:
    case FieldType::kIpNet:
      return op == Op::kEq || op == Op::kNe || op == Op::kIn || op == Op::kIntersects;
    default:
      return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe || op == Op::kGt ||
             op == Op::kGe || op == Op::kIn || op == Op::kIntersects;
  }
}

inline bool same_kind(FieldType a, FieldType b) {
  auto k = [](FieldType t) {
    if (is_numeric(t)) return 0;
    if (t == FieldType::kBool) return 1;
    if (t == FieldType::kIp || t == FieldType::kIpNet) return 2;
    return 3;
  };
  return k(a) == k(b);
}

}  // namespace riposte::detector::rules::detail
