// Typed access to a step's params for Action::validate and Action::execute alike: each
// action parses its params with one function that takes a ParamReader, so the checks done
// at load and the values used at run time cannot drift apart.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "responder/actions/action.h"

namespace riposte::actions {

// A day: any longer and the "response" is no response.
inline constexpr int64_t kMaxGracePeriodSeconds = 86400;

// An entry of a string-to-string mapping param, with where it is, for per-entry errors.
struct ParamEntry {
  std::string key;
  std::string value;
  YAML::Mark mark;
};

class ParamReader {
 public:
  // params: the step's "params" node; undefined or null means no params.
  // errors: where problems go (at execute time, after validation, they are simply ignored).
  ParamReader(const YAML::Node& params, std::vector<ParamError>* errors);

  // nullopt when absent or invalid (then an error is recorded).
  std::optional<int64_t> integer(const std::string& key, int64_t min, int64_t max);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::string> string(const std::string& key);
  // One of the given strings (exact match).
  std::optional<std::string> one_of(const std::string& key,
                                    std::initializer_list<std::string_view> choices);
  // A list of strings (a single string is not accepted: lists stay lists).
  std::optional<std::vector<std::string>> string_list(const std::string& key);
  // A non-empty mapping of string keys to string values (numbers and booleans are taken as
  // written: YAML scalars), in file order.
  std::optional<std::vector<ParamEntry>> string_map(const std::string& key);

  // Where a param is (for errors from the caller's own checks); the params' own position
  // when it is absent.
  YAML::Mark mark_of(const std::string& key);
  bool has(const std::string& key) { return lookup(key).IsDefined(); }
  // Records that a required param is absent (at the params, or the step when there are none).
  void missing(const std::string& key);
  // Records a problem found by the caller's own checks (syntax of a value, ...).
  void error(const YAML::Mark& at, std::string message);
  // Whether any problem was recorded through this reader or before it.
  bool has_errors() const { return errors_ && !errors_->empty(); }

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
