#include "responder/playbook/playbook.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace riposte::playbook {
namespace {

using Keys = std::initializer_list<std::string_view>;

constexpr size_t kMaxNameLength = 253;

int one_based(int zero_based) { return zero_based >= 0 ? zero_based + 1 : 0; }

std::string join(Keys keys) {
  std::string out;
  for (auto k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

// Parses one input (file or string) into out->playbooks, out->errors. Checks everything it
// can even after a problem, so one run shows every mistake in the file.
class Parser {
 public:
  Parser(std::string file, const actions::ActionRegistry& registry,
         std::map<std::string, std::string>* seen_names, LoadResult* out)
      : file_(std::move(file)), registry_(registry), seen_(seen_names), out_(out) {}

  void parse(std::string_view yaml) {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(std::string(yaml));
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

 private:
  void error(const YAML::Mark& mark, std::string message) {
    out_->errors.push_back(
        {file_, one_based(mark.line), one_based(mark.column), std::move(message)});
  }
  void error(const YAML::Node& at, std::string message) { error(at.Mark(), std::move(message)); }

  std::string position(const YAML::Node& n) const {
    return file_ + ":" + std::to_string(one_based(n.Mark().line)) + ":" +
           std::to_string(one_based(n.Mark().column));
  }

  // Unknown and repeated keys of a mapping.
  void check_keys(const YAML::Node& map, Keys allowed, std::string_view what) {
    std::set<std::string> seen;
    for (const auto& kv : map) {
      const YAML::Node& key = kv.first;
      if (!key.IsScalar()) {
        error(key, std::string(what) + " keys must be strings");
        continue;
      }
      const std::string& k = key.Scalar();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        error(key, "unknown key \"" + k + "\" in " + std::string(what) +
                       " (expected one of: " + join(allowed) + ")");
      } else if (!seen.insert(k).second) {
        error(key, "duplicate key \"" + k + "\" in " + std::string(what));
      }
    }
  }

  // nullopt when absent (no error) or not a string (error).
  std::optional<std::string> scalar(const YAML::Node& map, const char* key) {
    const YAML::Node v = map[key];
    if (!v) return std::nullopt;
    if (!v.IsScalar()) {
      error(v, "\"" + std::string(key) + "\" must be a string");
      return std::nullopt;
    }
    return v.Scalar();
  }

  std::optional<bool> boolean(const YAML::Node& map, const char* key) {
    const YAML::Node v = map[key];
    if (!v) return std::nullopt;
    bool b = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
      error(v, "\"" + std::string(key) + "\" must be true or false");
      return std::nullopt;
    }
    return b;
  }

  // A string or a list of non-empty strings.
  std::vector<std::string> string_list(const YAML::Node& v, const char* key) {
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

  void match(const YAML::Node& node, Match* m) {
    if (!node.IsMap()) {
      error(node, "\"match\" must be a mapping");
      return;
    }
    check_keys(node, {"rules", "priority", "namespaces", "source"}, "match");
    if (const YAML::Node rules = node["rules"]) {
      m->rules = string_list(rules, "rules");
    } else {
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
  }

  void step(const YAML::Node& node, Step* s) {
    if (!node.IsMap()) {
      error(node, "a step must be a mapping with \"action\"");
      return;
    }
    check_keys(node, {"action", "params", "continue_on_error"}, "step");
    s->continue_on_error = boolean(node, "continue_on_error").value_or(false);
    // Assigning an absent lookup throws in yaml-cpp; an absent key leaves params undefined.
    if (const YAML::Node params = node["params"]) s->params = params;
    auto action = scalar(node, "action");
    if (!action) {
      if (!node["action"]) error(node, "step has no \"action\"");
      return;
    }
    s->action = *action;
    s->impl = registry_.find(*action);
    if (!s->impl) {
      auto known = registry_.names();
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      error(node["action"], "unknown action \"" + *action + "\" (known: " + list + ")");
      return;
    }
    for (auto& e : s->impl->validate(s->params)) {
      // Problems with absent params have no position of their own: point at the step.
      error(e.mark.is_null() ? node.Mark() : e.mark, *action + ": " + e.message);
    }
  }

  void steps(const YAML::Node& node, std::vector<Step>* out) {
    if (!node.IsSequence()) {
      error(node, "\"steps\" must be a list");
      return;
    }
    if (node.size() == 0) error(node, "\"steps\" is empty");
    for (const YAML::Node& item : node) step(item, &out->emplace_back());
  }

  void name(const YAML::Node& node, Playbook* pb) {
    auto name = scalar(node, "name");
    if (!name) {
      if (!node["name"]) error(node, "playbook has no \"name\"");
      return;
    }
    if (name->empty() || name->size() > kMaxNameLength) {
      error(node["name"], "\"name\" must have 1 to 253 characters");
      return;
    }
    pb->name = *name;
    auto [it, fresh] = seen_->emplace(*name, pb->origin);
    if (!fresh) {
      error(node["name"],
            "duplicate playbook name \"" + *name + "\" (first defined at " + it->second + ")");
    }
  }

  void playbook(const YAML::Node& node) {
    const size_t errors_before = out_->errors.size();
    if (!node.IsMap()) {
      error(node, "a playbook must be a mapping with name, match and steps");
      return;
    }
    Playbook pb;
    pb.origin = position(node);
    check_keys(node, {"name", "description", "dry_run", "match", "steps"}, "playbook");
    name(node, &pb);
    pb.description = scalar(node, "description").value_or("");
    pb.dry_run = boolean(node, "dry_run").value_or(false);
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

  const std::string file_;
  const actions::ActionRegistry& registry_;
  std::map<std::string, std::string>* seen_;  // playbook name -> where first defined
  LoadResult* out_;
};

bool is_playbook_file(const std::filesystem::path& p) {
  return p.extension() == ".yaml" || p.extension() == ".yml";
}

void load_file(const std::string& path, const actions::ActionRegistry& registry,
               std::map<std::string, std::string>* seen, LoadResult* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out->errors.push_back({path, 0, 0, std::string("cannot read: ") + std::strerror(errno)});
    return;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  Parser(path, registry, seen, out).parse(buf.str());
}

}  // namespace

std::string Diagnostic::str() const {
  std::string pos = file;
  if (line > 0) pos += ":" + std::to_string(line) + ":" + std::to_string(column);
  return pos + ": error: " + message;
}

std::string LoadResult::error_text() const {
  std::string out;
  for (const auto& d : errors) out += (out.empty() ? "" : "\n") + d.str();
  return out;
}

LoadResult parse_playbooks(std::string_view yaml, const std::string& file_name,
                           const actions::ActionRegistry& registry) {
  LoadResult out;
  std::map<std::string, std::string> seen;
  Parser(file_name, registry, &seen, &out).parse(yaml);
  return out;
}

LoadResult load_playbooks(const std::string& path, const actions::ActionRegistry& registry) {
  namespace fs = std::filesystem;
  LoadResult out;
  std::map<std::string, std::string> seen;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    load_file(path, registry, &seen, &out);
  } else {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.is_regular_file() && is_playbook_file(entry.path())) files.push_back(entry.path());
    }
    if (ec) out.errors.push_back({path, 0, 0, "cannot list: " + ec.message()});
    std::sort(files.begin(), files.end());
    for (const auto& f : files) load_file(f, registry, &seen, &out);
  }
  if (out.ok() && out.playbooks.empty()) out.errors.push_back({path, 0, 0, "no playbooks found"});
  return out;
}

}  // namespace riposte::playbook
