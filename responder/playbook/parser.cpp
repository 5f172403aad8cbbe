#include "responder/playbook/parser.h"

#include <algorithm>
#include <set>

#include "common/yaml_guard.h"
#include "responder/playbook/duration.h"

namespace riposte::playbook::detail {
namespace {

constexpr size_t kMaxNameLength = 253;

int one_based(int zero_based) { return zero_based >= 0 ? zero_based + 1 : 0; }

std::string join(Keys keys) {
  std::string out;
  for (auto k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

bool same_mark(const YAML::Mark& a, const YAML::Mark& b) {
  return a.line == b.line && a.column == b.column;
}

}  // namespace

void Parser::parse(std::string_view yaml) {
  const std::string text(yaml);
  if (auto stall = find_yaml_stall(text)) {
    YAML::Mark at;
    at.line = stall->line;
    at.column = stall->column;
    error(at, "unexpected token outside of any collection (a stray ',' ?)");
    return;
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    error(e.mark, e.msg);
    return;
  }
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;  // an empty document, e.g. after a trailing "---"
    if (doc.IsSequence()) {
      for (const YAML::Node& item : doc) playbook(item);
    } else {
      playbook(doc);
    }
  }
}

void Parser::error(const YAML::Mark& mark, std::string message) {
  out_->errors.push_back({file_, one_based(mark.line), one_based(mark.column), std::move(message)});
}

std::string Parser::position(const YAML::Node& n) const {
  return file_ + ":" + std::to_string(one_based(n.Mark().line)) + ":" +
         std::to_string(one_based(n.Mark().column));
}

void Parser::check_keys(const YAML::Node& map, Keys allowed, std::string_view what) {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const YAML::Node& key = kv.first;
    if (!key.IsScalar()) {
      error(key, std::string(what) + " keys must be strings");
      continue;
    }
    const std::string& k = key.Scalar();
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      error(key, "unknown key \"" + k + "\" in " + std::string(what) + " (expected one of: " +
                     join(allowed) + ")");
    } else if (!seen.insert(k).second) {
      error(key, "duplicate key \"" + k + "\" in " + std::string(what));
    }
  }
}

std::optional<std::string> Parser::scalar(const YAML::Node& map, const char* key) {
  const YAML::Node v = map[key];
  if (!v) return std::nullopt;
  if (!v.IsScalar()) {
    error(v, "\"" + std::string(key) + "\" must be a string");
    return std::nullopt;
  }
  return v.Scalar();
}

std::optional<bool> Parser::boolean(const YAML::Node& map, const char* key) {
  const YAML::Node v = map[key];
  if (!v) return std::nullopt;
  bool b = false;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
    error(v, "\"" + std::string(key) + "\" must be true or false");
    return std::nullopt;
  }
  return b;
}

std::optional<int64_t> Parser::duration(const YAML::Node& v, const char* key) {
  if (!v.IsScalar()) {
    error(v, "\"" + std::string(key) + "\" must be a duration such as 30s or 5m");
    return std::nullopt;
  }
  auto ms = parse_duration_ms(v.Scalar());
  if (!ms) {
    error(v, "\"" + std::string(key) + "\": " + ms.error());
    return std::nullopt;
  }
  return *ms;
}

std::vector<std::string> Parser::string_list(const YAML::Node& v, const char* key) {
  std::vector<std::string> out;
  if (v.IsScalar()) {
    out.push_back(v.Scalar());
  } else if (v.IsSequence()) {
    for (const YAML::Node& item : v) {
      if (item.IsScalar()) {
        out.push_back(item.Scalar());
      } else {
        error(item, "\"" + std::string(key) + "\" entries must be strings");
      }
    }
  } else {
    error(v, "\"" + std::string(key) + "\" must be a string or a list of strings");
    return out;
  }
  if (out.empty()) error(v, "\"" + std::string(key) + "\" is empty");
  if (std::find(out.begin(), out.end(), "") != out.end()) {
    error(v, "\"" + std::string(key) + "\" has an empty entry");
  }
  return out;
}

void Parser::playbook(const YAML::Node& node) {
  const size_t errors_before = out_->errors.size();
  if (!node.IsMap()) {
    error(node, "a playbook must be a mapping with name, match and steps");
    return;
  }
  Playbook pb;
  pb.origin = position(node);
  check_keys(node,
             {"name", "description", "dry_run", "stop", "cooldown", "enforce", "match", "steps"},
             "playbook");
  name(node, &pb);
  pb.description = scalar(node, "description").value_or("");
  pb.dry_run = boolean(node, "dry_run").value_or(false);
  pb.stop = boolean(node, "stop").value_or(false);
  if (const YAML::Node c = node["cooldown"]) cooldown(c, &pb);
  if (const YAML::Node e = node["enforce"]) enforce(e, &pb);
  if (const YAML::Node m = node["match"]) {
    match(m, &pb.match);
  } else {
    error(node, "playbook has no \"match\"");
  }
  if (const YAML::Node s = node["steps"]) {
    steps(s, &pb.steps);
  } else {
    error(node, "playbook has no \"steps\"");
  }
  if (out_->errors.size() == errors_before) out_->playbooks.push_back(std::move(pb));
}

