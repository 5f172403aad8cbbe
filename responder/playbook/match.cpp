#include "responder/playbook/match.h"

#include <regex.h>

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

struct Regex::Impl {
  regex_t re{};
};

Result<std::shared_ptr<const Regex>> Regex::compile(const std::string& pattern) {
  std::shared_ptr<Regex> r(new Regex());
  r->impl_ = std::make_unique<Impl>();
  r->pattern_ = pattern;
  int rc = regcomp(&r->impl_->re, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char buf[256];
    regerror(rc, &r->impl_->re, buf, sizeof buf);
    r->impl_.reset();  // nothing to free after a failed regcomp
    return Error{"bad regex \"" + pattern.substr(0, 64) + "\": " + buf};
  }
  return std::shared_ptr<const Regex>(std::move(r));
}

Regex::~Regex() {
  if (impl_) regfree(&impl_->re);
}

bool Regex::search(const std::string& text) const {
  // regexec stops at a NUL byte; a field with one cannot be matched as a whole, so it fails.
  if (text.find('\0') != std::string::npos) return false;
  return regexec(&impl_->re, text.c_str(), 0, nullptr, 0) == 0;
}

bool FieldCondition::matches(const Alert& alert) const {
  std::string value;
  const bool present = alert.field_string(field, &value);
  switch (op) {
    case kExists:
      return present == exists;
    case kNotEquals:
      return !present || value != values.front();
    case kEquals:
      return present && value == values.front();
    case kIn:
      return present && std::find(values.begin(), values.end(), value) != values.end();
    case kNotIn:  // like !=: an absent field is in no set
      return !present || std::find(values.begin(), values.end(), value) == values.end();
    case kGlob:
      return present && glob_match(values.front(), value);
    case kRegex:
      return present && regex && regex->search(value);
  }
  return false;
}

bool Match::matches(const Alert& alert) const {
  auto glob_any = [](const std::vector<std::string>& globs, std::string_view s) {
    return std::any_of(globs.begin(), globs.end(),
                       [&](const std::string& g) { return glob_match(g, s); });
  };
  if (!rules.empty() && !glob_any(rules, alert.rule)) return false;
  if (priority && !priority->matches(alert.priority)) return false;
  if (!source.empty() && source != alert.source) return false;
  if (!namespaces.empty()) {
    auto it = alert.output_fields.find(actions::kNamespaceField);
    if (it == alert.output_fields.end() || !it->is_string()) return false;
    if (!glob_any(namespaces, it->get_ref<const std::string&>())) return false;
  }
  if (!tags.empty()) {
    auto has_all = [&](const std::vector<std::string>& set) {
      return std::all_of(set.begin(), set.end(), [&](const std::string& t) {
        return std::find(alert.tags.begin(), alert.tags.end(), t) != alert.tags.end();
      });
    };
    if (!std::any_of(tags.begin(), tags.end(), has_all)) return false;
  }
  return std::all_of(output_fields.begin(), output_fields.end(),
                     [&](const FieldCondition& c) { return c.matches(alert); });
}

}  // namespace riposte::playbook
