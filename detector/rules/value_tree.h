// A check's operand when it is not a plain field with a chain of transformers: a tree of
// transformer calls (Falco 0.44's join, concat and getopt), literals and lists, compiled from
// an ast::FieldExpr with `call` set, and evaluated per event into FieldValues. Plain fields
// keep the flat ResolvedField + Xform form (check.h): a tree costs only the checks that use one.
//
// Semantics are libsinsp's (sinsp_filtercheck_multivalue_transformer.cpp, filter.cpp):
//   join(sep, list)          the list's values joined by sep: one string
//   concat(a, b, ...)        two or more single strings concatenated: one string
//   getopt(list, optstring)  getopt(3) over the list: each option, then its value when it
//                            takes one; '?' for an unknown option; "" for a missing value;
//                            stops at "--" or the first operand; long options skipped
//   getopt(...)[c]           the last value (or the option itself) of option c; no value
//                            when c is absent
// A list "(a, b)" yields every value of each element, numbers as text; it has no value when
// one element has none. join and concat read each value up to its first NUL, as libsinsp.
#pragma once

#include <bitset>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "detector/rules/ast.h"
#include "detector/rules/check.h"

namespace riposte::detector::rules::detail {

struct ValueTree {
  enum class Kind : uint8_t { kField, kLiteral, kList, kJoin, kConcat, kGetopt };
  Kind kind = Kind::kLiteral;
  bool list = false;                    // yields a list (several values)
  FieldType type = FieldType::kString;  // after xforms
  ResolvedField field;                  // kField
  std::vector<Xform> xforms;            // applied to this node's values, innermost first
  std::string text;                     // kLiteral
  std::vector<ValueTree> kids;          // kList: elements; calls: operands
  int selector = -1;                    // getopt(...)[c]: c; -1 = none
  bool const_opts = false;              // getopt's optstring is a literal, decoded below
  std::bitset<256> valid_opts, opts_with_arg;
};

// Nested calls allowed in one operand: each level keeps a value array on the stack.
inline constexpr size_t kMaxTreeDepth = 16;

// Resolves a plain field with its transformer chain (the compiler's own resolution, which
// records the field and reports its errors). Returns false when it reported an error.
using LeafResolver =
    std::function<bool(const ast::FieldExpr&, ResolvedField*, std::vector<Xform>*, FieldType*)>;

// Compiles fe (fe.call set) into *out. On an error of the call itself (wrong operands,
// types, selector) returns false with *err_pos / *err set; when the leaf resolver failed,
// returns false with *err empty (already reported).
bool build_value_tree(const ast::FieldExpr& fe, const LeafResolver& leaf, ValueTree* out,
                      size_t* err_pos, std::string* err);

// The tree as canonical condition text (sharing key and display).
std::string value_tree_text(const ValueTree& t);

// The values of t for this event, at most cap; 0 = no value. Views stay valid until
// s.reset().
size_t eval_value_tree(const ValueTree& t, const EvalContext& ctx, FieldValue* out, size_t cap,
                       EvalScratch& s);

// The estimated cost of evaluating t (filter.h's cost model): its fields', plus the strings
// its calls build.
uint32_t value_tree_cost(const ValueTree& t);

// A transformer's name and the Xform it stands for (tolower, toupper, b64, basename, len).
bool xform_from_name(std::string_view name, Xform* x);
std::string_view xform_name(Xform x);

}  // namespace riposte::detector::rules::detail
