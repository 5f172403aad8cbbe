// The reader and collector of the rules loader (loader.h): YAML items -> list, macro and rule
// definitions with positions; append, override and exceptions merged as Falco does.
// Over 600 lines because each item kind's reading and Falco's append/override merge of it are
// one pass over the YAML sharing the item indexes; split by item kind next (issue 14 item 1).
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include "common/yaml_guard.h"
#include "detector/rules/loader.h"
#include "detector/rules/parser.h"

namespace riposte::detector::rules {

void Loader::add_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Diagnostic d;
    d.file = path;
    d.code = "LOAD_ERR_FILE_READ";
    d.message = "cannot read rules file";
    add(std::move(d));
    files_.push_back(File{path, {}, {0}});  // keeps its place in the diagnostics' order
    return;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  add_source({path, ss.str()});
}

void Loader::add_source(const RulesSource& src) {
  int fi = static_cast<int>(files_.size());
  files_.push_back(File{src.name, src.content, {}});
  File& f = files_.back();
  f.line_starts.push_back(0);
  for (size_t i = 0; i < f.content.size(); ++i)
    if (f.content[i] == '\n') f.line_starts.push_back(i + 1);

  std::vector<YAML::Node> docs;
  try {
    if (auto stall = find_yaml_stall(f.content)) {
      error(Origin{fi, 0, stall->line, stall->column}, "LOAD_ERR_YAML_PARSE",
            "unexpected token outside of any collection (a stray ',' ?)");
      return;
    }
    docs = YAML::LoadAll(f.content);
  } catch (const YAML::Exception& e) {
    Origin o{fi, 0, e.mark.line, e.mark.column};
    error(o, "LOAD_ERR_YAML_PARSE", e.msg);
    return;
  }
  for (const auto& doc : docs) {
    if (!doc.IsDefined() || doc.IsNull()) continue;
    if (!doc.IsSequence()) {
      error(origin_of(fi, doc), "LOAD_ERR_YAML_VALIDATE",
            "Rules content is not yaml array of objects");
      continue;
    }
    for (const auto& item : doc) {
      if (item.IsNull()) continue;
      try {
        read_item(fi, item);
      } catch (const YAML::Exception& e) {
        error(origin_of(fi, item), "LOAD_ERR_YAML_VALIDATE", e.msg);
      }
    }
  }
}

bool Loader::get_string(int fi, const YAML::Node& item, const char* key, std::string* out,
                        bool required, const std::string& what) {
  const YAML::Node v = item[key];
  if (!v.IsDefined()) {
    if (required)
      error(origin_of(fi, item), "LOAD_ERR_YAML_VALIDATE",
            what + ": item has no mapping for key '" + key + "'");
    return false;
  }
  if (v.IsNull()) {
    out->clear();
    return true;
  }
  if (!v.IsScalar()) {
    error(origin_of(fi, v), "LOAD_ERR_YAML_VALIDATE",
          what + ": value for key '" + key + "' must be a string");
    return false;
  }
  *out = v.Scalar();
  return true;
}

bool Loader::get_bool(int fi, const YAML::Node& item, const char* key, bool* out,
                      const std::string& what) {
  const YAML::Node v = item[key];
  if (!v.IsDefined()) return false;
  bool b = false;
  if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
    error(origin_of(fi, v), "LOAD_ERR_YAML_VALIDATE",
          what + ": value for key '" + key + "' must be a boolean");
    return false;
  }
  *out = b;
  return true;
}

bool Loader::get_uint(int fi, const YAML::Node& item, const char* key, uint64_t* out,
                      const std::string& what) {
  const YAML::Node v = item[key];
  if (!v.IsDefined()) return false;
  const std::string s = v.IsScalar() ? v.Scalar() : std::string();
  uint64_t n = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    error(origin_of(fi, v), "LOAD_ERR_YAML_VALIDATE",
          what + ": value for key '" + key + "' must be a non-negative integer");
    return false;
  }
  *out = n;
  return true;
}

