// `riposte playbook import-talon`: turns Falco Talon's rules files (rules and actions) into
// riposte playbooks. Talon's semantics, read from falcosecurity/falco-talon:
//   - files are lists of actions (`- action:` with `actionner`, `parameters`, ...) and rules
//     (`- rule:` with `match` and `actions` that name an action and may add to it); a later
//     item with the same name is merged into the first (an override file);
//   - a rule matches when every given key holds: `rules` (exact names, none = any),
//     `priority` ("Critical" exactly, or with <, <=, >, >=), `source`, `tags` (items are
//     alternatives, each "a, b" needs all of its tags), `output_fields` (items are
//     alternatives, each "k=v, k2!=v2" needs all of its tests; != also holds when absent);
//   - its actions run in order; a failed one stops the rule unless `ignore_errors: true`; one
//     with `continue: false` (the default of kubernetes:terminate and kubernetes:delete) is
//     the last; a rule with `continue: false` stops the later rules; `dry_run: true` acts on
//     nothing.
// What cannot be said in a playbook is reported with its reason and position, and a rule with
// anything untranslated becomes a dry-run playbook, so it never acts otherwise than Talon
// would have until someone reviewed it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace riposte::cli {

struct TalonNote {
  std::string position;  // file:line:col
  std::string message;
  bool translated = false;  // true: a remark on something translated (e.g. a difference)
  std::string str() const;  // "file:line:col: warning: not translated: ..." or "note: ..."
};

struct TalonImport {
  std::string yaml;  // the playbooks, a YAML list ("[]" when none)
  std::vector<TalonNote> notes;
  int playbooks = 0;
  int constructs = 0;  // Talon constructs seen: match keys and items, actions, parameters,
  int translated = 0;  // settings; of which translated
};

// files: (name for positions, text). An error when a file is not Talon's format at all.
Result<TalonImport> import_talon(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace riposte::cli
