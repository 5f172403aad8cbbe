// riposte's Falco-compatible rules engine: public API.
//
// Pipeline: YAML files (lists, macros, rules; append/override; exceptions) → validation →
// condition ASTs with positions (parser.h) → compiled filters with typed constants (filter.h)
// → rules indexed by event type → evaluation, and output rendering into Falco alerts.
//
//   auto res = rules::load_rules({"/etc/riposte/rules.yaml"}, {});
//   for (const auto& d : res.diagnostics) log(d.str());
//   if (!res.ok()) exit(1);
//   std::vector<const rules::CompiledRule*> hits;
//   res.ruleset->evaluate(event, &hits);
//   for (auto* r : hits) publish(rules::make_alert(*r, event, hostname));
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/alert.h"
#include "detector/event/event.h"
#include "detector/rules/filter.h"
#include "detector/rules/output.h"

namespace riposte::detector::rules {

// The Falco engine version riposte claims to implement (for required_engine_version).
inline constexpr std::string_view kEngineVersion = "0.57.0";

struct Diagnostic {
  enum Severity { kError, kWarning };
  Severity severity = kError;
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int col = 0;   // 1-based; 0 when unknown
  // Falco's load_result codes: LOAD_ERR_YAML_PARSE, LOAD_ERR_YAML_VALIDATE, LOAD_ERR_VALIDATE,
  // LOAD_ERR_COMPILE_CONDITION, LOAD_ERR_COMPILE_OUTPUT, LOAD_ERR_FILE_READ; warnings
  // LOAD_UNKNOWN_SOURCE, LOAD_NO_EVTTYPE, LOAD_UNKNOWN_FILTER, LOAD_UNUSED_MACRO,
  // LOAD_UNUSED_LIST, LOAD_UNKNOWN_ITEM, LOAD_UNKNOWN_KEY, LOAD_DEPRECATED_ITEM,
  // LOAD_APPEND_NO_VALUES, LOAD_UNKNOWN_EVTTYPE, LOAD_ENGINE_VERSION, LOAD_COMPILE_CONDITION
  // (libsinsp's compiler hints), LOAD_RULE_REDEFINED
  // (riposte's: a later file replaces a rule of an earlier one without override),
  // LOAD_UNFILLED_FIELD (riposte's: a field the sensor never fills, see LoadOptions).
  std::string code;
  std::string message;
  // "file:line:col: error: message" (or "warning"); ":line:col" left out when unknown.
  std::string str() const;
};

enum class RuleMatching { kFirst, kAll };

struct LoadOptions {
  // Falco's rule_matching: "first" reports only the first matching rule (in load order) per
  // event; "all" reports every matching rule.
  RuleMatching rule_matching = RuleMatching::kFirst;
  // Rules less severe than this are not loaded (Falco's priority setting).
  Priority min_priority = Priority::kDebug;
  // Value of evt.hostname in conditions; empty = gethostname().
  std::string hostname;
  // Fill CompiledRule::expanded_condition (for `riposte rules explain`).
  bool expand_conditions = false;
  // Warn (LOAD_UNFILLED_FIELD, riposte's) once per rule and field for each field a rule's
  // condition or output reads that riposte's sensor never fills (fd.sip.name, evt.buffer...):
  // the rule loads but cannot see what it looks for. Set by the detector and `riposte rules
  // validate`; off for the language alone (Falco's own test cases).
  bool warn_unfilled_fields = false;
};

struct CompiledRule {
  std::string name;
  std::string desc;
  std::string source = "syscall";
  std::string output;  // the format, as written
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;  // sorted, unique (as Falco keeps them)
  bool enabled = true;
  EventTypeSet event_types;  // types the condition can match
  size_t index = 0;          // load order
  std::vector<std::string> exception_fields;
  // The condition with macros, lists and exceptions expanded, as text (only with
  // LoadOptions::expand_conditions).
  std::string expanded_condition;

