#include "detector/rules/value_tree.h"

#include <algorithm>

#include "detector/rules/operators.h"
#include "detector/rules/parser.h"

namespace riposte::detector::rules::detail {
namespace {

using Kind = ValueTree::Kind;

constexpr std::pair<std::string_view, Xform> kXformNames[] = {{"tolower", Xform::kToLower},
                                                              {"toupper", Xform::kToUpper},
                                                              {"b64", Xform::kB64},
                                                              {"basename", Xform::kBasename},
                                                              {"len", Xform::kLen}};

void parse_optstring(std::string_view opts, std::bitset<256>* valid, std::bitset<256>* with_arg) {
  valid->reset();
  with_arg->reset();
  // A leading ':' only changes what getopt(3) reports for a missing value; libsinsp reports
  // "" either way.
  for (size_t i = (!opts.empty() && opts[0] == ':') ? 1 : 0; i < opts.size(); ++i) {
    const auto c = static_cast<unsigned char>(opts[i]);
    if (c == ':') continue;
    valid->set(c);
    if (i + 1 < opts.size() && opts[i + 1] == ':') {
      with_arg->set(c);
      ++i;
    }
  }
}

class Builder {
 public:
  Builder(const LeafResolver& leaf, size_t* err_pos, std::string* err)
      : leaf_(leaf), err_pos_(err_pos), err_(err) {}

  bool expr(const ast::FieldExpr& fe, ValueTree* t, size_t depth) {
    if (fe.call.empty()) {
      t->kind = Kind::kField;
      if (!leaf_(fe, &t->field, &t->xforms, &t->type)) {
        err_->clear();
        return false;
      }
      t->list = t->field.multi;
      return true;
    }
    if (depth >= kMaxTreeDepth)
      return fail(fe.pos,
                  "transformer calls nested more than " + std::to_string(kMaxTreeDepth) + " deep");
    t->kids.resize(fe.args.size());
    for (size_t i = 0; i < fe.args.size(); ++i)
      if (!arg(fe.args[i], &t->kids[i], depth + 1)) return false;
    if (!call(fe, t)) return false;
    for (auto it = fe.transformers.rbegin(); it != fe.transformers.rend(); ++it)
      if (!apply(*it, t, fe.pos)) return false;
    return true;
  }

 private:
  bool fail(size_t pos, std::string msg) {
    *err_pos_ = pos;
    *err_ = std::move(msg);
    return false;
  }

  bool arg(const ast::XformArg& a, ValueTree* t, size_t depth) {
    switch (a.kind) {
      case ast::XformArg::Kind::kLiteral:
        t->kind = Kind::kLiteral;
        t->text = a.text;
        return true;
      case ast::XformArg::Kind::kList:
        t->kind = Kind::kList;
        t->list = true;
        t->kids.resize(a.items.size());
        for (size_t i = 0; i < a.items.size(); ++i)
          if (!arg(a.items[i], &t->kids[i], depth)) return false;
        return true;
      case ast::XformArg::Kind::kField:
        return expr(a.field, t, depth);
    }
    return false;
  }

  // Checks the operands of fe's call (already in t->kids) and makes t that call.
  bool call(const ast::FieldExpr& fe, ValueTree* t) {
    const std::string& name = fe.call;
    const auto& k = t->kids;
    if (fe.has_arg && name != "getopt")
      return fail(fe.pos, "transformer '" + name + "' does not support field arguments");
    Xform x;
    if (xform_from_name(name, &x)) {  // tolower("A"), len(("a", "b")): one operand
      if (k.size() != 1) return fail(fe.pos, "transformer '" + name + "' takes one operand");
      ValueTree inner = std::move(t->kids[0]);
      *t = std::move(inner);
      return apply(name, t, fe.pos);
    }
    auto single_string = [](const ValueTree& v) { return !v.list && v.type == FieldType::kString; };
    if (name == "join") {
      if (k.size() != 2)
        return fail(fe.pos, "join() requires exactly 2 arguments: a separator and a list");
      if (k[0].list) return fail(fe.pos, "join()'s separator must be a single value, not a list");
      if (!k[1].list) return fail(fe.pos, "join()'s second argument must be a list");
      t->kind = Kind::kJoin;
    } else if (name == "concat") {
      if (k.size() < 2) return fail(fe.pos, "concat() requires at least 2 arguments");
      if (!std::all_of(k.begin(), k.end(), single_string))
        return fail(fe.pos, "concat()'s arguments must be single strings");
      t->kind = Kind::kConcat;
    } else if (name == "getopt") {
      if (k.size() != 2)
        return fail(fe.pos, "getopt() requires exactly 2 arguments: a list and an optstring");
      if (!k[0].list || k[0].type != FieldType::kString)
        return fail(fe.pos, "getopt()'s first argument must be a list of strings");
      if (!single_string(k[1])) return fail(fe.pos, "getopt()'s optstring must be a single string");
      t->kind = Kind::kGetopt;
      if (fe.has_arg) {
        if (fe.arg.size() != 1)
          return fail(fe.pos, "getopt()'s field argument must be a single option character");
        t->selector = static_cast<unsigned char>(fe.arg[0]);
      }
      if (k[1].kind == Kind::kLiteral && k[1].xforms.empty()) {
        t->const_opts = true;
        parse_optstring(k[1].text, &t->valid_opts, &t->opts_with_arg);
      }
    } else {
      return fail(fe.pos, "unknown transformer '" + name + "'");
    }
    t->type = FieldType::kString;
    t->list = t->kind == Kind::kGetopt && t->selector < 0;
    return true;
  }

