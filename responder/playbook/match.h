// Which alerts a playbook handles: rule names (exact or glob), a priority comparison, tags,
// conditions on output fields, the namespace and the event source. All given conditions must
// hold. The same conditions (without the required rules) make a step's `when`.
#pragma once

#include <memory>
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

// A POSIX extended regular expression, searched (not anchored: use ^ and $). POSIX rather
// than std::regex because the text is attacker-controlled and std::regex recurses per
// character: a long field could overflow the stack.
class Regex {
 public:
  static Result<std::shared_ptr<const Regex>> compile(const std::string& pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  bool search(const std::string& text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string pattern_;
};

// One test on an alert output field. Values compare as text: numbers and booleans in their
// JSON spelling ("42", "true"). A null field counts as absent. Only `!=` and `exists: false`
// hold for an absent field.
struct FieldCondition {
  enum Op { kEquals, kNotEquals, kIn, kNotIn, kGlob, kRegex, kExists };
  std::string field;
  Op op = kEquals;
  std::vector<std::string> values;      // kEquals/kNotEquals/kGlob: one; kIn/kNotIn: the set
  std::shared_ptr<const Regex> regex;   // kRegex
  bool exists = true;                   // kExists: true = must be present, false = absent
  bool matches(const Alert& alert) const;
};

struct Match {
  std::vector<std::string> rules;  // globs; empty: any rule (only `when` may leave it empty)
  std::optional<PriorityFilter> priority;
  // Any of these sets, each of whose tags the alert must all carry; empty: any tags.
  std::vector<std::vector<std::string>> tags;
  std::vector<FieldCondition> output_fields;  // all must hold
  std::vector<std::string> namespaces;        // globs on output field k8s.ns.name; empty: any
  std::string source;                         // "" for any, else exact ("syscall", "k8s_audit")
  bool matches(const Alert& alert) const;
};

}  // namespace riposte::playbook
