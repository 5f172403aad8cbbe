#include "detector/rules/ruleset.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include "common/yaml_guard.h"
#include "detector/rules/parser.h"

namespace riposte::detector::rules {

std::string Diagnostic::str() const {
  std::string s = file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (col > 0) s += ':' + std::to_string(col);
  }
  s += severity == kError ? ": error: " : ": warning: ";
  s += message;
  return s;
}

size_t LoadResult::errors() const {
  return static_cast<size_t>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const auto& d) {
    return d.severity == Diagnostic::kError;
  }));
}

size_t LoadResult::warnings() const { return diagnostics.size() - errors(); }

const CompiledRule* Ruleset::find(std::string_view name) const {
  for (const auto& r : rules_)
    if (r->name == name) return r.get();
  return nullptr;
}

namespace {
thread_local EvalScratch t_scratch;
}  // namespace

size_t Ruleset::evaluate(const Event& ev, std::vector<const CompiledRule*>* out) const {
  out->clear();
  auto idx = static_cast<size_t>(ev.type);
  if (idx >= kEventTypeCount) return 0;
  if (idx >= chains_.size() || by_type_[idx].empty()) return 0;
  t_scratch.begin_event();
  EvalContext ctx{&ev, hostname_, &t_scratch};
  return chains_[idx].run(
      ctx,
      [](void* o, const void* tag) {
        static_cast<std::vector<const CompiledRule*>*>(o)->push_back(
            static_cast<const CompiledRule*>(tag));
      },
      out);
}

Alert make_alert(const CompiledRule& rule, const Event& ev, std::string_view hostname) {
  Alert a;
  a.time_ns = static_cast<int64_t>(ev.ts_ns);
  a.rule = rule.name;
  a.priority = rule.priority;
  a.source = rule.source;
  a.hostname = std::string(hostname);
  a.tags = rule.tags;
  a.uuid = new_uuid();
  t_scratch.begin_event();
  EvalContext ctx{&ev, hostname, &t_scratch};
  rule.format.render(ctx, &a.output, &a.output_fields);
  return a;
}

std::string format_text_line(const Alert& alert) {
  std::string s;
  format_time_hms(static_cast<uint64_t>(alert.time_ns), &s);
  s += ": ";
  s += priority_name(alert.priority);
  s += ' ';
  s += alert.output;
  return s;
}

std::string explain_rule(const CompiledRule& rule) {
  std::string s;
  s += "rule: " + rule.name + "\n";
  s += "priority: " + std::string(priority_name(rule.priority)) + "\n";
  s += "source: " + rule.source + "\n";
  s += std::string("enabled: ") + (rule.enabled ? "true" : "false") + "\n";
  if (!rule.tags.empty()) {
    s += "tags:";
    for (const auto& t : rule.tags) s += " " + t;
    s += "\n";
  }
  std::vector<EventType> types = rule.event_types.to_vector();
  if (rule.event_types.is_all()) {
    s += "event types: all (the condition does not restrict evt.type)\n";
  } else {
    s += "event types (" + std::to_string(types.size()) + "):";
    for (EventType t : types) s += " " + std::string(event_type_name(t));
    if (types.empty()) s += " none (the rule can never match)";
    s += "\n";
  }
  if (rule.event_types.intersects(EventTypeSet::opens())) {
    // What the kernel-side open filter lets through for this rule (open_paths.h).
    const OpenPaths p = rule.filter.open_paths();
    auto describe = [](const PathSet& set) {
      if (set.is_any()) return std::string("any path");
      if (set.prefixes().empty()) return std::string("none (or only relative, '..', '/.', '//' paths)");
      std::string out;
      for (const auto& prefix : set.prefixes()) out += (out.empty() ? "" : " ") + prefix + "*";
      return out;
    };
    s += "open paths, read-only: " + describe(p.read) + "\n";
    s += "open paths, write: " + describe(p.write) + "\n";
  }
  s += "condition (macros, lists and exceptions expanded):\n  ";
  s += rule.expanded_condition.empty() ? std::string("(not expanded: load with expand_conditions)")
                                       : rule.expanded_condition;
  s += "\n";
  s += "evaluated as (evt.type checks decided by the index left out; each and/or tries first "
       "what is cheap and likely to decide):\n";
  std::string d = rule.filter.describe();
  size_t start = 0;
  while (start < d.size()) {
    size_t nl = d.find('\n', start);
    if (nl == std::string::npos) nl = d.size();
    s += "  " + d.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  s += "output: " + rule.output + "\n";
  return s;
}

// ===========================================================================================
// Loader

namespace {

struct Origin {
  int file = -1;
  size_t pos = 0;
  int line = -1;  // 0-based
  int col = -1;   // 0-based
};

Origin origin_of(int file, const YAML::Node& n) {
  Origin o;
  o.file = file;
  YAML::Mark m = n.Mark();
  if (m.pos >= 0) o.pos = static_cast<size_t>(m.pos);
  o.line = m.line;
  o.col = m.column;
  return o;
}

// Text assembled from one or more YAML scalars (appends), remembering where each piece came
// from so positions inside it can be mapped back to file:line:col.
struct SourceText {
  struct Segment {
    size_t offset;
    Origin origin;
  };
  std::string text;
  std::vector<Segment> segments;

  void assign(std::string t, Origin o) {
    text = std::move(t);
    segments = {{0, o}};
  }
  void append(std::string_view t, Origin o) {
    text += ' ';
    segments.push_back({text.size(), o});
    text += t;
  }
};

constexpr size_t kExceptionPosBase = static_cast<size_t>(1) << 60;
constexpr size_t kMaxListItems = 100000;

struct ListItem {
  std::string text;
  bool quoted = false;
};

struct ListDef {
  std::string name;
  std::vector<ListItem> items;
  Origin origin;
  size_t index = 0;
  bool used = false;
  std::vector<ast::Value> resolved;
};

struct MacroDef {
  std::string name;
  SourceText cond;
  Origin origin;
  size_t index = 0;
  bool used = false;
  std::unique_ptr<ast::Expr> ast;
  bool broken = false;
};

struct ExValue {
  bool is_list = false;
  std::string item;
  std::vector<ExValue> items;
  Origin origin;
};

struct ExceptionDef {
  std::string name;
  bool has_fields = false;
  ExValue fields;
  bool has_comps = false;
  ExValue comps;
  std::vector<ExValue> values;
  Origin origin;
};

struct RuleDef {
  std::string name;
  SourceText cond;
  SourceText output;
  std::string desc;
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;
  std::string source = "syscall";
  bool enabled = true;
  bool warn_evttypes = true;
  bool skip_if_unknown_filter = false;
  std::vector<ExceptionDef> exceptions;
  Origin origin;
  size_t index = 0;
};

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

bool is_bare_list_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == ',' ||
        c == '=' || c == '"' || c == '\'')
      return false;
  return true;
}