bool Loader::get_string_seq(int fi, const YAML::Node& item, const char* key,
                            std::vector<std::string>* out, const std::string& what) {
  const YAML::Node v = item[key];
  if (!v.IsDefined() || v.IsNull()) return v.IsDefined();
  if (!v.IsSequence()) {
    error(origin_of(fi, v), "LOAD_ERR_YAML_VALIDATE",
          what + ": value for key '" + key + "' is not a sequence");
    return false;
  }
  for (const auto& e : v) {
    if (!e.IsScalar()) {
      error(origin_of(fi, e), "LOAD_ERR_YAML_VALIDATE",
            what + ": sequence value for key '" + key + "' is not scalar");
      return false;
    }
    out->push_back(e.Scalar());
  }
  return true;
}

void Loader::check_keys(int fi, const YAML::Node& item,
                        std::initializer_list<std::string_view> known, const std::string& what) {
  for (auto it = item.begin(); it != item.end(); ++it) {
    std::string k = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
    if (std::find(known.begin(), known.end(), k) == known.end())
      warning(origin_of(fi, it->first), "LOAD_UNKNOWN_KEY", what + ": unknown key '" + k + "'");
  }
}

bool Loader::read_overrides(int fi, const YAML::Node& item, const std::set<std::string>& can_append,
                            const std::set<std::string>& can_replace, std::set<std::string>* app,
                            std::set<std::string>* rep, const std::string& what) {
  const YAML::Node ov = item["override"];
  if (!ov.IsDefined()) return true;
  if (!ov.IsMap()) {
    error(origin_of(fi, ov), "LOAD_ERR_YAML_VALIDATE", what + ": 'override' must be a mapping");
    return false;
  }
  bool ok = true;
  for (auto it = ov.begin(); it != ov.end(); ++it) {
    std::string key = it->first.Scalar();
    std::string op = it->second.IsScalar() ? it->second.Scalar() : std::string();
    if (op == "append") {
      if (!can_append.count(key)) {
        error(origin_of(fi, it->first), "LOAD_ERR_VALIDATE",
              what + ": key '" + key + "' cannot be appended to, use 'replace' instead");
        ok = false;
        continue;
      }
      app->insert(key);
    } else if (op == "replace") {
      if (!can_replace.count(key)) {
        error(origin_of(fi, it->first), "LOAD_ERR_VALIDATE",
              what + ": key '" + key + "' cannot be replaced");
        ok = false;
        continue;
      }
      rep->insert(key);
    } else {
      std::string allowed;
      if (can_append.count(key)) allowed += "append ";
      if (can_replace.count(key)) allowed += "replace ";
      error(origin_of(fi, it->second), "LOAD_ERR_VALIDATE",
            what + ": invalid override operation for key '" + key + "': '" + op +
                "'. Allowed values are: " + (allowed.empty() ? "none" : allowed));
      ok = false;
    }
  }
  return ok;
}

void Loader::read_item(int fi, const YAML::Node& item) {
  Origin io = origin_of(fi, item);
  if (!item.IsMap()) {
    error(io, "LOAD_ERR_YAML_VALIDATE",
          "Unexpected element type. Each element should be a yaml associative array.");
    return;
  }
  if (item["required_engine_version"].IsDefined()) {
    std::string v;
    get_string(fi, item, "required_engine_version", &v, true, "required_engine_version");
    auto want = parse_version(v);
    auto have = parse_version(kEngineVersion);
    if (want.empty()) {
      error(io, "LOAD_ERR_VALIDATE", "Unable to parse engine version '" + v + "'");
    } else if (want.size() == 1) {
      // Legacy integer engine versions predate every semver one riposte implements.
    } else if (want > have) {
      warning(io, "LOAD_ENGINE_VERSION",
              "rules require engine version " + v + ", riposte implements " +
                  std::string(kEngineVersion) + "; newer constructs may fail to load");
    }
    return;
  }
  if (item["required_plugin_versions"].IsDefined()) {
    const YAML::Node v = item["required_plugin_versions"];
    if (!v.IsSequence())
      error(io, "LOAD_ERR_YAML_VALIDATE", "Value of required_plugin_versions must be a sequence");
    return;  // riposte serves the container, k8saudit and json plugins' fields natively
  }
  if (item["list"].IsDefined()) return read_list(fi, item);
  if (item["macro"].IsDefined()) return read_macro(fi, item);
  if (item["rule"].IsDefined()) return read_rule(fi, item);
  warning(io, "LOAD_UNKNOWN_ITEM", "Unknown top level item");
}

