#include "detector/rules/operators.h"

namespace riposte::detector::rules {
namespace detail {

bool parse_op(std::string_view s, Op* op) {
  static const std::pair<std::string_view, Op> kOps[] = {{"=", Op::kEq},
                                                         {"==", Op::kEq},
                                                         {"!=", Op::kNe},
                                                         {"<", Op::kLt},
                                                         {"<=", Op::kLe},
                                                         {">", Op::kGt},
                                                         {">=", Op::kGe},
                                                         {"contains", Op::kContains},
                                                         {"icontains", Op::kIContains},
                                                         {"bcontains", Op::kBContains},
                                                         {"startswith", Op::kStartsWith},
                                                         {"bstartswith", Op::kBStartsWith},
                                                         {"endswith", Op::kEndsWith},
                                                         {"glob", Op::kGlob},
                                                         {"iglob", Op::kIGlob},
                                                         {"regex", Op::kRegex},
                                                         {"in", Op::kIn},
                                                         {"intersects", Op::kIntersects},
                                                         {"pmatch", Op::kPMatch},
                                                         {"exists", Op::kExists}};
  for (const auto& [n, o] : kOps) {
    if (n == s) {
      *op = o;
      return true;
    }
  }
  return false;
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

}  // namespace detail

bool glob_match(std::string_view pat, std::string_view s, bool icase) {
  return detail::glob_impl(pat, s, icase, false);
}

namespace detail {
bool glob_match_ci_pattern(std::string_view pat, std::string_view s) {
  return glob_impl(pat, s, true, true);
}

namespace {
// The next non-empty component of *rest ("" when none is left).
std::string_view next_component(std::string_view* rest) {
  while (!rest->empty() && rest->front() == '/') rest->remove_prefix(1);
  size_t end = rest->find('/');
  std::string_view comp = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end);
  return comp;
}
}  // namespace

bool pmatch_components(std::string_view path, std::string_view pattern) {
  for (;;) {
    std::string_view want = next_component(&pattern);
    if (want.empty()) return true;  // every component of the pattern matched
    std::string_view have = next_component(&path);
    if (have.empty()) return false;
    const bool wild = want.find_first_of("*?[") != std::string_view::npos;
    if (wild ? !glob_match(want, have, false) : want != have) return false;
  }
}
}  // namespace detail

}  // namespace riposte::detector::rules
