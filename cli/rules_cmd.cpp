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
  auto parsed = f.parse(args);
  if (!parsed) {
    std::fprintf(stderr, "%s\n", parsed.error().c_str());
    return 2;
  }
  if (!*parsed) {
    std::fputs(f.help().c_str(), stdout);
    return 0;
  }
  if (files.empty()) {
    std::fprintf(stderr, "riposte rules validate: no files given (see --help)\n");
    return 2;
  }
  auto res = detector::rules::load_rules(files);
  for (const auto& d : res.diagnostics) std::printf("%s\n", d.str().c_str());
  const size_t rules = res.ruleset ? res.ruleset->all_rules().size() : 0;
  std::fprintf(stderr, "%zu rules, %zu errors, %zu warnings\n", rules, res.errors(),
               res.warnings());
  return res.ok() ? 0 : 1;
}

}  // namespace riposte::cli
