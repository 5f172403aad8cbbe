// The ruleset: the event-type index, evaluation, alert making and `rules explain`; the
// load_rules* entry points run the loader (loader.h).
#include "detector/rules/ruleset.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include "common/yaml_guard.h"
#include "detector/rules/loader.h"
#include "detector/rules/parser.h"

namespace riposte::detector::rules {

std::string Diagnostic::str() const {
  std::string s = file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (col > 0) s += ':' + std::to_string(col);
  }
  s += severity == kError ? ": error: " : ": warning: ";
  s += message;
  return s;
}

size_t LoadResult::errors() const {
  return static_cast<size_t>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const auto& d) {
    return d.severity == Diagnostic::kError;
  }));
}

size_t LoadResult::warnings() const { return diagnostics.size() - errors(); }

const CompiledRule* Ruleset::find(std::string_view name) const {
  for (const auto& r : rules_)
    if (r->name == name) return r.get();
  return nullptr;
}

bool Ruleset::reads_field(std::string_view field) const {
  // "proc.env" matches "proc.env" and "proc.env[HOME]", not "proc.envx"
  auto is = [field](std::string_view name) {
    return name.starts_with(field) && (name.size() == field.size() || name[field.size()] == '[');
  };
  for (const CompiledRule* r : enabled_) {
    for (const std::string& f : r->filter.fields())
      if (is(f)) return true;
    for (const std::string& f : r->format.field_names())
      if (is(f)) return true;
  }
  return false;
}

namespace {
thread_local EvalScratch t_scratch;
}  // namespace

size_t Ruleset::evaluate(const Event& ev, std::vector<const CompiledRule*>* out) const {
  out->clear();
  auto idx = static_cast<size_t>(ev.type);
  if (idx >= kEventTypeCount) return 0;
  if (idx >= chains_.size() || by_type_[idx].empty()) return 0;
  t_scratch.begin_event();
  EvalContext ctx{&ev, hostname_, &t_scratch};
  return chains_[idx].run(
      ctx,
      [](void* o, const void* tag) {
        static_cast<std::vector<const CompiledRule*>*>(o)->push_back(
            static_cast<const CompiledRule*>(tag));
      },
      out);
}

bool Ruleset::matches(const Event& ev, const CompiledRule& rule) const {
  if (!rule.enabled || !rule.filter.event_types().contains(ev.type)) return false;
  t_scratch.begin_event();
  EvalContext ctx{&ev, hostname_, &t_scratch};
  return rule.filter.eval(ctx);
}

Alert make_alert(const CompiledRule& rule, const Event& ev, std::string_view hostname) {
  Alert a;
  a.time_ns = static_cast<int64_t>(ev.ts_ns);
  a.rule = rule.name;
  a.priority = rule.priority;
  a.source = rule.source;
  a.hostname = std::string(hostname);
  a.tags = rule.tags;
  a.uuid = new_uuid();
  t_scratch.begin_event();
  EvalContext ctx{&ev, hostname, &t_scratch};
  rule.format.render(ctx, &a.output, &a.output_fields);
  return a;
}

std::string format_text_line(const Alert& alert) {
  std::string s;
  format_time_hms(static_cast<uint64_t>(alert.time_ns), &s);
  s += ": ";
  s += priority_name(alert.priority);
  s += ' ';
  s += alert.output;
  return s;
}

std::string explain_enforcement(const Ruleset& rules) {
  std::string s;
  size_t kernel = 0, hold = 0;
  for (const CompiledRule* r : rules.enabled_rules()) {
    if (!r->event_types.contains(EventType::kExecve)) continue;
    const KernelProgram k = r->filter.kernel_program();
    s += r->name + ": " + (k.decidable() ? "kernel" : "hold-and-decide (" + k.why_not + ")") + "\n";
    ++(k.decidable() ? kernel : hold);
  }
  s += std::to_string(kernel) + " rules decided in the kernel, " + std::to_string(hold) +
       " hold-and-decide (if enforcing; rules that cannot match an exec are left out)\n";
  return s;
}