  Filter filter;
  OutputFormat format;
};

class Ruleset {
 public:
  // Appends the rules matching `ev` to *out (cleared first), in load order; with
  // RuleMatching::kFirst at most one. Returns the number appended. Thread-safe (each thread
  // uses its own scratch space); no heap allocation when nothing matches and `out` has
  // capacity.
  size_t evaluate(const Event& ev, std::vector<const CompiledRule*>* out) const;
  // Whether one rule matches `ev`, whatever the rule matching mode (an enforcing rule must
  // be asked even when an earlier rule took the event under RuleMatching::kFirst).
  bool matches(const Event& ev, const CompiledRule& rule) const;

  // Every EventType that at least one enabled rule can match (for the kernel-side filter).
  const EventTypeSet& event_types() const { return types_; }

  // The open(2) paths an enabled rule can match, per access class (for the kernel-side open
  // filter; see open_paths.h).
  const OpenPaths& open_paths() const { return open_paths_; }

  // Whether an enabled rule's condition or output reads `field` (with any argument:
  // "proc.env" covers proc.env[HOME]); the sensor captures some data only for such rules.
  bool reads_field(std::string_view field) const;

  // Enabled rules, in load order.
  const std::vector<const CompiledRule*>& enabled_rules() const { return enabled_; }
  // Every successfully compiled rule, enabled or not, in load order.
  const std::vector<std::unique_ptr<CompiledRule>>& all_rules() const { return rules_; }
  const CompiledRule* find(std::string_view name) const;

  RuleMatching rule_matching() const { return matching_; }
  const std::string& hostname() const { return hostname_; }

 private:
  friend class Loader;
  std::vector<std::unique_ptr<CompiledRule>> rules_;
  std::vector<const CompiledRule*> enabled_;
  std::vector<const CompiledRule*> by_type_[kEventTypeCount];
  std::vector<FilterChain> chains_;  // per event type: its rules as one program
  EventTypeSet types_;
  OpenPaths open_paths_;  // starts as "no path"; each rule that can match an open adds its own
  uint32_t result_slots_ = 0;  // remembered sub-condition results (FilterLinker)
  RuleMatching matching_ = RuleMatching::kFirst;
  std::string hostname_;
};

struct LoadResult {
  // The rules that compiled; present even when some items had errors (those are left out).
  std::unique_ptr<Ruleset> ruleset;
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return ruleset != nullptr && errors() == 0; }
  size_t errors() const;
  size_t warnings() const;
};

// Loads rules files in order (later files append to / override earlier ones).
LoadResult load_rules(const std::vector<std::string>& files, const LoadOptions& opts = {});

struct RulesSource {
  std::string name;  // used as the file name in diagnostics
  std::string content;
};
LoadResult load_rules_from_sources(const std::vector<RulesSource>& sources,
                                   const LoadOptions& opts = {});
LoadResult load_rules_from_string(std::string_view yaml, const LoadOptions& opts = {},
                                  std::string name = "<string>");

// Builds the Falco alert for a rule that matched `ev`: output with %field substitution
// ("<NA>" for missing values), output_fields with typed values (null when missing), tags,
// priority, source, time, hostname and a fresh uuid.
Alert make_alert(const CompiledRule& rule, const Event& ev, std::string_view hostname);

// Falco's stdout line: "HH:MM:SS.nnnnnnnnn: Priority output" (time in UTC).
std::string format_text_line(const Alert& alert);

// What `riposte rules explain` prints for a rule loaded with LoadOptions::expand_conditions:
// its condition with macros, lists and exceptions expanded, the event types it needs, and
// the checks as they are evaluated (cheapest likely-deciding operand first).
std::string explain_rule(const CompiledRule& rule);

// What `riposte rules explain` prints without a rule: for each enabled rule that can match an
// exec, the path it would take if enforcing: "kernel" (decided at exec by the kernel) or
// "hold-and-decide" with the reason the kernel cannot decide it, naming the field.
std::string explain_enforcement(const Ruleset& rules);

}  // namespace riposte::detector::rules