ListItem make_list_item(const std::string& raw) {
  ListItem it;
  if (raw.size() >= 2 && ((raw.front() == '"' && raw.back() == '"') ||
                          (raw.front() == '\'' && raw.back() == '\''))) {
    it.text = unescape_quoted(std::string_view(raw).substr(1, raw.size() - 2));
    it.quoted = true;
  } else {
    it.text = raw;
    it.quoted = raw.find_first_of(" \t") != std::string::npos;
  }
  return it;
}

std::vector<int> parse_version(std::string_view v) {
  std::vector<int> out;
  int cur = 0;
  bool any = false;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      cur = cur * 10 + (c - '0');
      any = true;
    } else if (c == '.') {
      out.push_back(cur);
      cur = 0;
    } else {
      break;
    }
  }
  if (any) out.push_back(cur);
  return out;
}

}  // namespace

class Loader : public SymbolTable {
 public:
  explicit Loader(const LoadOptions& opts) : opts_(opts) {}

  void add_file(const std::string& path) {
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

  void add_source(const RulesSource& src) {
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

  LoadResult finish();

  // SymbolTable
  const ast::Expr* macro(std::string_view name) override {
    auto it = macro_idx_.find(std::string(name));
    if (it == macro_idx_.end()) return nullptr;
    MacroDef& m = macros_[it->second];
    m.used = true;
    return m.ast.get();
  }
  bool macro_broken(std::string_view name) override {
    auto it = macro_idx_.find(std::string(name));
    return it != macro_idx_.end() && macros_[it->second].broken;
  }
  const std::vector<ast::Value>* list(std::string_view name) override {
    auto it = list_idx_.find(std::string(name));
    if (it == list_idx_.end()) return nullptr;
    ListDef& l = lists_[it->second];
    l.used = true;
    return &l.resolved;
  }

 private:
  struct File {
    std::string name;
    std::string content;
    std::vector<size_t> line_starts;
  };

  // ---- diagnostics

  void add(Diagnostic d) {
    std::string key = d.str();
    if (!seen_.insert(key).second) return;
    diags_.push_back(std::move(d));
  }

  Diagnostic make(Diagnostic::Severity sev, const Origin& o, std::string code,
                  std::string msg) const {
    Diagnostic d;
    d.severity = sev;
    if (o.file >= 0) d.file = files_[o.file].name;
    d.line = o.line >= 0 ? o.line + 1 : 0;
    d.col = o.col >= 0 ? o.col + 1 : 0;
    d.code = std::move(code);
    d.message = std::move(msg);
    return d;
  }
  void error(const Origin& o, std::string code, std::string msg) {
    add(make(Diagnostic::kError, o, std::move(code), std::move(msg)));
  }
  void warning(const Origin& o, std::string code, std::string msg) {
    add(make(Diagnostic::kWarning, o, std::move(code), std::move(msg)));
  }

  // Maps an offset in a SourceText back to the file.
  Origin locate(const SourceText& st, size_t pos) const {
    if (st.segments.empty()) return {};
    const SourceText::Segment* seg = &st.segments[0];
    for (const auto& s : st.segments)
      if (s.offset <= pos) seg = &s;
    Origin o = seg->origin;
    if (o.file < 0) return o;
    const std::string& src = files_[o.file].content;
    size_t i = o.pos;
    if (i >= src.size()) return o;
    char quote = 0;
    if (src[i] == '>' || src[i] == '|') {
      while (i < src.size() && src[i] != '\n') ++i;
      while (i < src.size() && std::isspace(static_cast<unsigned char>(src[i]))) ++i;
    } else if (src[i] == '"' || src[i] == '\'') {
      quote = src[i];
      ++i;
    }
    size_t end = std::min(pos, st.text.size());
    for (size_t k = seg->offset; k < end && i < src.size(); ++k) {
      char v = st.text[k];
      if (std::isspace(static_cast<unsigned char>(v))) {
        while (i < src.size() && std::isspace(static_cast<unsigned char>(src[i]))) ++i;
        continue;
      }
      if (quote == '\'' && src[i] == '\'' && i + 1 < src.size() && src[i + 1] == '\'') {
        i += 2;
      } else if (quote == '"' && src[i] == '\\') {
        i += 2;
      } else if (src[i] == v) {
        ++i;
      } else {
        return seg->origin;  // could not follow the scalar; report its start
      }
    }
    const auto& ls = files_[o.file].line_starts;
    auto it = std::upper_bound(ls.begin(), ls.end(), i);
    size_t line = static_cast<size_t>(it - ls.begin()) - 1;
    o.pos = i;
    o.line = static_cast<int>(line);
    o.col = static_cast<int>(i - ls[line]);
    return o;
  }

  // ---- YAML helpers

  bool get_string(int fi, const YAML::Node& item, const char* key, std::string* out,
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

  bool get_bool(int fi, const YAML::Node& item, const char* key, bool* out,
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

  bool get_string_seq(int fi, const YAML::Node& item, const char* key,
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

  void check_keys(int fi, const YAML::Node& item, std::initializer_list<std::string_view> known,
                  const std::string& what) {
    for (auto it = item.begin(); it != item.end(); ++it) {
      std::string k = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
      if (std::find(known.begin(), known.end(), k) == known.end())
        warning(origin_of(fi, it->first), "LOAD_UNKNOWN_KEY",
                what + ": unknown key '" + k + "'");
    }
  }

  // override: {key: append|replace}
  bool read_overrides(int fi, const YAML::Node& item, const std::set<std::string>& can_append,
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

  // ---- items

  void read_item(int fi, const YAML::Node& item) {
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
      return;  // riposte serves the container plugin's fields natively; others are not loaded
    }
    if (item["list"].IsDefined()) return read_list(fi, item);
    if (item["macro"].IsDefined()) return read_macro(fi, item);
    if (item["rule"].IsDefined()) return read_rule(fi, item);
    warning(io, "LOAD_UNKNOWN_ITEM", "Unknown top level item");
  }

  void read_list(int fi, const YAML::Node& item) {
    Origin io = origin_of(fi, item);
    std::string name;
    if (!get_string(fi, item, "list", &name, true, "list")) return;
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
    if (append) warning(io, "LOAD_DEPRECATED_ITEM", what + ": 'append' is deprecated, use 'override'");
    std::set<std::string> app, rep;
    if (!read_overrides(fi, item, {"items"}, {"items"}, &app, &rep, what)) return;
    if (append && (!app.empty() || !rep.empty())) {
      error(io, "LOAD_ERR_VALIDATE", what + ": keys 'override' and 'append: true' cannot be used together");
      return;
    }
    append = append || app.count("items");
    std::vector<ListItem> items;
    for (const auto& r : raw) items.push_back(make_list_item(r));
    auto it = list_idx_.find(name);
    if (append) {
      if (it == list_idx_.end()) {
        error(io, "LOAD_ERR_VALIDATE",
              what + ": List has 'append' key or an append override but no list by that name "
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

  void read_macro(int fi, const YAML::Node& item) {
    Origin io = origin_of(fi, item);
    std::string name;
    if (!get_string(fi, item, "macro", &name, true, "macro")) return;
    std::string what = "macro '" + name + "'";
    check_keys(fi, item, {"macro", "condition", "append", "override"}, what);
    if (!is_identifier(name))
      warning(io, "LOAD_INVALID_MACRO_NAME", what + ": macro name is not a valid identifier");
    std::string cond;
    if (!get_string(fi, item, "condition", &cond, true, what)) return;
    Origin co = origin_of(fi, item["condition"]);
    bool append = false;
    get_bool(fi, item, "append", &append, what);
    if (append) warning(io, "LOAD_DEPRECATED_ITEM", what + ": 'append' is deprecated, use 'override'");
    std::set<std::string> app, rep;
    if (!read_overrides(fi, item, {"condition"}, {"condition"}, &app, &rep, what)) return;
    if (append && (!app.empty() || !rep.empty())) {
      error(io, "LOAD_ERR_VALIDATE", what + ": keys 'override' and 'append: true' cannot be used together");
      return;
    }
    append = append || app.count("condition");
    auto it = macro_idx_.find(name);
    if (append) {
      if (it == macro_idx_.end()) {
        error(io, "LOAD_ERR_VALIDATE",
              what + ": Macro has 'append' key or an append override but no macro by that "
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

  bool read_ex_entry(int fi, const YAML::Node& v, ExValue* out, const std::string& what,
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

  bool read_exceptions(int fi, const YAML::Node& item, std::vector<ExceptionDef>* out,
                       bool appending, const std::string& what) {
    const YAML::Node exs = item["exceptions"];
    if (!exs.IsDefined() || exs.IsNull()) return true;
    if (!exs.IsSequence()) {
      error(origin_of(fi, exs), "LOAD_ERR_YAML_VALIDATE", what + ": Rule exceptions must be a sequence");
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
      for (const auto& prev : *out) {
        if (prev.name == d.name) {
          error(eo, "LOAD_ERR_VALIDATE", ew + ": Exceptions names in the same object must be unique");
          return false;
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

  void append_exceptions(RuleDef* r, std::vector<ExceptionDef>& add) {
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

  void read_rule(int fi, const YAML::Node& item) {
    Origin io = origin_of(fi, item);
    std::string name;
    if (!get_string(fi, item, "rule", &name, true, "rule")) return;
    std::string what = "rule '" + name + "'";
    check_keys(fi, item,
               {"rule", "condition", "output", "desc", "priority", "source", "enabled", "tags",
                "exceptions", "override", "append", "warn_evttypes", "skip-if-unknown-filter",
                "capture", "capture_duration"},
               what);
    bool append = false;
    get_bool(fi, item, "append", &append, what);
    if (append) warning(io, "LOAD_DEPRECATED_ITEM", what + ": 'append' is deprecated, use 'override'");

    static const std::set<std::string> kAppendable = {"condition", "output", "desc", "tags",
                                                      "exceptions"};
    static const std::set<std::string> kReplaceable = {
        "condition", "output", "desc", "priority", "tags", "exceptions", "enabled",
        "warn_evttypes", "skip-if-unknown-filter"};
    std::set<std::string> app, rep;
    if (!read_overrides(fi, item, kAppendable, kReplaceable, &app, &rep, what)) return;
    bool has_overrides = !app.empty() || !rep.empty();
    if (append && has_overrides) {
      error(io, "LOAD_ERR_VALIDATE", what + ": keys 'override' and 'append: true' cannot be used together");
      return;
    }
    auto it = rule_idx_.find(name);
    RuleDef* prev = it == rule_idx_.end() ? nullptr : &rules_[it->second];

    if (has_overrides) {
      if (prev == nullptr) {
        error(io, "LOAD_ERR_VALIDATE",
              what + ": Rule has an append/replace override but no rule by that name already "
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
      if (app.count("desc") && get_string(fi, item, "desc", &s, true, what))
        prev->desc += " " + s;
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
        if (!p) error(origin_of(fi, item["priority"]), "LOAD_ERR_VALIDATE", what + ": Invalid priority '" + s + "'");
        else prev->priority = *p;
      }
      if (rep.count("enabled")) get_bool(fi, item, "enabled", &prev->enabled, what);
      if (rep.count("warn_evttypes")) get_bool(fi, item, "warn_evttypes", &prev->warn_evttypes, what);
      if (rep.count("skip-if-unknown-filter"))
        get_bool(fi, item, "skip-if-unknown-filter", &prev->skip_if_unknown_filter, what);
      return;
    }

    if (append) {
      if (prev == nullptr) {
        error(io, "LOAD_ERR_VALIDATE",
              what + ": Rule has 'append' key but no rule by that name already exists");
        return;
      }
      std::string s;
      if (item["condition"].IsDefined() && get_string(fi, item, "condition", &s, true, what))
        prev->cond.append(s, origin_of(fi, item["condition"]));
      std::vector<ExceptionDef> exs;
      if (read_exceptions(fi, item, &exs, true, what)) append_exceptions(prev, exs);
      return;
    }

    if (!item["condition"].IsDefined() && !item["output"].IsDefined() &&
        !item["desc"].IsDefined() && !item["priority"].IsDefined()) {
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
              what + ": enabling/disabling a rule with only 'enabled' is deprecated, use "
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
      error(origin_of(fi, item["priority"]), "LOAD_ERR_VALIDATE", what + ": Invalid priority '" + prio + "'");
      return;
    }
    r.priority = *p;
    get_string(fi, item, "source", &r.source, false, what);
    get_bool(fi, item, "enabled", &r.enabled, what);
    get_bool(fi, item, "warn_evttypes", &r.warn_evttypes, what);
    get_bool(fi, item, "skip-if-unknown-filter", &r.skip_if_unknown_filter, what);
    get_string_seq(fi, item, "tags", &r.tags, what);
    if (!read_exceptions(fi, item, &r.exceptions, false, what)) return;
    if (prev != nullptr) {
      r.index = prev->index;
      *prev = std::move(r);
      return;
    }
    r.index = rules_.size();
    rule_idx_[name] = rules_.size();
    rules_.push_back(std::move(r));
  }

  // ---- compilation

  void resolve_lists() {
    for (auto& l : lists_) {
      l.resolved.clear();
      for (const auto& item : l.items) {
        auto it = item.quoted ? list_idx_.end() : list_idx_.find(item.text);
        if (it != list_idx_.end() && lists_[it->second].index < l.index) {
          lists_[it->second].used = true;
          const auto& ref = lists_[it->second].resolved;
          if (l.resolved.size() + ref.size() > kMaxListItems) {
            error(l.origin, "LOAD_ERR_VALIDATE",
                  "list '" + l.name + "': more than " + std::to_string(kMaxListItems) +
                      " items with the lists it includes expanded");
            break;
          }
          l.resolved.insert(l.resolved.end(), ref.begin(), ref.end());
        } else {
          l.resolved.push_back(ast::Value{item.text, item.quoted, 0});
        }
      }
    }
  }

  void parse_macros() {
    for (auto& m : macros_) {
      ParseResult pr = parse_condition(m.cond.text);
      if (!pr.ok()) {
        m.broken = true;
        error(locate(m.cond, pr.error_pos), "LOAD_ERR_COMPILE_CONDITION",
              "macro '" + m.name + "': " + pr.error);
        continue;
      }
      m.ast = std::move(pr.expr);
    }
  }

  // Builds "not (exception)" expressions for a rule, with positions pointing at the exception.
  bool build_exceptions(const RuleDef& r, std::vector<std::unique_ptr<ast::Expr>>* out) {
    bool ok = true;
    for (size_t ei = 0; ei < r.exceptions.size(); ++ei) {
      const ExceptionDef& ex = r.exceptions[ei];
      std::string ew = "rule '" + r.name + "' exception '" + ex.name + "'";
      size_t pos = kExceptionPosBase + ei;
      auto field_of = [&](const std::string& text, ast::FieldExpr* fe) {
        std::string err;
        if (!parse_field_expr(text, fe, &err)) {
          error(ex.origin, "LOAD_ERR_VALIDATE", ew + ": '" + text + "' is not a valid field: " + err);
          return false;
        }
        ResolvedField rf;
        if (!resolve_field(fe->name, fe->arg, fe->has_arg, &rf, &err)) {
          error(ex.origin, "LOAD_ERR_VALIDATE", ew + ": " + err);
          return false;
        }
        fe->pos = pos;
        return true;
      };
      auto make_check = [&](const ast::FieldExpr& fe, const std::string& comp,
                            const ExValue& v) {
        auto c = std::make_unique<ast::Expr>();
        c->kind = ast::Expr::Kind::kCheck;
        c->pos = pos;
        c->op_pos = pos;
        c->field = fe;
        c->op = comp == "==" ? "=" : comp;
        if (v.is_list) {
          c->rhs = ast::Expr::RhsKind::kList;
          for (const auto& i : v.items) {
            ListItem li = make_list_item(i.item);
            c->values.push_back({li.text, li.quoted, pos});
          }
        } else if (is_list_operator(comp)) {
          c->rhs = ast::Expr::RhsKind::kList;
          ListItem li = make_list_item(v.item);
          c->values.push_back({li.text, li.quoted, pos});
        } else {
          c->rhs = ast::Expr::RhsKind::kValue;
          ListItem li = make_list_item(v.item);
          c->values.push_back({li.text, true, pos});
        }
        return c;
      };

      if (!ex.has_fields) {
        error(ex.origin, "LOAD_ERR_VALIDATE", ew + ": exception has no 'fields'");
        ok = false;
        continue;
      }
      std::unique_ptr<ast::Expr> cond;
      if (!ex.fields.is_list) {
        std::string comp = "in";
        if (ex.has_comps) {
          if (ex.comps.is_list) {
            error(ex.origin, "LOAD_ERR_VALIDATE", ew + ": comps must be a single string when fields is a single field");
            ok = false;
            continue;
          }
          comp = ex.comps.item;
        }
        if (!is_list_operator(comp)) {
          error(ex.origin, "LOAD_ERR_VALIDATE",
                ew + ": operator '" + comp + "' must be one of in, intersects, pmatch when fields is a single field");
          ok = false;
          continue;
        }
        ast::FieldExpr fe;
        if (!field_of(ex.fields.item, &fe)) {
          ok = false;
          continue;
        }
        if (ex.values.empty()) continue;
        ExValue all;
        all.is_list = true;
        for (const auto& v : ex.values) {
          if (v.is_list) {
            error(v.origin, "LOAD_ERR_VALIDATE", ew + ": Expected values array to contain a list of strings");
            ok = false;
          }
          all.items.push_back(v);
        }
        cond = make_check(fe, comp, all);
      } else {
        std::vector<std::string> comps;
        if (ex.has_comps) {
          if (!ex.comps.is_list || ex.comps.items.size() != ex.fields.items.size()) {
            error(ex.origin, "LOAD_ERR_VALIDATE", ew + ": Fields and comps lists must have equal length");
            ok = false;
            continue;
          }
          for (const auto& c : ex.comps.items) comps.push_back(c.item);
        } else {
          comps.assign(ex.fields.items.size(), "=");
        }
        bool bad = false;
        for (const auto& c : comps) {
          if (!is_known_operator(c)) {
            error(ex.origin, "LOAD_ERR_VALIDATE", ew + ": '" + c + "' is not a supported comparison operator");
            bad = true;
          }
        }
        std::vector<ast::FieldExpr> fes(ex.fields.items.size());
        for (size_t i = 0; i < fes.size(); ++i) bad = !field_of(ex.fields.items[i].item, &fes[i]) || bad;
        if (bad) {
          ok = false;
          continue;
        }
        auto any = std::make_unique<ast::Expr>();
        any->kind = ast::Expr::Kind::kOr;
        any->pos = pos;
        for (const auto& tuple : ex.values) {
          if (!tuple.is_list || tuple.items.size() != fes.size()) {
            error(tuple.origin, "LOAD_ERR_VALIDATE", ew + ": Fields and values lists must have equal length");
            bad = true;
            continue;
          }
          auto all = std::make_unique<ast::Expr>();
          all->kind = ast::Expr::Kind::kAnd;
          all->pos = pos;
          for (size_t i = 0; i < fes.size(); ++i)
            all->children.push_back(make_check(fes[i], comps[i], tuple.items[i]));
          any->children.push_back(std::move(all));
        }
        if (bad) {
          ok = false;
          continue;
        }
        if (any->children.empty()) continue;
        cond = std::move(any);
      }
      auto neg = std::make_unique<ast::Expr>();
      neg->kind = ast::Expr::Kind::kNot;
      neg->pos = pos;
      neg->children.push_back(std::move(cond));
      out->push_back(std::move(neg));
    }
    return ok;
  }

  // ---- expansion (riposte rules explain)

  static std::string field_text(const ast::FieldExpr& f) {
    std::string s = f.name;
    if (f.has_arg) s += "[" + f.arg + "]";
    for (auto it = f.transformers.rbegin(); it != f.transformers.rend(); ++it)
      s = *it + "(" + s + ")";
    return s;
  }

  void expand_values(const std::vector<ast::Value>& vals, bool resolve_lists, std::string* out) {
    bool first = true;
    for (const auto& v : vals) {
      const std::vector<ast::Value>* items =
          resolve_lists && !v.quoted ? list(v.text) : nullptr;
      if (items != nullptr) {
        for (const auto& i : *items) {
          if (!first) *out += ", ";
          *out += format_value(i.text);
          first = false;
        }
        continue;
      }
      if (!first) *out += ", ";
      *out += format_value(v.text);
      first = false;
    }
  }

  // The condition as text, macros replaced by their (parenthesised) bodies and list names by
  // their items.
  std::string expand(const ast::Expr& e, int depth = 0) {
    using K = ast::Expr::Kind;
    struct Nest {
      explicit Nest(int* n) : n_(n) { ++*n_; }
      ~Nest() { --*n_; }
      int* n_;
    } nest(&expand_nesting_);
    if (expand_nesting_ > 2000 || ++expand_calls_ > 100000) return "...";
    // An and/or of one operand (exceptions build them) is that operand.
    auto effective = [](const ast::Expr* x) {
      while ((x->kind == K::kAnd || x->kind == K::kOr) && x->children.size() == 1)
        x = x->children[0].get();
      return x;
    };
    auto sub = [&](const ast::Expr& c, K parent) {
      std::string t = expand(c, depth);
      const ast::Expr* ec = effective(&c);
      bool composite = ec->kind == K::kAnd || ec->kind == K::kOr;
      bool wrap = composite && (ec->kind != parent || parent == K::kNot);
      return wrap ? "(" + t + ")" : t;
    };
    switch (e.kind) {
      case K::kAnd:
      case K::kOr: {
        if (e.children.size() == 1) return expand(*e.children[0], depth);
        std::string s;
        for (size_t i = 0; i < e.children.size(); ++i) {
          if (i) s += e.kind == K::kAnd ? " and " : " or ";
          s += sub(*e.children[i], e.kind);
        }
        return s;
      }
      case K::kNot:
        return "not " + sub(*e.children[0], K::kNot);
      case K::kMacroRef: {
        const ast::Expr* body = depth < 256 ? macro(e.ident) : nullptr;
        if (body == nullptr) return e.ident;
        std::string t = expand(*body, depth + 1);
        return body->kind == K::kAnd || body->kind == K::kOr ? "(" + t + ")" : t;
      }
      case K::kCheck: {
        std::string s = field_text(e.field) + " " + e.op;
        switch (e.rhs) {
          case ast::Expr::RhsKind::kNone:
            break;
          case ast::Expr::RhsKind::kValue:
            s += " " + format_value(e.values.empty() ? std::string() : e.values[0].text);
            break;
          case ast::Expr::RhsKind::kList:
            s += " (";
            expand_values(e.values, true, &s);
            s += ")";
            break;
          case ast::Expr::RhsKind::kListRef: {
            s += " (";
            const auto* items = list(e.values[0].text);
            if (items != nullptr) expand_values(*items, false, &s);
            else s += e.values[0].text;
            s += ")";
            break;
          }
          case ast::Expr::RhsKind::kField:
            s += e.rhs_field.transformers.empty() ? " val(" + field_text(e.rhs_field) + ")"
                                                  : " " + field_text(e.rhs_field);
            break;
        }
        return s;
      }
    }
    return {};
  }

  Origin error_origin(const RuleDef& r, const CompileError& ce) {
    if (ce.pos >= kExceptionPosBase) {
      size_t ei = ce.pos - kExceptionPosBase;
      if (ei < r.exceptions.size()) return r.exceptions[ei].origin;
      return r.origin;
    }
    if (!ce.macro.empty()) {
      auto it = macro_idx_.find(ce.macro);
      if (it != macro_idx_.end()) return locate(macros_[it->second].cond, ce.pos);
    }
    return locate(r.cond, ce.pos);
  }

  std::unique_ptr<CompiledRule> compile_rule(const RuleDef& r) {
    std::string what = "rule '" + r.name + "'";
    std::string expanded;
    ParseResult pr = parse_condition(r.cond.text);
    if (!pr.ok()) {
      error(locate(r.cond, pr.error_pos), "LOAD_ERR_COMPILE_CONDITION", what + ": " + pr.error);
      return nullptr;
    }
    std::vector<std::unique_ptr<ast::Expr>> exs;
    if (!build_exceptions(r, &exs)) return nullptr;
    std::unique_ptr<ast::Expr> root = std::move(pr.expr);
    if (!exs.empty()) {
      auto all = std::make_unique<ast::Expr>();
      all->kind = ast::Expr::Kind::kAnd;
      all->pos = root->pos;
      all->children.push_back(std::move(root));
      for (auto& e : exs) all->children.push_back(std::move(e));
      root = std::move(all);
    }

    std::vector<CompileError> errs;
    expand_calls_ = 0;
    if (opts_.expand_conditions) expanded = expand(*root);
    auto filter = compile_filter(*root, *this, &errs, &linker_);
    bool unknown_only = !errs.empty();
    for (const auto& ce : errs)
      if (!ce.warning && !ce.unknown_field) unknown_only = false;
    if (!filter && r.skip_if_unknown_filter && unknown_only) {
      for (const auto& ce : errs)
        if (!ce.warning)
          warning(error_origin(r, ce), "LOAD_UNKNOWN_FILTER",
                  what + ": " + ce.message + " (rule skipped: skip-if-unknown-filter)");
      return nullptr;
    }
    for (const auto& ce : errs) {
      if (ce.warning) {
        warning(error_origin(r, ce), "LOAD_UNKNOWN_EVTTYPE", what + ": " + ce.message);
      } else {
        error(error_origin(r, ce), "LOAD_ERR_COMPILE_CONDITION", what + ": " + ce.message);
      }
    }
    if (!filter) return nullptr;

    auto cr = std::make_unique<CompiledRule>();
    std::string oerr;
    size_t opos = 0;
    if (!cr->format.compile(r.output.text, &oerr, &opos)) {
      error(locate(r.output, opos), "LOAD_ERR_COMPILE_OUTPUT", what + ": " + oerr);
      return nullptr;
    }
    cr->name = r.name;
    cr->desc = r.desc;
    cr->source = r.source;
    cr->output = r.output.text;
    cr->priority = r.priority;
    cr->tags = r.tags;
    std::sort(cr->tags.begin(), cr->tags.end());
    cr->tags.erase(std::unique(cr->tags.begin(), cr->tags.end()), cr->tags.end());
    cr->enabled = r.enabled;
    cr->index = r.index;
    for (const auto& ex : r.exceptions) {
      if (ex.fields.is_list) {
        for (const auto& f : ex.fields.items) cr->exception_fields.push_back(f.item);
      } else {
        cr->exception_fields.push_back(ex.fields.item);
      }
    }
    cr->event_types = filter->event_types();
    cr->expanded_condition = std::move(expanded);
    cr->filter = std::move(*filter);
    if (cr->event_types.is_all() && r.warn_evttypes) {
      warning(r.origin, "LOAD_NO_EVTTYPE",
              what + ": Rule matches too many evt.type values. This has a significant "
                     "performance penalty.");
    }
    return cr;
  }

  const LoadOptions& opts_;
  std::vector<File> files_;
  std::vector<Diagnostic> diags_;
  std::set<std::string> seen_;
  std::vector<ListDef> lists_;
  std::unordered_map<std::string, size_t> list_idx_;
  std::vector<MacroDef> macros_;
  std::unordered_map<std::string, size_t> macro_idx_;
  std::vector<RuleDef> rules_;
  std::unordered_map<std::string, size_t> rule_idx_;
  FilterLinker linker_;
  int expand_nesting_ = 0;
  int expand_calls_ = 0;
};

LoadResult Loader::finish() {
  LoadResult res;
  res.ruleset = std::make_unique<Ruleset>();
  Ruleset& rs = *res.ruleset;
  rs.matching_ = opts_.rule_matching;
  rs.hostname_ = opts_.hostname;
  if (rs.hostname_.empty()) {
    char buf[256] = {0};
    if (gethostname(buf, sizeof buf - 1) == 0) rs.hostname_ = buf;
  }

  resolve_lists();
  parse_macros();

  for (const auto& r : rules_) {
    if (r.source != "syscall") {
      warning(r.origin, "LOAD_UNKNOWN_SOURCE",
              "rule '" + r.name + "': unknown source '" + r.source + "', rule skipped");
      continue;
    }
    auto cr = compile_rule(r);
    if (!cr) continue;
    if (!at_least(cr->priority, opts_.min_priority)) continue;
    rs.rules_.push_back(std::move(cr));
  }
  std::sort(rs.rules_.begin(), rs.rules_.end(),
            [](const auto& a, const auto& b) { return a->index < b->index; });
  std::vector<Filter*> enabled_filters;
  for (const auto& r : rs.rules_) {
    if (!r->enabled) continue;
    enabled_filters.push_back(&r->filter);
    rs.enabled_.push_back(r.get());
    rs.types_ |= r->event_types;
    if (r->event_types.intersects(EventTypeSet::opens())) {
      const OpenPaths p = r->filter.open_paths();
      rs.open_paths_.read.add(p.read);
      rs.open_paths_.write.add(p.write);
    }
    for (EventType t : r->event_types.to_vector())
      rs.by_type_[static_cast<size_t>(t)].push_back(r.get());
  }

  rs.result_slots_ = linker_.link(enabled_filters);
  rs.chains_.resize(kEventTypeCount);
  for (size_t t = 1; t < kEventTypeCount; ++t) {
    if (rs.by_type_[t].empty()) continue;
    std::vector<std::pair<const Filter*, const void*>> fs;
    for (const CompiledRule* r : rs.by_type_[t]) fs.emplace_back(&r->filter, r);
    rs.chains_[t].build(static_cast<EventType>(t), fs, rs.matching_ == RuleMatching::kFirst);
  }

  for (const auto& m : macros_)
    if (!m.used) warning(m.origin, "LOAD_UNUSED_MACRO", "macro '" + m.name + "' is not used");
  for (const auto& l : lists_)
    if (!l.used) warning(l.origin, "LOAD_UNUSED_LIST", "list '" + l.name + "' is not used");

  // In file order, then by position (errors are found in several passes).
  auto file_rank = [this](const std::string& name) {
    for (size_t i = 0; i < files_.size(); ++i)
      if (files_[i].name == name) return i;
    return files_.size();
  };
  std::stable_sort(diags_.begin(), diags_.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    size_t fa = file_rank(a.file), fb = file_rank(b.file);
    if (fa != fb) return fa < fb;
    if (a.line != b.line) return a.line < b.line;
    return a.col < b.col;
  });
  res.diagnostics = std::move(diags_);
  return res;
}

LoadResult load_rules(const std::vector<std::string>& files, const LoadOptions& opts) {
  Loader l(opts);
  for (const auto& f : files) l.add_file(f);
  return l.finish();
}

LoadResult load_rules_from_sources(const std::vector<RulesSource>& sources,
                                   const LoadOptions& opts) {
  Loader l(opts);
  for (const auto& s : sources) l.add_source(s);
  return l.finish();
}

LoadResult load_rules_from_string(std::string_view yaml, const LoadOptions& opts,
                                  std::string name) {
  return load_rules_from_sources({RulesSource{std::move(name), std::string(yaml)}}, opts);
}

}  // namespace riposte::detector::rules
