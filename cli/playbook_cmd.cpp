#include <cstdio>

#include "cli/commands.h"
#include "common/flags.h"
#include "responder/playbook/playbook.h"

namespace riposte::cli {

int playbook_validate(const Args& args) {
  std::vector<std::string> paths;
  Flags f("riposte playbook validate",
          "Loads playbook files (or directories of *.yaml / *.yml) as the responder would and "
          "prints every problem as file:line:col: error: message. Exits 1 on any error.",
          "riposte playbook validate PATH [PATH ...]");
  f.add_positional("PATH", &paths, "playbook files or directories");
  auto parsed = f.parse(args);
  if (!parsed) {
    std::fprintf(stderr, "%s\n", parsed.error().c_str());
    return 2;
  }
  if (!*parsed) {
    std::fputs(f.help().c_str(), stdout);
    return 0;
  }
  if (paths.empty()) {
    std::fprintf(stderr, "riposte playbook validate: no paths given (see --help)\n");
    return 2;
  }
  size_t playbooks = 0, errors = 0;
  for (const auto& p : paths) {
    auto res = playbook::load_playbooks(p);
    for (const auto& d : res.errors) std::printf("%s\n", d.str().c_str());
    playbooks += res.playbooks.size();
    errors += res.errors.size();
  }
  std::fprintf(stderr, "%zu playbooks, %zu errors\n", playbooks, errors);
  return errors == 0 ? 0 : 1;
}

}  // namespace riposte::cli
