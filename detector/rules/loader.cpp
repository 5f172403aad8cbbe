// The rules loader's diagnostics and symbol table, and finish(): the definitions compiled
// into a Ruleset (loader.h).
#include "detector/rules/loader.h"

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

const ast::Expr* Loader::macro(std::string_view name) {
  auto it = macro_idx_.find(std::string(name));
  if (it == macro_idx_.end()) return nullptr;
  MacroDef& m = macros_[it->second];
  m.used = true;
  return m.ast.get();
}

void Loader::report_undefined_macros(const MacroDef& m, const ast::Expr& e) {
  if (e.kind == ast::Expr::Kind::kMacroRef && !macro_idx_.count(e.ident))
    error(locate(m.cond, e.pos), "LOAD_ERR_VALIDATE",
          "macro '" + m.name + "': Undefined macro '" + e.ident + "' used in filter.");
  for (const auto& c : e.children) report_undefined_macros(m, *c);
}

bool Loader::macro_broken(std::string_view name) {
  auto it = macro_idx_.find(std::string(name));
  return it != macro_idx_.end() && macros_[it->second].broken;
}

const std::vector<ast::Value>* Loader::list(std::string_view name) {
  auto it = list_idx_.find(std::string(name));
  if (it == list_idx_.end()) return nullptr;
  ListDef& l = lists_[it->second];
  l.used = true;
  return &l.resolved;
}

void Loader::add(Diagnostic d) {
  std::string key = d.str();
  if (!seen_.insert(key).second) return;
  diags_.push_back(std::move(d));
}

Diagnostic Loader::make(Diagnostic::Severity sev, const Origin& o, std::string code,
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

void Loader::error(const Origin& o, std::string code, std::string msg) {
  add(make(Diagnostic::kError, o, std::move(code), std::move(msg)));
}

void Loader::warning(const Origin& o, std::string code, std::string msg) {
  add(make(Diagnostic::kWarning, o, std::move(code), std::move(msg)));
}

Origin Loader::locate(const SourceText& st, size_t pos) const {
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
    if (!parse_rule_source(r.source)) {
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

  for (const auto& m : macros_) {
    if (m.used) continue;
    warning(m.origin, "LOAD_UNUSED_MACRO", "macro '" + m.name + "' is not used");
    // Falco compiles every macro, used or not: one naming an undefined macro is an error.
    // (Used ones report it through the rules that use them.)
    if (m.ast != nullptr) report_undefined_macros(m, *m.ast);
  }
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

}  // namespace riposte::detector::rules
