// Enforcing rules from playbooks: a playbook with `enforce` (responder/playbook/playbook.h,
// Enforce) makes the exec rules it matches enforcing, within its guardrails. The detector
// reads the same playbooks as the responder - files or directories (polled, as the
// responder's PlaybookStore does: a mounted ConfigMap is a swapped symlink) and Playbook /
// ClusterPlaybook objects (handed in by the CRD source) - and replaces its hold set when
// they change, without a restart.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "detector/enforce/exec_hold.h"
#include "responder/playbook/playbook.h"

namespace riposte::detector {

// Adds to *plan every enabled exec rule of `ruleset` that an enforcing playbook matches (by
// its match.rules globs), enforced by that playbook. *unmatched (if given) gets the names of
// enforcing playbooks that match no exec rule.
void add_playbook_enforcers(const rules::Ruleset& ruleset,
                            const std::vector<playbook::Playbook>& playbooks, HoldPlan* plan,
                            std::vector<std::string>* unmatched = nullptr);

// The playbooks of these files and directories; unlike load_playbooks, directories without
// any playbook file are no error (the playbooks were all removed): nothing is enforcing.
playbook::LoadResult load_playbook_files(const std::vector<std::string>& paths);

class PlaybookEnforcement {
 public:
  explicit PlaybookEnforcement(std::vector<std::string> paths) : paths_(std::move(paths)) {}

  // The accepted Playbook objects (from the CRD source's thread), replacing the last ones.
  void set_objects(std::vector<playbook::Playbook> objects);
  // Reloads the files when they changed; the playbooks in force (files, then objects) when
  // anything changed since the last call, else nothing. Files with an error are refused as a
  // whole (logged): the last good set stays in force.
  std::optional<std::vector<playbook::Playbook>> poll();

 private:
  std::vector<std::string> paths_;
  std::string fingerprint_;
  bool first_ = true;
  std::vector<playbook::Playbook> files_;
  std::mutex mu_;
  std::optional<std::vector<playbook::Playbook>> objects_;  // new objects not yet polled
  std::vector<playbook::Playbook> objects_in_force_;
};

}  // namespace riposte::detector
