// `riposte` subcommands. Each takes the arguments after its own name and returns the exit
// code; usage errors print one line and return 2.
#pragma once

#include <string>
#include <vector>

namespace riposte {
class Flags;
}

namespace riposte::cli {

using Args = std::vector<std::string>;

// Parses args into f: -1 to go on, else the exit code (0 after --help, 2 on a usage error,
// which it prints).
int parse_flags(Flags& f, const Args& args);

int rules_validate(const Args& args);
int rules_explain(const Args& args);
int playbook_validate(const Args& args);
int playbook_test(const Args& args);
int playbook_import_talon(const Args& args);
int alert_publish(const Args& args);
int workload_restore(const Args& args);
int network_unisolate(const Args& args);
int container_thaw(const Args& args);

}  // namespace riposte::cli
