// Playbooks: YAML files saying which alerts to answer with which actions.
//
//   name: kill-shell-in-container          # unique across everything loaded
//   description: ...                       # optional
//   dry_run: false                         # optional; true: report, never send
//   match:
//     rules: ["Terminal shell in container"]   # exact names or globs (* ?)
//     priority: ">=Notice"                     # optional: "Critical", ">=", ">", "<=", "<", "="
//     namespaces: [shop, "team-*"]             # optional, globs on k8s.ns.name
//     source: syscall                          # optional
//   steps:
//     - action: pod.delete
//       params: {grace_period_seconds: 0}      # checked by the action at load
//       continue_on_error: false               # optional
//
// A file holds one playbook, a YAML list of them, or several "---" documents. Loading checks
// the whole input and reports every problem as "file:line:col: error: message".
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "responder/actions/registry.h"
#include "responder/playbook/match.h"

namespace riposte::playbook {

struct Step {
  std::string action;
  const actions::Action* impl = nullptr;  // bound at load; owned by the registry
  YAML::Node params;                      // null when the step has none
  bool continue_on_error = false;
};

struct Playbook {
  std::string name;
  std::string description;
  Match match;
  std::vector<Step> steps;
  bool dry_run = false;
  std::string origin;  // "file:line:col" of its definition, for logs
};

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when not about a position
  int column = 0;  // 1-based
  std::string message;
  // "file:line:col: error: message"
  std::string str() const;
};

struct LoadResult {
  std::vector<Playbook> playbooks;  // only the playbooks without problems
  std::vector<Diagnostic> errors;
  bool ok() const { return errors.empty(); }
  std::string error_text() const;  // one diagnostic per line
};

// file_name is used in diagnostics only.
LoadResult parse_playbooks(
    std::string_view yaml, const std::string& file_name,
    const actions::ActionRegistry& registry = actions::ActionRegistry::builtin());
// A file, or a directory whose *.yaml and *.yml files (not recursive) load in name order.
// Names must be unique across all of them.
LoadResult load_playbooks(const std::string& path, const actions::ActionRegistry& registry =
                                                       actions::ActionRegistry::builtin());

}  // namespace riposte::playbook