void Loader::read_list(int fi, const YAML::Node& item) {
  Origin io = origin_of(fi, item);
  std::string name;
  if (!get_string(fi, item, "list", &name, true, "list")) return;
  if (name.empty()) {
    error(io, "LOAD_ERR_YAML_VALIDATE", "Mapping for key 'list' is empty");
    return;
  }
  std::string what = "list '" + name + "'";
  check_keys(fi, item, {"list", "items", "append", "override"}, what);
  if (!is_bare_list_name(name))
    warning(io, "LOAD_INVALID_LIST_NAME", what + ": list name is not a valid bare string");
  std::vector<std::string> raw;
  if (!item["items"].IsDefined()) {
    error(io, "LOAD_ERR_YAML_VALIDATE", what + ": item has no mapping for key 'items'");
    return;
  }
  if (!get_string_seq(fi, item, "items", &raw, what)) return;
  bool append = false;
  get_bool(fi, item, "append", &append, what);
  if (append)
    warning(io, "LOAD_DEPRECATED_ITEM", what + ": 'append' is deprecated, use 'override'");
  std::set<std::string> app, rep;
  if (!read_overrides(fi, item, {"items"}, {"items"}, &app, &rep, what)) return;
  if (append && (!app.empty() || !rep.empty())) {
    error(io, "LOAD_ERR_VALIDATE",
          what + ": keys 'override' and 'append: true' cannot be used together");
    return;
  }
  append = append || app.count("items");
  std::vector<ListItem> items;
  for (const auto& r : raw) items.push_back(make_list_item(r));
  auto it = list_idx_.find(name);
  if (append) {
    if (it == list_idx_.end()) {
      error(io, "LOAD_ERR_VALIDATE",
            what +
                ": List has 'append' key or an append override but no list by that name "
                "already exists");
      return;
    }
    auto& l = lists_[it->second];
    l.items.insert(l.items.end(), items.begin(), items.end());
    return;
  }
  if (it != list_idx_.end()) {
    auto& l = lists_[it->second];
    l.items = std::move(items);
    l.origin = io;
    return;
  }
  ListDef l;
  l.name = name;
  l.items = std::move(items);
  l.origin = io;
  l.index = lists_.size();
  list_idx_[name] = lists_.size();
  lists_.push_back(std::move(l));
}

