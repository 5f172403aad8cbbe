// A Playbook object's spec as playbook YAML, so it goes through exactly the loader files go
// through, plus the way back from a loader position to the field it names. The spec is
// written as JSON (valid YAML flow style) with every node starting on a line of its own, so a
// diagnostic's line alone says which field it is about: "spec.steps[0].action".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace riposte::responder::crd {

struct SpecText {
  std::string yaml;
  std::vector<std::string> line_paths;  // per line (0-based): the field starting there, or ""

  // The field at a 1-based line ("spec" when unknown).
  std::string path_at(int line) const;
};

// The spec with `name` added first (reported as metadata.name), as the loader's input.
SpecText spec_text(const nlohmann::json& spec, const std::string& name);

}  // namespace riposte::responder::crd
