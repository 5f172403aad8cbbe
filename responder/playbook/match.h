// Which alerts a playbook handles: rule names (exact or glob), a priority comparison, the
// namespace and the event source. Later issues add field conditions here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/alert.h"
#include "common/result.h"

namespace riposte::playbook {

// Shell-style glob over the whole text: '*' any run (also empty), '?' one byte. No escapes.
bool glob_match(std::string_view pattern, std::string_view text);

// "Critical" (same as ">=Critical"), ">=", ">", "<=", "<", "=" or "==" followed by one of
// Falco's priority names, case-insensitive. "Greater" means more severe.
struct PriorityFilter {
  enum Op { kAtLeast, kMoreThan, kAtMost, kLessThan, kEqual };
  Op op = kAtLeast;
  Priority priority = Priority::kDebug;
  bool matches(Priority p) const;
};
Result<PriorityFilter> parse_priority_filter(std::string_view text);

struct Match {
  std::vector<std::string> rules;  // globs; at least one (use "*" to mean every rule)
  std::optional<PriorityFilter> priority;
  std::vector<std::string> namespaces;  // globs on output field k8s.ns.name; empty: any
  std::string source;                   // "" for any, else exact ("syscall", "k8s_audit")
  bool matches(const Alert& alert) const;
};

}  // namespace riposte::playbook