void Loader::read_macro(int fi, const YAML::Node& item) {
  Origin io = origin_of(fi, item);
  std::string name;
  if (!get_string(fi, item, "macro", &name, true, "macro")) return;
  if (name.empty()) {
    error(io, "LOAD_ERR_YAML_VALIDATE", "Mapping for key 'macro' is empty");
    return;
  }
  std::string what = "macro '" + name + "'";
  check_keys(fi, item, {"macro", "condition", "append", "override"}, what);
  if (!is_identifier(name))
    warning(io, "LOAD_INVALID_MACRO_NAME", what + ": macro name is not a valid identifier");
  std::string cond;
  if (!get_string(fi, item, "condition", &cond, true, what)) return;
  Origin co = origin_of(fi, item["condition"]);
  bool append = false;
  get_bool(fi, item, "append", &append, what);
  if (append)
    warning(io, "LOAD_DEPRECATED_ITEM", what + ": 'append' is deprecated, use 'override'");
  std::set<std::string> app, rep;
  if (!read_overrides(fi, item, {"condition"}, {"condition"}, &app, &rep, what)) return;
  if (append && (!app.empty() || !rep.empty())) {
    error(io, "LOAD_ERR_VALIDATE",
          what + ": keys 'override' and 'append: true' cannot be used together");
    return;
  }
  append = append || app.count("condition");
  auto it = macro_idx_.find(name);
  if (append) {
    if (it == macro_idx_.end()) {
      error(io, "LOAD_ERR_VALIDATE",
            what +
                ": Macro has 'append' key or an append override but no macro by that "
                "name already exists");
      return;
    }
    macros_[it->second].cond.append(cond, co);
    return;
  }
  if (it != macro_idx_.end()) {
    macros_[it->second].cond.assign(cond, co);
    macros_[it->second].origin = io;
    return;
  }
  MacroDef m;
  m.name = name;
  m.cond.assign(cond, co);
  m.origin = io;
  m.index = macros_.size();
  macro_idx_[name] = macros_.size();
  macros_.push_back(std::move(m));
}

bool Loader::read_ex_entry(int fi, const YAML::Node& v, ExValue* out, const std::string& what,
                           bool allow_nested) {
  out->origin = origin_of(fi, v);
  if (v.IsScalar()) {
    out->is_list = false;
    out->item = v.Scalar();
    if (out->item.empty()) {
      error(out->origin, "LOAD_ERR_YAML_VALIDATE", what + ": value must be non-empty");
      return false;
    }
    return true;
  }
  if (v.IsSequence()) {
    out->is_list = true;
    for (const auto& e : v) {
      ExValue sub;
      if (!e.IsScalar() && !(allow_nested && e.IsSequence())) {
        error(origin_of(fi, e), "LOAD_ERR_YAML_VALIDATE", what + ": unexpected nested value");
        return false;
      }
      if (!read_ex_entry(fi, e, &sub, what, false)) return false;
      out->items.push_back(std::move(sub));
    }
    return true;
  }
  error(out->origin, "LOAD_ERR_YAML_VALIDATE", what + ": value must be a string or a sequence");
  return false;
}

bool Loader::read_exceptions(int fi, const YAML::Node& item, std::vector<ExceptionDef>* out,
                             bool appending, const std::string& what) {
  const YAML::Node exs = item["exceptions"];
  if (!exs.IsDefined() || exs.IsNull()) return true;
  if (!exs.IsSequence()) {
    error(origin_of(fi, exs), "LOAD_ERR_YAML_VALIDATE",
          what + ": Rule exceptions must be a sequence");
    return false;
  }
  for (const auto& ex : exs) {
    Origin eo = origin_of(fi, ex);
    if (!ex.IsMap()) {
      error(eo, "LOAD_ERR_YAML_VALIDATE", what + ": Rule exception must be a mapping");
      return false;
    }
    ExceptionDef d;
    d.origin = eo;
    if (!get_string(fi, ex, "name", &d.name, true, what + " exception")) return false;
    std::string ew = what + " exception '" + d.name + "'";
    check_keys(fi, ex, {"name", "fields", "comps", "values"}, ew);
    // Falco warns and keeps both (rule_loader_reader.cpp); each applies.
    for (const auto& prev : *out) {
      if (prev.name == d.name) {
        warning(eo, "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
                what + ": Multiple definitions of exception '" + d.name + "' in the same rule");
        break;
      }
    }
    if (ex["fields"].IsDefined()) {
      d.has_fields = true;
      if (!read_ex_entry(fi, ex["fields"], &d.fields, ew, false)) return false;
    } else if (!appending) {
      error(eo, "LOAD_ERR_YAML_VALIDATE", ew + ": item has no mapping for key 'fields'");
      return false;
    }
    if (ex["comps"].IsDefined()) {
      d.has_comps = true;
      if (!read_ex_entry(fi, ex["comps"], &d.comps, ew, false)) return false;
    }
    const YAML::Node vals = ex["values"];
    if (vals.IsDefined() && !vals.IsNull()) {
      if (!vals.IsSequence()) {
        error(origin_of(fi, vals), "LOAD_ERR_YAML_VALIDATE",
              ew + ": Rule exception values must be a sequence");
        return false;
      }
      for (const auto& v : vals) {
        ExValue ev;
        if (!read_ex_entry(fi, v, &ev, ew, true)) return false;
        d.values.push_back(std::move(ev));
      }
    } else if (appending) {
      warning(eo, "LOAD_APPEND_NO_VALUES", ew + ": Overriding/appending exception with no values");
    }
    out->push_back(std::move(d));
  }
  return true;
}

