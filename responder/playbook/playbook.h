// Playbooks: YAML files saying which alerts to answer with which actions.
//
//   name: kill-shell-in-container          # unique across everything loaded
//   description: ...                       # optional
//   dry_run: false                         # optional; true: report, never send
//   stop: false                            # optional; true: no later playbook runs for a match
//   cooldown: 5m                           # optional; or {period: 5m, key: "<template>"}
//   enforce:                               # optional: the detector stops the matched execs
//     mode: kill                           #   before they run (see Enforce)
//     host: false                          #   optional; true: host processes too
//   match:
//     rules: ["Terminal shell in container"]   # exact names or globs (* ?)
//     priority: ">=Notice"                     # optional: "Critical", ">=", ">", "<=", "<", "="
//     tags: [container, shell]                 # optional: all of one set; [[a, b], [c]]: any set
//     output_fields:                           # optional, all must hold
//       k8s.ns.name: shop                      #   equals (same as {"=": shop})
//       user.name: {"!=": root}
//       proc.name: {in: [sh, bash]}
//       k8s.ns.name: {not_in: [kube-system]}   # absent also counts as not in
//       container.image.repository: {glob: "*httpd*"}
//       proc.cmdline: {regex: "^nc .*-e"}
//       fd.name: {exists: true}
//     namespaces: [shop, "team-*"]             # optional, globs on k8s.ns.name
//     source: syscall                          # optional
//   steps:
//     - name: delete                           # optional; lets later steps' `when` refer to it
//       action: pod.delete
//       params: {grace_period_seconds: 0}      # checked by the action at load; string values
//                                              # may be templates: "{{ output_fields['k'] }}"
//       continue_on_error: false               # optional
//       timeout: 10s                           # optional
//       when:                                  # optional: the match keys (all optional) plus
//         steps: {delete: [succeeded, dry-run]}  # earlier named steps' statuses
//
// A file holds one playbook, a YAML list of them, or several "---" documents. Loading checks
// the whole input and reports every problem as "file:line:col: error: message".
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "responder/actions/registry.h"
#include "responder/playbook/match.h"
#include "responder/playbook/template.h"

namespace riposte::playbook {

// A step's `when`: conditions on the alert and on the results of earlier named steps.
struct When {
  struct StepStatus {
    std::string step;                                  // an earlier step's name
    size_t index = 0;                                  // its position in steps
    std::vector<actions::ActionResult::Status> any_of;  // the statuses that let this step run
  };
  Match alert;  // rules may be empty here
  std::vector<StepStatus> steps;
};

struct Step {
  std::string name;  // "" when unnamed
  std::string action;
  const actions::Action* impl = nullptr;  // bound at load; owned by the registry
  YAML::Node params;                      // null when the step has none; may hold templates
  bool templated = false;                 // params hold templates: render per alert
  bool continue_on_error = false;
  int64_t timeout_ms = 0;  // 0: none
  std::optional<When> when;
};

// At most one run per period for the same target; the alerts in between are counted, not
// acted on. The target is `key` rendered for the alert; without a key, the pod
// (k8s.ns.name/k8s.pod.name), else the host.
struct Cooldown {
  int64_t period_ms = 0;
  std::optional<Template> key;
};

// The detector holds every exec that could match one of the playbook's rules (those that can
// match an exec) in the kernel, evaluates the rule and this playbook's match on the alert it
// would raise, and kills the process before its first instruction when both hold and the
// guardrails allow it: the match's namespaces, the Playbook object's namespace, the
// detector's protected namespaces; host processes only with `host`; a dry-run playbook
// resumes the process and counts it. The steps still run in the responder for the alert.
struct Enforce {
  enum class Mode { kKill };
  Mode mode = Mode::kKill;
  bool host = false;  // also kill matches outside containers (never for a Playbook object)
};

struct Playbook {
  std::string name;
  std::string description;
  Match match;
  std::vector<Step> steps;
  bool dry_run = false;
  bool stop = false;
  std::optional<Cooldown> cooldown;
  std::optional<Enforce> enforce;
  std::string origin;  // "file:line:col" of its definition, for logs
  // A namespaced Playbook object's namespace ("" otherwise): the playbook then answers only
  // alerts about that namespace and its actions may touch nothing outside it (the engine
  // enforces both, through the guardrails).
  std::string namespace_;
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
// Several paths as one set (names unique across all), in the order given.
LoadResult load_playbooks(const std::vector<std::string>& paths,
                          const actions::ActionRegistry& registry =
                              actions::ActionRegistry::builtin());

// The files load_playbooks reads for path (path itself, or the directory's playbook files).
std::vector<std::string> playbook_files(const std::string& path);

// What load_playbooks reads for paths, as "file:size:mtime:inode" lines: a change in any file
// (or in the set of files) changes it. stat follows symlinks: a swapped ConfigMap shows up.
std::string playbook_files_fingerprint(const std::vector<std::string>& paths);

// The cooldown target of an alert for a playbook (see Cooldown); an error when the key
// template names an undefined field.
Result<std::string> cooldown_target(const Cooldown& cooldown, const Alert& alert);

}  // namespace riposte::playbook
