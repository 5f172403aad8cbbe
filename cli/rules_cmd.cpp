#include <cstdio>

#include "cli/commands.h"
#include "common/flags.h"
#include "detector/rules/ruleset.h"

namespace riposte::cli {

int rules_validate(const Args& args) {
  std::vector<std::string> files;
  Flags f("riposte rules validate",
          "Loads Falco rules files in order, as the detector would (later files append to and "
          "override earlier ones), and prints every problem as file:line:col: error|warning: "
          "message. Exits 1 when there is any error, 0 otherwise (warnings do not fail).",
          "riposte rules validate FILE [FILE ...]");
  f.add_positional("FILE", &files, "Falco rules files, loaded in the order given");
  if (int rc = parse_flags(f, args); rc >= 0) return rc;
  if (files.empty()) {
    std::fprintf(stderr, "riposte rules validate: no files given (see --help)\n");
    return 2;
  }
  detector::rules::LoadOptions opts;
  opts.warn_unfilled_fields = true;  // validate is for riposte's detector: say what it cannot see
  auto res = detector::rules::load_rules(files, opts);
  for (const auto& d : res.diagnostics) std::printf("%s\n", d.str().c_str());
  const size_t rules = res.ruleset ? res.ruleset->all_rules().size() : 0;
  std::fprintf(stderr, "%zu rules, %zu errors, %zu warnings\n", rules, res.errors(),
               res.warnings());
  return res.ok() ? 0 : 1;
}

int rules_explain(const Args& args) {
  std::vector<std::string> files;
  std::vector<std::string> names;
  Flags f("riposte rules explain",
          "Loads Falco rules files in order (as riposte rules validate does) and explains one "
          "rule: its condition after macro, list and exception expansion, the event types it "
          "needs (the kernel-side filter and the rule index use them), and the checks in the "
          "order they are evaluated. Load errors go to stderr; a rule that did not compile "
          "cannot be explained. Without RULE: for each rule that can match an exec, the path "
          "it takes when enforcing (--enforce or an enforcing playbook): kernel (killed at "
          "exec by the kernel) or hold-and-decide, with the reason, naming the field. Exits 1 "
          "when the rule is unknown or did not compile.",
          "riposte rules explain [RULE] --rules FILE [--rules FILE ...]");
  f.add_list("rules", &files, "FILE", "Falco rules file; repeat to load several, in order");
  f.add_positional("RULE", &names, "the rule's name (quote it: names have spaces)");
  if (int rc = parse_flags(f, args); rc >= 0) return rc;
  if (names.size() > 1) {
    std::fprintf(stderr, "riposte rules explain: give at most one rule name (see --help)\n");
    return 2;
  }
  if (files.empty()) {
    std::fprintf(stderr, "riposte rules explain: no --rules files given (see --help)\n");
    return 2;
  }
  detector::rules::LoadOptions opts;
  opts.expand_conditions = true;
  auto res = detector::rules::load_rules(files, opts);
  for (const auto& d : res.diagnostics)
    if (d.severity == detector::rules::Diagnostic::kError)
      std::fprintf(stderr, "%s\n", d.str().c_str());
  if (names.empty()) {
    if (!res.ruleset) return 1;
    std::fputs(detector::rules::explain_enforcement(*res.ruleset).c_str(), stdout);
    return res.ok() ? 0 : 1;
  }
  const detector::rules::CompiledRule* rule =
      res.ruleset ? res.ruleset->find(names[0]) : nullptr;
  if (rule == nullptr) {
    std::fprintf(stderr,
                 "riposte rules explain: no rule named '%s' compiled from the files given%s\n",
                 names[0].c_str(), res.ok() ? "" : " (see the errors above)");
    return 1;
  }
  std::fputs(detector::rules::explain_rule(*rule).c_str(), stdout);
  return 0;
}

}  // namespace riposte::cli