void Loader::append_exceptions(RuleDef* r, std::vector<ExceptionDef>& add) {
  for (auto& e : add) {
    auto it = std::find_if(r->exceptions.begin(), r->exceptions.end(),
                           [&](const ExceptionDef& x) { return x.name == e.name; });
    if (it != r->exceptions.end()) {
      if (e.has_fields) {
        it->fields = e.fields;
        it->has_fields = true;
      }
      if (e.has_comps) {
        it->comps = e.comps;
        it->has_comps = true;
      }
      it->values.insert(it->values.end(), e.values.begin(), e.values.end());
    } else {
      if (!e.has_fields) {
        error(e.origin, "LOAD_ERR_VALIDATE",
              "rule '" + r->name + "' exception '" + e.name +
                  "': appended exception is new and has no 'fields'");
        continue;
      }
      r->exceptions.push_back(std::move(e));
    }
  }
}

void Loader::read_rule(int fi, const YAML::Node& item) {
  Origin io = origin_of(fi, item);
  std::string name;
  if (!get_string(fi, item, "rule", &name, true, "rule")) return;
  if (name.empty()) {
    error(io, "LOAD_ERR_YAML_VALIDATE", "Mapping for key 'rule' is empty");
    return;
  }
  std::string what = "rule '" + name + "'";
  check_keys(fi, item,
             {"rule", "condition", "output", "desc", "priority", "source", "enabled", "tags",
              "exceptions", "override", "append", "warn_evttypes", "skip-if-unknown-filter",
              "capture", "capture_duration"},
             what);
  bool append = false;
  get_bool(fi, item, "append", &append, what);
  if (append)
    warning(io, "LOAD_DEPRECATED_ITEM", what + ": 'append' is deprecated, use 'override'");

  static const std::set<std::string> kAppendable = {"condition", "output", "desc", "tags",
                                                    "exceptions"};
  static const std::set<std::string> kReplaceable = {"condition",
                                                     "output",
                                                     "desc",
                                                     "priority",
                                                     "tags",
                                                     "exceptions",
                                                     "enabled",
                                                     "warn_evttypes",
                                                     "skip-if-unknown-filter",
                                                     "capture",
                                                     "capture_duration"};
  std::set<std::string> app, rep;
  if (!read_overrides(fi, item, kAppendable, kReplaceable, &app, &rep, what)) return;
  bool has_overrides = !app.empty() || !rep.empty();
  if (append && has_overrides) {
    error(io, "LOAD_ERR_VALIDATE",
          what + ": keys 'override' and 'append: true' cannot be used together");
    return;
  }
  auto it = rule_idx_.find(name);
  RuleDef* prev = it == rule_idx_.end() ? nullptr : &rules_[it->second];
  if (prev != nullptr && (append || has_overrides)) {
    // Falco keeps rules per source: an append or override (source: syscall unless given) only
    // finds a rule of its own source.
    std::string source = "syscall";
    get_string(fi, item, "source", &source, false, what);
    if (source.empty()) source = "syscall";
    // (A rule of a source nobody serves is skipped at the end, appends and all.)
    if (source != prev->source && parse_rule_source(prev->source)) {
      error(io, "LOAD_ERR_VALIDATE",
            what + ": Rule has an append/override for source '" + source +
                "' but the rule by that name is of source '" + prev->source + "'");
      return;
    }
  }

  if (has_overrides) {
    if (prev == nullptr) {
      error(io, "LOAD_ERR_VALIDATE",
            what +
                ": Rule has an append/replace override but no rule by that name already "
                "exists");
      return;
    }
    // Every overridable key present must be named under override, and vice versa.
    bool ok = true;
    for (const auto* set : {&kAppendable, &kReplaceable}) {
      for (const auto& k : *set) {
        bool present = item[k].IsDefined();
        bool named = app.count(k) || rep.count(k);
        if (present && !named) {
          error(origin_of(fi, item[k]), "LOAD_ERR_VALIDATE",
                what + ": Unexpected key '" + k +
                    "': no corresponding entry under 'override' is defined.");
          ok = false;
        }
      }
    }
    for (const auto* set : {&app, &rep}) {
      for (const auto& k : *set) {
        if (!item[k].IsDefined()) {
          error(io, "LOAD_ERR_VALIDATE",
                what + ": An " + (set == &app ? "append" : "replace") + " override for '" + k +
                    "' was specified but '" + k + "' is not defined");
          ok = false;
        }
      }
    }
    if (!ok) return;
    std::string s;
    if (app.count("condition") && get_string(fi, item, "condition", &s, true, what))
      prev->cond.append(s, origin_of(fi, item["condition"]));
    if (rep.count("condition") && get_string(fi, item, "condition", &s, true, what))
      prev->cond.assign(s, origin_of(fi, item["condition"]));
    if (app.count("output") && get_string(fi, item, "output", &s, true, what))
      prev->output.append(s, origin_of(fi, item["output"]));
    if (rep.count("output") && get_string(fi, item, "output", &s, true, what))
      prev->output.assign(s, origin_of(fi, item["output"]));
    if (app.count("desc") && get_string(fi, item, "desc", &s, true, what)) prev->desc += " " + s;
    if (rep.count("desc") && get_string(fi, item, "desc", &s, true, what)) prev->desc = s;
    if (app.count("tags") || rep.count("tags")) {
      std::vector<std::string> tags;
      if (get_string_seq(fi, item, "tags", &tags, what)) {
        if (rep.count("tags")) prev->tags.clear();
        prev->tags.insert(prev->tags.end(), tags.begin(), tags.end());
      }
    }
    if (app.count("exceptions")) {
      std::vector<ExceptionDef> exs;
      if (read_exceptions(fi, item, &exs, true, what)) append_exceptions(prev, exs);
    }
    if (rep.count("exceptions")) {
      std::vector<ExceptionDef> exs;
      if (read_exceptions(fi, item, &exs, true, what)) {
        prev->exceptions.clear();
        append_exceptions(prev, exs);
      }
    }
    if (rep.count("priority") && get_string(fi, item, "priority", &s, true, what)) {
      auto p = parse_priority(s);
      if (!p)
        error(origin_of(fi, item["priority"]), "LOAD_ERR_VALIDATE",
              what + ": Invalid priority '" + s + "'");
      else
        prev->priority = *p;
    }
    if (rep.count("enabled")) get_bool(fi, item, "enabled", &prev->enabled, what);
    if (rep.count("warn_evttypes")) get_bool(fi, item, "warn_evttypes", &prev->warn_evttypes, what);
    if (rep.count("skip-if-unknown-filter"))
      get_bool(fi, item, "skip-if-unknown-filter", &prev->skip_if_unknown_filter, what);
    if (rep.count("capture")) get_bool(fi, item, "capture", &prev->capture, what);
    if (rep.count("capture_duration"))
      get_uint(fi, item, "capture_duration", &prev->capture_duration, what);
    return;
  }

  if (append) {
    if (prev == nullptr) {
      error(io, "LOAD_ERR_VALIDATE",
            what + ": Rule has 'append' key but no rule by that name already exists");
      return;
    }
    if (!item["condition"].IsDefined() && !item["exceptions"].IsDefined()) {
      error(io, "LOAD_ERR_VALIDATE",
            what + ": Appended rule must have exceptions or condition property");
      return;
    }
    std::string s;
    if (item["condition"].IsDefined() && get_string(fi, item, "condition", &s, true, what))
      prev->cond.append(s, origin_of(fi, item["condition"]));
    std::vector<ExceptionDef> exs;
    if (read_exceptions(fi, item, &exs, true, what)) append_exceptions(prev, exs);
    return;
  }

  if (!item["condition"].IsDefined() && !item["output"].IsDefined() && !item["desc"].IsDefined() &&
      !item["priority"].IsDefined()) {
    // Only `enabled`: toggles an existing rule (deprecated form).
    if (prev == nullptr) {
      error(io, "LOAD_ERR_VALIDATE",
            what + ": Rule has 'enabled' key but no rule by that name already exists");
      return;
    }
    if (!item["enabled"].IsDefined()) {
      error(io, "LOAD_ERR_YAML_VALIDATE", what + ": item has no mapping for key 'condition'");
      return;
    }
    get_bool(fi, item, "enabled", &prev->enabled, what);
    warning(io, "LOAD_DEPRECATED_ITEM",
            what +
                ": enabling/disabling a rule with only 'enabled' is deprecated, use "
                "override: {enabled: replace}");
    return;
  }

  RuleDef r;
  r.name = name;
  r.origin = io;
  std::string cond, output, prio;
  bool ok = get_string(fi, item, "condition", &cond, true, what);
  ok = get_string(fi, item, "output", &output, true, what) && ok;
  ok = get_string(fi, item, "desc", &r.desc, true, what) && ok;
  ok = get_string(fi, item, "priority", &prio, true, what) && ok;
  if (!ok) return;
  r.cond.assign(cond, origin_of(fi, item["condition"]));
  // Falco trims the output.
  size_t b = output.find_first_not_of(" \t\r\n");
  size_t e = output.find_last_not_of(" \t\r\n");
  std::string trimmed = b == std::string::npos ? std::string() : output.substr(b, e - b + 1);
  r.output.assign(trimmed, origin_of(fi, item["output"]));
  auto p = parse_priority(prio);
  if (!p) {
    error(origin_of(fi, item["priority"]), "LOAD_ERR_VALIDATE",
          what + ": Invalid priority '" + prio + "'");
    return;
  }
  r.priority = *p;
  get_string(fi, item, "source", &r.source, false, what);
  get_bool(fi, item, "enabled", &r.enabled, what);
  get_bool(fi, item, "warn_evttypes", &r.warn_evttypes, what);
  get_bool(fi, item, "skip-if-unknown-filter", &r.skip_if_unknown_filter, what);
  get_bool(fi, item, "capture", &r.capture, what);
  get_uint(fi, item, "capture_duration", &r.capture_duration, what);
  get_string_seq(fi, item, "tags", &r.tags, what);
  if (!read_exceptions(fi, item, &r.exceptions, false, what)) return;
  if (prev != nullptr) {
    // Falco replaces the earlier rule. From another file that is how a local file silently
    // swaps out an upstream rule's whole condition, often by accident (a copy of the rule
    // meant as an override): say so, and how to change only a part.
    if (prev->origin.file != fi) {
      warning(io, "LOAD_RULE_REDEFINED",
              what +
                  ": replaces the rule of the same name from an earlier file; to change only "
                  "part of it, use 'override'");
    }
    r.index = prev->index;
    *prev = std::move(r);
    return;
  }
  r.index = rules_.size();
  rule_idx_[name] = rules_.size();
  rules_.push_back(std::move(r));
}

}  // namespace riposte::detector::rules
