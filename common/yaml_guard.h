// A pre-check for YAML text before it reaches yaml-cpp 0.7's LoadAll/Load.
//
// yaml-cpp 0.7 (Debian bookworm) never returns, and allocates without bound, when a token the
// document parser does not consume is left at the top level, e.g. a stray ',' at the start of
// a line (jbeder/yaml-cpp#1040, fixed upstream by #1319; Falco hit it as
// falcosecurity/falco#3281). Rules and playbooks are user input, so both loaders walk the
// stream with the event parser first and report where it stops advancing.
#pragma once

#include <optional>
#include <string>

namespace riposte {

struct YamlStall {
  int line = 0;    // zero-based, as YAML::Mark
  int column = 0;  // zero-based
};

// Where the parser would loop forever, or nullopt if LoadAll is safe. A malformed stream that
// yaml-cpp rejects with an exception is "safe": the exception reaches the caller's LoadAll.
std::optional<YamlStall> find_yaml_stall(const std::string& text);

}  // namespace riposte