void Parser::name(const YAML::Node& node, Playbook* pb) {
  auto n = scalar(node, "name");
  if (!n) {
    if (!node["name"]) error(node, "playbook has no \"name\"");
    return;
  }
  if (n->empty() || n->size() > kMaxNameLength) {
    error(node["name"], "\"name\" must have 1 to 253 characters");
    return;
  }
  pb->name = *n;
  auto [it, fresh] = seen_->emplace(*n, pb->origin);
  if (!fresh) {
    error(node["name"],
          "duplicate playbook name \"" + *n + "\" (first defined at " + it->second + ")");
  }
}

void Parser::cooldown(const YAML::Node& node, Playbook* pb) {
  Cooldown c;
  // Separate nodes, never reassigned: assigning a yaml-cpp node writes through to the tree.
  const YAML::Node period = node.IsMap() ? node["period"] : node;
  if (node.IsMap()) {
    check_keys(node, {"period", "key"}, "cooldown");
    if (auto key = scalar(node, "key")) {
      auto t = Template::parse(*key);
      if (!t) {
        error(node["key"], t.error());
      } else {
        c.key = std::move(*t);
      }
    }
  }
  if (!period) {
    error(node, "\"cooldown\" has no \"period\"");
    return;
  }
  if (auto ms = duration(period, "cooldown")) c.period_ms = *ms;
  pb->cooldown = std::move(c);
}

void Parser::enforce(const YAML::Node& node, Playbook* pb) {
  if (!node.IsMap()) {
    error(node, "\"enforce\" must be a mapping such as {mode: kill}");
    return;
  }
  check_keys(node, {"mode", "host"}, "enforce");
  Enforce e;
  if (auto mode = scalar(node, "mode")) {
    if (*mode != "kill") {
      error(node["mode"], "unknown enforce mode \"" + *mode + "\" (expected: kill)");
      return;
    }
  } else if (!node["mode"]) {
    error(node, "\"enforce\" has no \"mode\" (expected: kill)");
    return;
  }
  e.host = boolean(node, "host").value_or(false);
  pb->enforce = e;
}

void Parser::steps(const YAML::Node& node, std::vector<Step>* out) {
  if (!node.IsSequence()) {
    error(node, "\"steps\" must be a list");
    return;
  }
  if (node.size() == 0) error(node, "\"steps\" is empty");
  for (const YAML::Node& item : node) {
    Step s;
    step(item, *out, &s);
    out->push_back(std::move(s));
  }
}

void Parser::step(const YAML::Node& node, const std::vector<Step>& earlier, Step* s) {
  if (!node.IsMap()) {
    error(node, "a step must be a mapping with \"action\"");
    return;
  }
  check_keys(node, {"name", "action", "params", "continue_on_error", "timeout", "when"}, "step");
  if (auto n = scalar(node, "name")) {
    if (n->empty()) error(node["name"], "step \"name\" is empty");
    for (const Step& e : earlier) {
      if (!n->empty() && e.name == *n) error(node["name"], "duplicate step name \"" + *n + "\"");
    }
    s->name = *n;
  }
  s->continue_on_error = boolean(node, "continue_on_error").value_or(false);
  if (const YAML::Node t = node["timeout"]) s->timeout_ms = duration(t, "timeout").value_or(0);
  if (const YAML::Node w = node["when"]) when(w, earlier, &s->when.emplace());
  // Assigning an absent lookup throws in yaml-cpp; an absent key leaves params undefined.
  if (const YAML::Node p = node["params"]) s->params = p;
  auto action = scalar(node, "action");
  if (!action) {
    if (!node["action"]) error(node, "step has no \"action\"");
    return;
  }
  s->action = *action;
  s->impl = registry_.find(*action);
  if (!s->impl) {
    std::string list;
    for (const auto& n : registry_.names()) list += (list.empty() ? "" : ", ") + n;
    error(node["action"], "unknown action \"" + *action + "\" (known: " + list + ")");
    return;
  }
  params(node, s);
}

void Parser::params(const YAML::Node& node, Step* s) {
  std::vector<TemplateError> template_errors;
  std::vector<YAML::Mark> templated;
  check_templates(s->params, &template_errors, &templated);
  for (auto& e : template_errors) error(e.mark, s->action + ": " + e.message);
  s->templated = !templated.empty();
  for (auto& e : s->impl->validate(s->params)) {
    // A templated value's type is known only once rendered: the engine checks it again then.
    if (std::any_of(templated.begin(), templated.end(),
                    [&](const YAML::Mark& m) { return same_mark(m, e.mark); })) {
      continue;
    }
    // Problems with absent params have no position of their own: point at the step.
    error(e.mark.is_null() ? node.Mark() : e.mark, s->action + ": " + e.message);
  }
}

}  // namespace riposte::playbook::detail