std::string explain_rule(const CompiledRule& rule) {
  std::string s;
  s += "rule: " + rule.name + "\n";
  s += "priority: " + std::string(priority_name(rule.priority)) + "\n";
  s += "source: " + rule.source + "\n";
  s += std::string("enabled: ") + (rule.enabled ? "true" : "false") + "\n";
  if (!rule.tags.empty()) {
    s += "tags:";
    for (const auto& t : rule.tags) s += " " + t;
    s += "\n";
  }
  std::vector<EventType> types = rule.event_types.to_vector();
  if (rule.event_types.is_all()) {
    s += "event types: all (the condition does not restrict evt.type)\n";
  } else {
    s += "event types (" + std::to_string(types.size()) + "):";
    for (EventType t : types) s += " " + std::string(event_type_name(t));
    if (types.empty()) s += " none (the rule can never match)";
    s += "\n";
  }
  if (rule.event_types.intersects(EventTypeSet::opens())) {
    // What the kernel-side open filter lets through for this rule (open_paths.h).
    const OpenPaths p = rule.filter.open_paths();
    auto describe = [](const PathSet& set) {
      if (set.is_any()) return std::string("any path");
      if (set.prefixes().empty()) return std::string("none (or only relative, '..', '/.', '//' paths)");
      std::string out;
      for (const auto& prefix : set.prefixes()) out += (out.empty() ? "" : " ") + prefix + "*";
      return out;
    };
    s += "open paths, read-only: " + describe(p.read) + "\n";
    s += "open paths, write: " + describe(p.write) + "\n";
  }
  if (rule.event_types.contains(EventType::kExecve)) {
    // With --enforce: which execs the kernel holds for this rule (exec_names.h); the rest
    // of the condition is decided by the detector while the process waits.
    const ExecNames n = rule.filter.exec_names();
    auto describe = [](const NameSet& set) {
      if (set.is_any()) return std::string("any");
      std::string out;
      for (const auto& name : set.names()) out += (out.empty() ? "" : " ") + name;
      return out.empty() ? std::string("none") : out;
    };
    s += "exec hold (--enforce): held in the kernel when proc.name is " + describe(n.name) +
         " and proc.pname is " + describe(n.pname) +
         " (not under a job-control shell: killed as it runs there); decided in user space\n";
    // Which path an enforcing rule takes (kernel_program.h).
    const KernelProgram k = rule.filter.kernel_program();
    s += k.decidable()
             ? "enforcement path: kernel (killed at exec by the kernel, no round trip; a "
               "process whose parent or cgroup the kernel is not sure of takes the hold path)\n"
             : "enforcement path: hold-and-decide (" + k.why_not + ")\n";
  }
  s += "condition (macros, lists and exceptions expanded):\n  ";
  s += rule.expanded_condition.empty() ? std::string("(not expanded: load with expand_conditions)")
                                       : rule.expanded_condition;
  s += "\n";
  s += "evaluated as (evt.type checks decided by the index left out; each and/or tries first "
       "what is cheap and likely to decide):\n";
  std::string d = rule.filter.describe();
  size_t start = 0;
  while (start < d.size()) {
    size_t nl = d.find('\n', start);
    if (nl == std::string::npos) nl = d.size();
    s += "  " + d.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  s += "output: " + rule.output + "\n";
  return s;
}

// ===========================================================================================
// Loader

LoadResult load_rules(const std::vector<std::string>& files, const LoadOptions& opts) {
  Loader l(opts);
  for (const auto& f : files) l.add_file(f);
  return l.finish();
}

LoadResult load_rules_from_sources(const std::vector<RulesSource>& sources,
                                   const LoadOptions& opts) {
  Loader l(opts);
  for (const auto& s : sources) l.add_source(s);
  return l.finish();
}

LoadResult load_rules_from_string(std::string_view yaml, const LoadOptions& opts,
                                  std::string name) {
  return load_rules_from_sources({RulesSource{std::move(name), std::string(yaml)}}, opts);
}

}  // namespace riposte::detector::rules
