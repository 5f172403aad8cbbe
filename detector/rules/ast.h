// The syntax tree of a Falco condition, as produced by parser.h. Every node carries the byte
// offset into the condition text it came from, so later stages (macro/list resolution, field
// checking, compilation) can report errors at file:line:col.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace riposte::detector::rules::ast {

struct XformArg;

// A field reference: "proc.aname[2]", "k8s.pod.label.app", "evt.arg.flags",
// possibly wrapped in transformers: tolower(basename(fd.name)). Or, when `call` is set, a
// transformer call that is not a plain chain (Falco 0.44's join/concat/getopt, or a transformer
// given a literal or several operands): join("-", (fd.name, "x")), getopt(proc.args, "t:")[t].
// Calls nest, so a field expression is a tree; a plain chain stays the cheap flat form.
struct FieldExpr {
  std::string name;            // as written, without the bracketed argument: "proc.aname"
  std::string arg;             // bracketed argument ("2", "app"; a call's selector: "t")
  bool has_arg = false;        // a [..] argument was given (even empty)
  std::vector<std::string> transformers;  // outermost first: {"tolower", "basename"}
  size_t pos = 0;
  std::string call;            // the called transformer ("join"); empty for a field
  std::vector<XformArg> args;  // the call's operands
};

// One operand of a transformer call: a field expression, a literal (quoted string or number),
// or a parenthesised list of those.
struct XformArg {
  enum class Kind : uint8_t { kField, kLiteral, kList };
  Kind kind = Kind::kLiteral;
  FieldExpr field;              // kField
  std::string text;             // kLiteral: unquoted, unescaped
  std::vector<XformArg> items;  // kList: fields and literals
  size_t pos = 0;
};

// One value on the right of an operator.
struct Value {
  std::string text;     // unquoted, unescaped
  bool quoted = false;  // written as "..." or '...'
  size_t pos = 0;
};

struct Expr {
  enum class Kind : uint8_t { kAnd, kOr, kNot, kMacroRef, kCheck };
  enum class RhsKind : uint8_t { kNone, kValue, kList, kListRef, kField };

  Kind kind = Kind::kCheck;
  size_t pos = 0;

  // kAnd / kOr: two or more children; kNot: one child.
  std::vector<std::unique_ptr<Expr>> children;

  // kMacroRef: the identifier.
  std::string ident;

  // kCheck
  FieldExpr field;
  std::string op;  // canonical spelling: "=", "!=", "<", ... "contains", "exists"
  size_t op_pos = 0;
  RhsKind rhs = RhsKind::kNone;
  std::vector<Value> values;  // kValue: one; kList: zero or more; kListRef: one (the list name)
  FieldExpr rhs_field;        // kField: val(x) or a transformer applied to a field
  // Falco 0.44's comparison modifier before a list ("oneof", "anyof", "allof"), "" = none:
  // the operator holds for exactly one, any, or all of the list's values.
  std::string modifier;

  std::unique_ptr<Expr> clone() const;
};

inline std::unique_ptr<Expr> Expr::clone() const {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  e->ident = ident;
  e->field = field;
  e->op = op;
  e->modifier = modifier;
  e->op_pos = op_pos;
  e->rhs = rhs;
  e->values = values;
  e->rhs_field = rhs_field;
  e->children.reserve(children.size());
  for (const auto& c : children) e->children.push_back(c->clone());
  return e;
}

}  // namespace riposte::detector::rules::ast
