// The compiler of the rules loader (loader.h): lists resolved, macros parsed, exceptions
// expanded into conditions, each rule's condition compiled (filter.h) into a CompiledRule.
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
#include "detector/rules/loader.h"
#include "detector/rules/parser.h"

namespace riposte::detector::rules {

void Loader::resolve_lists() {
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

void Loader::parse_macros() {
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

RuleSource Loader::source_of(const RuleDef& r) {
  return parse_rule_source(r.source).value_or(RuleSource::kSyscall);
}

namespace {
// An exception's comp without its surrounding blanks, as Falco reads it.
std::string normalize_comp(const std::string& comp) {
  const size_t b = comp.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return comp.substr(b, comp.find_last_not_of(" \t\r\n") - b + 1);
}

// "startswith oneof", "= allof": a string operator and a comparison modifier (Falco 0.44).
bool is_modifier_comp(const std::string& comp) {
  const size_t sp = comp.find_first_of(" \t");
  if (sp == std::string::npos) return false;
  const size_t m = comp.find_first_not_of(" \t", sp);
  return takes_modifier(std::string_view(comp).substr(0, sp)) &&
         is_modifier(std::string_view(comp).substr(m));
}
}  // namespace

bool Loader::build_exceptions(const RuleDef& r, std::vector<std::unique_ptr<ast::Expr>>* out) {
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
      if (!resolve_field(fe->name, fe->arg, fe->has_arg, &rf, &err) ||
          !field_in_source(rf, source_of(r), &err)) {
        error(ex.origin, "LOAD_ERR_VALIDATE", ew + ": " + err);
        return false;
      }
      fe->pos = pos;
      return true;
    };
    auto make_check = [&](const ast::FieldExpr& fe, const std::string& comp, const ExValue& v) {
      auto c = std::make_unique<ast::Expr>();
      c->kind = ast::Expr::Kind::kCheck;
      c->pos = pos;
      c->op_pos = pos;
      c->field = fe;
      c->op = comp;
      // "startswith oneof": the operator and its modifier, whose values are a list even when
      // a single value is given (Falco parenthesises it).
      if (const size_t sp = comp.find_first_of(" \t"); sp != std::string::npos) {
        c->op = comp.substr(0, sp);
        c->modifier = comp.substr(comp.find_first_not_of(" \t", sp));
      }
      if (c->op == "==") c->op = "=";
      if (v.is_list || !c->modifier.empty()) {
        c->rhs = ast::Expr::RhsKind::kList;
        for (const auto& i : v.is_list ? v.items : std::vector<ExValue>{v}) {
          ListItem li = make_list_item(i.item);
          c->values.push_back({li.text, li.quoted, pos});
        }
      } else if (is_list_operator(comp)) {
        c->rhs = ast::Expr::RhsKind::kList;
        ListItem li = make_list_item(v.item);
        c->values.push_back({li.text, li.quoted, pos});
      } else {
        ListItem li = make_list_item(v.item);
        // Falco pastes the value into the condition, quoted only when it has a space: a
        // value like toupper(proc.pname) is then a transformer on the right-hand side.
        ast::FieldExpr rhs;
        std::string ignored;
        if (li.text.find_first_of(" \t") == std::string::npos &&
            li.text.find('(') != std::string::npos && parse_field_expr(li.text, &rhs, &ignored) &&
            (!rhs.transformers.empty() || !rhs.call.empty())) {
          rhs.pos = pos;
          c->rhs = ast::Expr::RhsKind::kField;
          c->rhs_field = std::move(rhs);
          return c;
        }
        c->rhs = ast::Expr::RhsKind::kValue;
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
          error(ex.origin, "LOAD_ERR_VALIDATE",
                ew + ": comps must be a single string when fields is a single field");
          ok = false;
          continue;
        }
        comp = normalize_comp(ex.comps.item);
      }
      if (!is_list_operator(comp) && !is_modifier_comp(comp)) {
        error(ex.origin, "LOAD_ERR_VALIDATE",
              ew +
                  ": when fields is a single field, comps must be one of in, intersects, "
                  "pmatch or a string operator with a modifier ('startswith oneof'), not '" +
                  comp + "'");
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
          error(v.origin, "LOAD_ERR_VALIDATE",
                ew + ": Expected values array to contain a list of strings");
          ok = false;
        }
        all.items.push_back(v);
      }
      cond = make_check(fe, comp, all);
    } else {
      std::vector<std::string> comps;
      if (ex.has_comps) {
        if (!ex.comps.is_list || ex.comps.items.size() != ex.fields.items.size()) {
          error(ex.origin, "LOAD_ERR_VALIDATE",
                ew + ": Fields and comps lists must have equal length");
          ok = false;
          continue;
        }
        for (const auto& c : ex.comps.items) comps.push_back(normalize_comp(c.item));
      } else {
        comps.assign(ex.fields.items.size(), "=");
      }
      bool bad = false;
      for (const auto& c : comps) {
        if (!is_known_operator(c) && !is_modifier_comp(c)) {
          error(ex.origin, "LOAD_ERR_VALIDATE",
                ew + ": '" + c + "' is not a supported comparison operator");
          bad = true;
        }
      }
      std::vector<ast::FieldExpr> fes(ex.fields.items.size());
      for (size_t i = 0; i < fes.size(); ++i)
        bad = !field_of(ex.fields.items[i].item, &fes[i]) || bad;
      if (bad) {
        ok = false;
        continue;
      }
      auto any = std::make_unique<ast::Expr>();
      any->kind = ast::Expr::Kind::kOr;
      any->pos = pos;
      for (const auto& tuple : ex.values) {
        if (!tuple.is_list || tuple.items.size() != fes.size()) {
          error(tuple.origin, "LOAD_ERR_VALIDATE",
                ew + ": Fields and values lists must have equal length");
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

std::string Loader::field_text(const ast::FieldExpr& f) { return format_field_expr(f); }

void Loader::expand_values(const std::vector<ast::Value>& vals, bool resolve_lists,
                           std::string* out) {
  bool first = true;
  for (const auto& v : vals) {
    const std::vector<ast::Value>* items = resolve_lists && !v.quoted ? list(v.text) : nullptr;
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

std::string Loader::expand(const ast::Expr& e, int depth) {
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
      if (!e.modifier.empty()) s += " " + e.modifier;
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
          if (items != nullptr)
            expand_values(*items, false, &s);
          else
            s += e.values[0].text;
          s += ")";
          break;
        }
        case ast::Expr::RhsKind::kField:
          s += e.rhs_field.transformers.empty() && e.rhs_field.call.empty()
                   ? " val(" + field_text(e.rhs_field) + ")"
                   : " " + field_text(e.rhs_field);
          break;
      }
      return s;
    }
  }
  return {};
}

Origin Loader::error_origin(const RuleDef& r, const CompileError& ce) {
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

void Loader::warn_unfilled(const RuleDef& r, const Filter& filter, const OutputFormat& format) {
  // Once per catalogue field: container.mount.dest[/proc] and [/etc] are one warning.
  std::vector<std::string_view> seen;
  auto check = [&](const std::string& name) {
    const std::optional<UnfilledField> u = field_unfilled(name);
    if (!u || std::find(seen.begin(), seen.end(), u->field) != seen.end()) return;
    seen.push_back(u->field);
    warning(r.origin, "LOAD_UNFILLED_FIELD",
            "rule '" + r.name + "': field '" + std::string(u->field) +
                "' is never filled by riposte's sensor (" + std::string(u->reason) +
                "); the rule loads but cannot see what it reads");
  };
  for (const std::string& f : filter.fields()) check(f);
  for (const std::string& f : format.field_names()) check(f);
}

std::unique_ptr<CompiledRule> Loader::compile_rule(const RuleDef& r) {
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
  auto filter = compile_filter(*root, *this, &errs, &linker_, source_of(r));
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
      warning(error_origin(r, ce), std::string(ce.code), what + ": " + ce.message);
    } else {
      error(error_origin(r, ce),
            ce.code.empty() ? "LOAD_ERR_COMPILE_CONDITION" : std::string(ce.code),
            what + ": " + ce.message);
    }
  }
  if (!filter) return nullptr;

  auto cr = std::make_unique<CompiledRule>();
  std::string oerr;
  size_t opos = 0;
  if (!cr->format.compile(r.output.text, &oerr, &opos, source_of(r))) {
    // As for the condition, an unknown field with skip-if-unknown-filter skips the rule.
    if (r.skip_if_unknown_filter && oerr.find("unknown field") != std::string::npos) {
      warning(locate(r.output, opos), "LOAD_UNKNOWN_FILTER",
              what + ": " + oerr + " (rule skipped: skip-if-unknown-filter)");
      return nullptr;
    }
    error(locate(r.output, opos), "LOAD_ERR_COMPILE_OUTPUT", what + ": " + oerr);
    return nullptr;
  }
  if (opts_.warn_unfilled_fields) warn_unfilled(r, *filter, cr->format);
  cr->name = r.name;
  cr->desc = r.desc;
  cr->source = r.source;
  cr->output = r.output.text;
  if (size_t at = r.output.text.find(kDeprecatedEvtDir); at != std::string::npos)
    warning(locate(r.output, at), "LOAD_DEPRECATED_ITEM",
            what + ": usage of deprecated field 'evt.dir' has been detected in the rule output");
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
  // Falco warns when a rule matches more than 100 of its ~400 event codes, which a negated
  // evt.type (`not evt.type = execve`) does too; riposte captures fewer types, so the same
  // share is half of them.
  if (cr->event_types.size() * 2 > kEventTypeCount && r.warn_evttypes) {
    warning(r.origin, "LOAD_NO_EVTTYPE",
            what +
                ": Rule matches too many evt.type values. This has a significant "
                "performance penalty.");
  }
  return cr;
}

}  // namespace riposte::detector::rules
