#include <cstdio>

#include "cli/commands.h"
#include "common/flags.h"

namespace riposte::cli {

int parse_flags(Flags& f, const Args& args) {
  auto parsed = f.parse(args);
  if (!parsed) {
    std::fprintf(stderr, "%s\n", parsed.error().c_str());
    return 2;
  }
  if (!*parsed) {
    std::fputs(f.help().c_str(), stdout);
    return 0;
  }
  return -1;
}

}  // namespace riposte::cli
