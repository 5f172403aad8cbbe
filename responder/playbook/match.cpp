#include "responder/playbook/match.h"

#include <algorithm>
#include <array>
#include <utility>

#include "responder/actions/target.h"

namespace riposte::playbook {

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative with one backtrack point: linear-ish, no recursion on hostile rule names.
  size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool PriorityFilter::matches(Priority p) const {
  // Lower enum value = more severe.
  switch (op) {
    case kAtLeast:
      return p <= priority;
    case kMoreThan:
      return p < priority;
    case kAtMost:
      return p >= priority;
    case kLessThan:
      return p > priority;
    case kEqual:
      return p == priority;
  }
  return false;
}

Result<PriorityFilter> parse_priority_filter(std::string_view text) {
  // Longest operators first so ">=" is not read as ">".
  static constexpr std::array<std::pair<std::string_view, PriorityFilter::Op>, 6> kOps = {{
      {">=", PriorityFilter::kAtLeast},
      {"<=", PriorityFilter::kAtMost},
      {"==", PriorityFilter::kEqual},
      {">", PriorityFilter::kMoreThan},
      {"<", PriorityFilter::kLessThan},
      {"=", PriorityFilter::kEqual},
  }};
  PriorityFilter f;
  std::string_view rest = text;
  for (const auto& [token, op] : kOps) {
    if (rest.substr(0, token.size()) == token) {
      f.op = op;
      rest.remove_prefix(token.size());
      break;
    }
  }
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  auto p = parse_priority(rest);
  if (!p) {
    return Error{"bad priority \"" + std::string(text.substr(0, 64)) +
                 "\": expected an optional >=, >, <=, <, = and one of Emergency, Alert, "
                 "Critical, Error, Warning, Notice, Informational, Debug"};
  }
  f.priority = *p;
  return f;
}

bool Match::matches(const Alert& alert) const {
  auto glob_any = [](const std::vector<std::string>& globs, std::string_view s) {
    return std::any_of(globs.begin(), globs.end(),
                       [&](const std::string& g) { return glob_match(g, s); });
  };
  if (!glob_any(rules, alert.rule)) return false;
  if (priority && !priority->matches(alert.priority)) return false;
  if (!source.empty() && source != alert.source) return false;
  if (!namespaces.empty()) {
    auto it = alert.output_fields.find(actions::kNamespaceField);
    if (it == alert.output_fields.end() || !it->is_string()) return false;
    if (!glob_any(namespaces, it->get_ref<const std::string&>())) return false;
  }
  return true;
}

}  // namespace riposte::playbook
