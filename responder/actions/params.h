// Typed access to a step's params for Action::validate and Action::execute alike: each
// action parses its params with one function that takes a ParamReader, so the checks done
// at load and the values used at run time cannot drift apart.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "responder/actions/action.h"

namespace riposte::actions {

class ParamReader {
 public:
  // params: the step's "params" node; undefined or null means no params.
  // errors: where problems go (at execute time, after validation, they are simply ignored).
  ParamReader(const YAML::Node& params, std::vector<ParamError>* errors);

  // nullopt when absent or invalid (then an error is recorded).
  std::optional<int64_t> integer(const std::string& key, int64_t min, int64_t max);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::string> string(const std::string& key);

  // Records an error for every key no accessor asked for; call after the accessors.
  void reject_unknown();

 private:
  YAML::Node lookup(const std::string& key);
  void error(const YAML::Node& at, std::string message);

  YAML::Node params_;
  std::vector<ParamError>* errors_;
  std::set<std::string> known_;
};

}  // namespace riposte::actions
