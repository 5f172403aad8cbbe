// Internal to the playbook loader: turns YAML documents into Playbooks, recording every
// problem with its position instead of stopping at the first. Split over parser.cpp
// (playbooks, steps, cooldowns) and parser_match.cpp (match and when conditions).
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "responder/playbook/playbook.h"

namespace riposte::playbook::detail {

using Keys = std::initializer_list<std::string_view>;

class Parser {
 public:
  Parser(std::string file, const actions::ActionRegistry& registry,
         std::map<std::string, std::string>* seen_names, LoadResult* out)
      : file_(std::move(file)), registry_(registry), seen_(seen_names), out_(out) {}

  void parse(std::string_view yaml);

 private:
  // --- generic (parser.cpp) ---
  void error(const YAML::Mark& mark, std::string message);
  void error(const YAML::Node& at, std::string message) { error(at.Mark(), std::move(message)); }
  std::string position(const YAML::Node& n) const;
  void check_keys(const YAML::Node& map, Keys allowed, std::string_view what);
  std::optional<std::string> scalar(const YAML::Node& map, const char* key);
  std::optional<bool> boolean(const YAML::Node& map, const char* key);
  std::optional<int64_t> duration(const YAML::Node& v, const char* key);
  std::vector<std::string> string_list(const YAML::Node& v, const char* key);

  // --- playbooks and steps (parser.cpp) ---
  void playbook(const YAML::Node& node);
  void name(const YAML::Node& node, Playbook* pb);
  void steps(const YAML::Node& node, std::vector<Step>* out);
  void step(const YAML::Node& node, const std::vector<Step>& earlier, Step* s);
  void params(const YAML::Node& node, Step* s);
  void cooldown(const YAML::Node& node, Playbook* pb);
  void enforce(const YAML::Node& node, Playbook* pb);

  // --- conditions (parser_match.cpp) ---
  void match(const YAML::Node& node, Match* m);
  void when(const YAML::Node& node, const std::vector<Step>& earlier, When* w);
  // The keys match and when share; require_rules only for match.
  void conditions(const YAML::Node& node, bool require_rules, Match* m);
  void tags(const YAML::Node& node, Match* m);
  void output_fields(const YAML::Node& node, Match* m);
  void field_condition(const std::string& field, const YAML::Node& test, Match* m);
  void step_statuses(const YAML::Node& node, const std::vector<Step>& earlier, When* w);

  const std::string file_;
  const actions::ActionRegistry& registry_;
  std::map<std::string, std::string>* seen_;  // playbook name -> where first defined
  LoadResult* out_;
};

}  // namespace riposte::playbook::detail
