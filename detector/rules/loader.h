// The rules loader, along Falco's rule_loader: the reader (rule_reader.cpp) turns each YAML
// item into a list, macro or rule definition with its source positions and collects them
// (append, override, exceptions); the compiler (rule_compiler.cpp) resolves lists, parses
// macros, expands exceptions and compiles each rule's condition; loader.cpp holds the
// diagnostics, the symbol table the filter compiler reads, and finish(), which builds the
// Ruleset. Internal to riposte_rules (ruleset.h is the API).
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "detector/rules/ast.h"
#include "detector/rules/filter.h"
#include "detector/rules/parser.h"
#include "detector/rules/ruleset.h"

namespace riposte::detector::rules {
namespace detail {

struct Origin {
  int file = -1;
  size_t pos = 0;
  int line = -1;  // 0-based
  int col = -1;   // 0-based
};

inline Origin origin_of(int file, const YAML::Node& n) {
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

inline constexpr size_t kExceptionPosBase = static_cast<size_t>(1) << 60;
inline constexpr size_t kMaxListItems = 100000;

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
  // Falco 0.44's capture keys: read, type-checked and overridable as in Falco, not acted on
  // (riposte takes no event captures).
  bool capture = false;
  uint64_t capture_duration = 0;
  std::vector<ExceptionDef> exceptions;
  Origin origin;
  size_t index = 0;
};

inline bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

inline bool is_bare_list_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == ',' ||
        c == '=' || c == '"' || c == '\'')
      return false;
  return true;
}

inline ListItem make_list_item(const std::string& raw) {
  ListItem it;
  if (raw.size() >= 2 &&
      ((raw.front() == '"' && raw.back() == '"') || (raw.front() == '\'' && raw.back() == '\''))) {
    // Falco pastes the item into the condition, whose parser unescapes it; an escape it would
    // refuse is kept as written here (a list is checked where a condition uses it).
    const std::string_view inner = std::string_view(raw).substr(1, raw.size() - 2);
    std::string err;
    if (!unescape_quoted(inner, raw.front(), &it.text, &err)) it.text = std::string(inner);
    it.quoted = true;
  } else {
    it.text = raw;
    it.quoted = raw.find_first_of(" \t") != std::string::npos;
  }
  return it;
}

inline std::vector<int> parse_version(std::string_view v) {
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

}  // namespace detail

using namespace detail;

class Loader : public SymbolTable {
 public:
  explicit Loader(const LoadOptions& opts) : opts_(opts) {}

  void add_file(const std::string& path);

  void add_source(const RulesSource& src);
  // The source a rule is compiled for (finish() skips rules of unknown sources).
  static RuleSource source_of(const RuleDef& r);

  LoadResult finish();

  // SymbolTable
  const ast::Expr* macro(std::string_view name) override;
  bool macro_broken(std::string_view name) override;
  const std::vector<ast::Value>* list(std::string_view name) override;

 private:
  struct File {
    std::string name;
    std::string content;
    std::vector<size_t> line_starts;
  };

  // ---- diagnostics

  void add(Diagnostic d);

  Diagnostic make(Diagnostic::Severity sev, const Origin& o, std::string code,
                  std::string msg) const;
  void error(const Origin& o, std::string code, std::string msg);
  void warning(const Origin& o, std::string code, std::string msg);

  // Maps an offset in a SourceText back to the file.
  Origin locate(const SourceText& st, size_t pos) const;
  // Errors for the macros `e` (part of macro m) names that no item defines.
  void report_undefined_macros(const MacroDef& m, const ast::Expr& e);

  // ---- YAML helpers

  bool get_string(int fi, const YAML::Node& item, const char* key, std::string* out, bool required,
                  const std::string& what);

  bool get_bool(int fi, const YAML::Node& item, const char* key, bool* out,
                const std::string& what);
  bool get_uint(int fi, const YAML::Node& item, const char* key, uint64_t* out,
                const std::string& what);

  bool get_string_seq(int fi, const YAML::Node& item, const char* key,
                      std::vector<std::string>* out, const std::string& what);

  void check_keys(int fi, const YAML::Node& item, std::initializer_list<std::string_view> known,
                  const std::string& what);

  // override: {key: append|replace}
  bool read_overrides(int fi, const YAML::Node& item, const std::set<std::string>& can_append,
                      const std::set<std::string>& can_replace, std::set<std::string>* app,
                      std::set<std::string>* rep, const std::string& what);

  // ---- items

  void read_item(int fi, const YAML::Node& item);

  void read_list(int fi, const YAML::Node& item);

  void read_macro(int fi, const YAML::Node& item);

  bool read_ex_entry(int fi, const YAML::Node& v, ExValue* out, const std::string& what,
                     bool allow_nested);

  bool read_exceptions(int fi, const YAML::Node& item, std::vector<ExceptionDef>* out,
                       bool appending, const std::string& what);

  void append_exceptions(RuleDef* r, std::vector<ExceptionDef>& add);

  void read_rule(int fi, const YAML::Node& item);

  // ---- compilation

  void resolve_lists();

  void parse_macros();

  // Builds "not (exception)" expressions for a rule, with positions pointing at the exception.
  bool build_exceptions(const RuleDef& r, std::vector<std::unique_ptr<ast::Expr>>* out);

  // ---- expansion (riposte rules explain)

  static std::string field_text(const ast::FieldExpr& f);

  void expand_values(const std::vector<ast::Value>& vals, bool resolve_lists, std::string* out);

  // The condition as text, macros replaced by their (parenthesised) bodies and list names by
  // their items.
  std::string expand(const ast::Expr& e, int depth = 0);

  Origin error_origin(const RuleDef& r, const CompileError& ce);

  std::unique_ptr<CompiledRule> compile_rule(const RuleDef& r);
  // LOAD_UNFILLED_FIELD for the fields of a compiled rule the sensor never fills.
  void warn_unfilled(const RuleDef& r, const Filter& filter, const OutputFormat& format);

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

}  // namespace riposte::detector::rules
