// The conditions of `match` and of a step's `when`.
#include <algorithm>

#include "responder/playbook/parser.h"

namespace riposte::playbook::detail {
namespace {

std::optional<actions::ActionResult::Status> parse_status(const std::string& s) {
  for (auto st : {actions::ActionResult::kSucceeded, actions::ActionResult::kFailed,
                  actions::ActionResult::kSkipped, actions::ActionResult::kDryRun}) {
    if (actions::status_name(st) == s) return st;
  }
  return std::nullopt;
}

}  // namespace

void Parser::match(const YAML::Node& node, Match* m) {
  if (!node.IsMap()) {
    error(node, "\"match\" must be a mapping");
    return;
  }
  check_keys(node, {"rules", "priority", "namespaces", "source", "tags", "output_fields"}, "match");
  conditions(node, /*require_rules=*/true, m);
}

void Parser::when(const YAML::Node& node, const std::vector<Step>& earlier, When* w) {
  if (!node.IsMap()) {
    error(node, "\"when\" must be a mapping");
    return;
  }
  check_keys(node,
             {"rules", "priority", "namespaces", "source", "tags", "output_fields", "steps"},
             "when");
  conditions(node, /*require_rules=*/false, &w->alert);
  if (const YAML::Node s = node["steps"]) step_statuses(s, earlier, w);
}

void Parser::conditions(const YAML::Node& node, bool require_rules, Match* m) {
  if (const YAML::Node rules = node["rules"]) {
    m->rules = string_list(rules, "rules");
  } else if (require_rules) {
    error(node, "\"match\" has no \"rules\" (use \"*\" to match every rule)");
  }
  if (auto p = scalar(node, "priority")) {
    auto filter = parse_priority_filter(*p);
    if (filter) {
      m->priority = *filter;
    } else {
      error(node["priority"], filter.error());
    }
  }
  if (const YAML::Node ns = node["namespaces"]) m->namespaces = string_list(ns, "namespaces");
  if (auto s = scalar(node, "source")) m->source = *s;
  if (const YAML::Node t = node["tags"]) tags(t, m);
  if (const YAML::Node f = node["output_fields"]) output_fields(f, m);
}

void Parser::tags(const YAML::Node& node, Match* m) {
  // [a, b]: one set, all required. [[a, b], [c]]: any of the sets.
  if (node.IsSequence() && node.size() > 0 && node[0].IsSequence()) {
    for (const YAML::Node& set : node) {
      if (!set.IsSequence()) {
        error(set, "\"tags\" mixes sets and single tags: use [[a, b], [c]] or [a, b]");
        continue;
      }
      m->tags.push_back(string_list(set, "tags"));
    }
    return;
  }
  m->tags.push_back(string_list(node, "tags"));
}

void Parser::output_fields(const YAML::Node& node, Match* m) {
  if (!node.IsMap()) {
    error(node,
          "\"output_fields\" must be a mapping of field name to a value or a test "
          "({\"=\": v}, {\"!=\": v}, {in: [..]}, {not_in: [..]}, {glob: p}, {regex: r}, {exists: "
          "bool})");
    return;
  }
  if (node.size() == 0) error(node, "\"output_fields\" is empty");
  for (const auto& kv : node) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty()) {
      error(kv.first, "\"output_fields\" keys must be field names");
      continue;
    }
    field_condition(kv.first.Scalar(), kv.second, m);
  }
}

void Parser::field_condition(const std::string& field, const YAML::Node& test, Match* m) {
  FieldCondition c;
  c.field = field;
  if (test.IsScalar()) {
    c.op = FieldCondition::kEquals;
    c.values = {test.Scalar()};
    m->output_fields.push_back(std::move(c));
    return;
  }
  if (!test.IsMap() || test.size() == 0) {
    error(
        test,
        "output_fields[\"" + field +
            "\"] must be a value or a mapping with one of =, !=, in, not_in, glob, regex, exists");
    return;
  }
  check_keys(test, {"=", "!=", "in", "not_in", "glob", "regex", "exists"},
             "output_fields[\"" + field + "\"]");
  for (const auto& kv : test) {
    if (!kv.first.IsScalar()) continue;  // reported by check_keys
    const std::string& op = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    FieldCondition cond;
    cond.field = field;
    if (op == "in" || op == "not_in") {
      cond.op = op == "in" ? FieldCondition::kIn : FieldCondition::kNotIn;
      cond.values = string_list(v, op.c_str());
    } else if (op == "exists") {
      cond.op = FieldCondition::kExists;
      if (!v.IsScalar() || !YAML::convert<bool>::decode(v, cond.exists)) {
        error(v, "\"exists\" must be true or false");
        continue;
      }
    } else if (op == "=" || op == "!=" || op == "glob" || op == "regex") {
      if (!v.IsScalar()) {
        error(v, "\"" + op + "\" takes one string");
        continue;
      }
      cond.values = {v.Scalar()};
      cond.op = op == "=" ? FieldCondition::kEquals
                : op == "!=" ? FieldCondition::kNotEquals
                : op == "glob" ? FieldCondition::kGlob
                               : FieldCondition::kRegex;
      if (cond.op == FieldCondition::kRegex) {
        auto re = Regex::compile(v.Scalar());
        if (!re) {
          error(v, re.error());
          continue;
        }
        cond.regex = std::move(*re);
      }
    } else {
      continue;  // reported by check_keys
    }
    m->output_fields.push_back(std::move(cond));
  }
}

void Parser::step_statuses(const YAML::Node& node, const std::vector<Step>& earlier, When* w) {
  if (!node.IsMap() || node.size() == 0) {
    error(node, "\"steps\" in \"when\" must map earlier step names to statuses "
                "(succeeded, failed, skipped, dry-run)");
    return;
  }
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      error(kv.first, "step names must be strings");
      continue;
    }
    const std::string& name = kv.first.Scalar();
    auto it = std::find_if(earlier.begin(), earlier.end(),
                           [&](const Step& s) { return !s.name.empty() && s.name == name; });
    if (it == earlier.end()) {
      error(kv.first, "\"when\" refers to \"" + name + "\", which is not an earlier step's name");
      continue;
    }
    When::StepStatus ref{name, static_cast<size_t>(it - earlier.begin()), {}};
    for (const std::string& s : string_list(kv.second, "steps")) {
      auto st = parse_status(s);
      if (!st) {
        error(kv.second, "unknown step status \"" + s +
                             "\" (expected succeeded, failed, skipped or dry-run)");
        continue;
      }
      ref.any_of.push_back(*st);
    }
    w->steps.push_back(std::move(ref));
  }
}

}  // namespace riposte::playbook::detail
