// riposte: the operator's command line. Dispatches "<group> <verb>" to cli/commands.h.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace {

struct Command {
  const char* group;
  const char* verb;
  const char* summary;
  int (*run)(const riposte::cli::Args&);
};

constexpr Command kCommands[] = {
    {"rules", "validate", "check Falco rules files; file:line:col errors and warnings",
     riposte::cli::rules_validate},
    {"rules", "explain", "show a rule's expanded condition and the event types it needs",
     riposte::cli::rules_explain},
    {"playbook", "validate", "check playbook files or directories; file:line:col errors",
     riposte::cli::playbook_validate},
    {"playbook", "test", "show what playbooks would do with an alert, without a cluster",
     riposte::cli::playbook_test},
    {"playbook", "import-talon", "turn Falco Talon rules into playbooks; says what it cannot",
     riposte::cli::playbook_import_talon},
    {"alert", "publish", "put a Falco JSON alert on the NATS JetStream bus",
     riposte::cli::alert_publish},
    {"workload", "restore", "scale a workload back to where workload.scale found it",
     riposte::cli::workload_restore},
    {"network", "unisolate", "remove the NetworkPolicy network.isolate put on a pod",
     riposte::cli::network_unisolate},
    {"container", "thaw", "thaw a container container.freeze froze (through its node)",
     riposte::cli::container_thaw},
};

void usage(FILE* out) {
  std::fprintf(out,
               "riposte: command line for riposte, the detect-and-act engine for Kubernetes.\n\n"
               "Usage: riposte <command> [args]   (riposte <command> --help for its flags)\n\n"
               "Commands:\n");
  for (const auto& c : kCommands) {
    std::fprintf(out, "  %-22s %s\n", (std::string(c.group) + " " + c.verb).c_str(), c.summary);
  }
  std::fprintf(out, "  %-22s %s\n", "version", "print the version");
  std::fprintf(out,
               "\nThe daemons have their own binaries: riposte-detector --help, "
               "riposte-responder --help.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "version") || !std::strcmp(argv[1], "--version")) {
    std::printf("riposte %s\n", RIPOSTE_VERSION);
    return 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.group) != 0) continue;
    if (argc >= 3 && !std::strcmp(argv[2], c.verb)) {
      return c.run(riposte::cli::Args(argv + 3, argv + argc));
    }
  }
  std::fprintf(stderr, "riposte: unknown command '%s%s%s' (see riposte --help)\n", argv[1],
               argc >= 3 ? " " : "", argc >= 3 ? argv[2] : "");
  return 2;
}