  bool apply(const std::string& name, ValueTree* t, size_t pos) {
    Xform x;
    if (!xform_from_name(name, &x))
      return fail(pos, "transformer '" + name + "' takes several operands: " + name + "(...)");
    if (t->type != FieldType::kString && t->type != FieldType::kBytes)
      return fail(pos, "transformer '" + name + "' cannot be applied to a value of type " +
                           std::string(type_name(t->type)));
    if (x == Xform::kLen) t->type = FieldType::kInt;
    t->xforms.push_back(x);
    return true;
  }

  const LeafResolver& leaf_;
  size_t* err_pos_;
  std::string* err_;
};

// join and concat read a value as a C string, as libsinsp does.
std::string_view up_to_nul(std::string_view v) { return v.substr(0, v.find('\0')); }

std::string_view as_text(const FieldValue& v, EvalScratch& s) {
  if (v.type == FieldType::kString || v.type == FieldType::kBytes) return v.str;
  std::string& b = s.buffer();
  append_value_text(v, &b);
  return b;
}

FieldValue text_value(std::string_view v) {
  FieldValue f;
  f.str = v;
  return f;
}

// -1: no value (an operand had none); otherwise the number of values written.
long eval_node(const ValueTree& t, const EvalContext& ctx, FieldValue* out, size_t cap,
               EvalScratch& s);

long eval_getopt(const ValueTree& t, const EvalContext& ctx, FieldValue* out, size_t cap,
                 EvalScratch& s) {
  std::bitset<256> parsed_valid, parsed_with_arg;
  const std::bitset<256>* valid = &t.valid_opts;
  const std::bitset<256>* with_arg = &t.opts_with_arg;
  if (!t.const_opts) {
    FieldValue o[4];
    if (eval_node(t.kids[1], ctx, o, 4, s) <= 0) return -1;
    parse_optstring(as_text(o[0], s), &parsed_valid, &parsed_with_arg);
    valid = &parsed_valid;
    with_arg = &parsed_with_arg;
  }
  FieldValue argv[kMaxFieldValues];
  const long m = eval_node(t.kids[0], ctx, argv, kMaxFieldValues, s);
  if (m < 0) return -1;
  const bool select = t.selector >= 0;
  size_t n = 0;
  bool found = false;
  std::string_view selected;
  auto emit = [&](std::string_view v) {
    if (select) {  // the last occurrence wins
      selected = v;
      found = true;
    } else if (n < cap) {
      out[n++] = text_value(v);
    }
  };
  for (long ai = 0; ai < m; ++ai) {
    const std::string_view arg = as_text(argv[ai], s);
    if (arg == "--") break;
    if (arg.size() > 2 && arg[0] == '-' && arg[1] == '-') continue;  // long options: skipped
    if (arg.size() < 2 || arg[0] != '-') break;                      // first operand
    for (size_t i = 1; i < arg.size(); ++i) {
      const auto opt = static_cast<unsigned char>(arg[i]);
      if (opt == ':' || !valid->test(opt)) {
        if (!select) emit("?");
        continue;
      }
      const bool match = !select || opt == t.selector;
      const std::string_view name = arg.substr(i, 1);
      if (!with_arg->test(opt)) {
        if (match) emit(name);
        continue;
      }
      std::string_view value;
      if (i + 1 < arg.size()) {
        value = arg.substr(i + 1);
      } else if (ai + 1 < m) {
        value = as_text(argv[++ai], s);
      } else {
        if (match) emit("");  // the value is missing
        break;
      }
      if (match) {
        if (!select) emit(name);
        emit(value);
      }
      break;
    }
  }
  if (!select) return static_cast<long>(n);
  if (!found) return -1;
  out[0] = text_value(selected);
  return 1;
}

long eval_node(const ValueTree& t, const EvalContext& ctx, FieldValue* out, size_t cap,
               EvalScratch& s) {
  long n = 0;
  switch (t.kind) {
    case Kind::kField:
      n = static_cast<long>(
          extract_field(t.field, ctx, out, t.field.multi ? cap : std::min<size_t>(cap, 4)));
      if (n == 0) return -1;
      break;
    case Kind::kLiteral:
      out[0] = text_value(t.text);
      n = 1;
      break;
    case Kind::kList:
      for (const ValueTree& k : t.kids) {
        if (static_cast<size_t>(n) >= cap) break;
        const long m = eval_node(k, ctx, out + n, cap - static_cast<size_t>(n), s);
        if (m < 0) return -1;
        for (long j = n; j < n + m; ++j) out[j] = text_value(as_text(out[j], s));
        n += m;
      }
      break;
    case Kind::kJoin: {
      n = eval_node(t.kids[1], ctx, out, cap, s);
      if (n < 0) return -1;
      FieldValue sep[4];
      if (eval_node(t.kids[0], ctx, sep, 4, s) <= 0) return -1;
      const std::string_view sv = up_to_nul(as_text(sep[0], s));
      std::string& b = s.buffer();
      for (long i = 0; i < n; ++i) {
        if (i > 0) b += sv;
        b += up_to_nul(as_text(out[i], s));
      }
      out[0] = text_value(b);
      n = 1;
      break;
    }
    case Kind::kConcat: {
      std::string& b = s.buffer();
      for (const ValueTree& k : t.kids) {
        FieldValue v[4];
        if (eval_node(k, ctx, v, 4, s) <= 0) return -1;
        b += up_to_nul(as_text(v[0], s));
      }
      out[0] = text_value(b);
      n = 1;
      break;
    }
    case Kind::kGetopt:
      n = eval_getopt(t, ctx, out, cap, s);
      if (n < 0) return -1;
      break;
  }
  if (n > 0 && !t.xforms.empty())
    n = static_cast<long>(apply_xforms(t.xforms, out, static_cast<size_t>(n), s));
  return n;
}

}  // namespace

bool build_value_tree(const ast::FieldExpr& fe, const LeafResolver& leaf, ValueTree* out,
                      size_t* err_pos, std::string* err) {
  return Builder(leaf, err_pos, err).expr(fe, out, 0);
}

std::string value_tree_text(const ValueTree& t) {
  std::string s;
  if (t.kind == Kind::kField) {
    s = t.field.name;
  } else if (t.kind == Kind::kLiteral) {
    s = format_quoted(t.text);
  } else {
    // Indexed by Kind: a list, then the calls.
    static constexpr std::string_view kOpen[] = {"", "", "(", "join(", "concat(", "getopt("};
    s = kOpen[static_cast<size_t>(t.kind)];
    for (size_t i = 0; i < t.kids.size(); ++i) {
      if (i > 0) s += ", ";
      s += value_tree_text(t.kids[i]);
    }
    s += ')';
    if (t.selector >= 0) s += "[" + std::string(1, static_cast<char>(t.selector)) + "]";
  }
  for (Xform x : t.xforms) s = std::string(xform_name(x)) + "(" + s + ")";
  return s;
}

size_t eval_value_tree(const ValueTree& t, const EvalContext& ctx, FieldValue* out, size_t cap,
                       EvalScratch& s) {
  const long n = eval_node(t, ctx, out, cap, s);
  return n < 0 ? 0 : static_cast<size_t>(n);
}

uint32_t value_tree_cost(const ValueTree& t) {
  uint32_t c = t.kind == Kind::kField     ? static_cast<uint32_t>(field_cost(t.field))
               : t.kind == Kind::kLiteral ? 0
                                          : 4;
  for (const ValueTree& k : t.kids) c += value_tree_cost(k);
  return c + 2 * static_cast<uint32_t>(t.xforms.size());
}

bool xform_from_name(std::string_view name, Xform* x) {
  for (const auto& [n, v] : kXformNames) {
    if (n == name) {
      *x = v;
      return true;
    }
  }
  return false;
}

std::string_view xform_name(Xform x) {
  for (const auto& [n, v] : kXformNames)
    if (v == x) return n;
  return "?";
}

}  // namespace riposte::detector::rules::detail
