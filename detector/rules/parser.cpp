#include "detector/rules/parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace riposte::detector::rules {
namespace {

constexpr std::array<std::string_view, 8> kTransformers = {
    "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt"};
// Longest first where one is a prefix of another.
constexpr std::array<std::string_view, 7> kSymOps = {"==", "!=", "<=", ">=", "=", "<", ">"};
constexpr std::array<std::string_view, 11> kWordCmpOps = {
    "contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith",
    "glob",     "iglob",     "regex",     "exists",     "intersects"};
constexpr std::array<std::string_view, 3> kListOps = {"in", "intersects", "pmatch"};
constexpr size_t kMaxDepth = 1000;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_alpha(c) || is_digit(c); }
bool is_bare_char(char c) {
  return !is_blank(c) && c != '(' && c != ')' && c != ',' && c != '=' && c != '"' && c != '\'';
}

struct Error {
  size_t pos;
  std::string msg;
};

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  std::unique_ptr<ast::Expr> parse_all() {
    auto e = parse_or();
    skip_blanks();
    if (p_ < in_.size()) fail("unexpected token after end of expression: '" + snippet() + "'");
    return e;
  }

  bool parse_field_only(ast::FieldExpr* out) {
    skip_blanks();
    if (!parse_field_or_xform(out)) fail("expected a field name");
    skip_blanks();
    if (p_ < in_.size()) fail("unexpected text after field: '" + snippet() + "'");
    return true;
  }

  [[noreturn]] void fail(std::string msg) { throw Error{p_, std::move(msg)}; }
  [[noreturn]] void fail_at(size_t pos, std::string msg) { throw Error{pos, std::move(msg)}; }

 private:
  std::string snippet() const {
    std::string s(in_.substr(p_, 20));
    if (p_ + 20 < in_.size()) s += "...";
    return s;
  }

  void skip_blanks() {
    while (p_ < in_.size() && is_blank(in_[p_])) ++p_;
  }

  bool at_end() const { return p_ >= in_.size(); }
  char peek(size_t off = 0) const { return p_ + off < in_.size() ? in_[p_ + off] : '\0'; }

  // Keyword followed by blank, '(' or end of input.
  bool lex_keyword(std::string_view kw) {
    if (in_.substr(p_, kw.size()) != kw) return false;
    size_t e = p_ + kw.size();
    if (e < in_.size() && !is_blank(in_[e]) && in_[e] != '(') return false;
    p_ = e;
    return true;
  }

  std::unique_ptr<ast::Expr> make_binary(ast::Expr::Kind k, size_t pos,
                                         std::unique_ptr<ast::Expr> first) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = k;
    e->pos = pos;
    e->children.push_back(std::move(first));
    return e;
  }

  struct DepthGuard {
    explicit DepthGuard(Parser* p) : p_(p) {
      if (++p_->depth_ > kMaxDepth) p_->fail("expression nested too deeply");
    }
    ~DepthGuard() { --p_->depth_; }
    Parser* p_;
  };

  std::unique_ptr<ast::Expr> parse_or() {
    DepthGuard g(this);
    skip_blanks();
    size_t pos = p_;
    auto left = parse_and();
    std::unique_ptr<ast::Expr> node;
    while (true) {
      skip_blanks();
      if (!lex_keyword("or")) break;
      if (!node) node = make_binary(ast::Expr::Kind::kOr, pos, std::move(left));
      node->children.push_back(parse_and());
    }
    return node ? std::move(node) : std::move(left);
  }

  std::unique_ptr<ast::Expr> parse_and() {
    DepthGuard g(this);
    skip_blanks();
    size_t pos = p_;
    auto left = parse_not();
    std::unique_ptr<ast::Expr> node;
    while (true) {
      skip_blanks();
      if (!lex_keyword("and")) break;
      if (!node) node = make_binary(ast::Expr::Kind::kAnd, pos, std::move(left));
      node->children.push_back(parse_not());
    }
    return node ? std::move(node) : std::move(left);
  }

  std::unique_ptr<ast::Expr> parse_not() {
    DepthGuard g(this);
    skip_blanks();
    size_t pos = p_;
    if (lex_keyword("not")) {
      auto e = std::make_unique<ast::Expr>();
      e->kind = ast::Expr::Kind::kNot;
      e->pos = pos;
      e->children.push_back(parse_not());
      return e;
    }
    return parse_primary();
  }

  std::unique_ptr<ast::Expr> parse_primary() {
    skip_blanks();
    size_t pos = p_;
    if (at_end()) fail("unexpected end of condition");
    if (peek() == '(') {
      ++p_;
      auto e = parse_or();
      skip_blanks();
      if (peek() != ')') fail("expected ')'");
      ++p_;
      return e;
    }
    if (!is_alpha(peek())) fail("expected a field, a macro name, 'not' or '(' but found '" +
                                snippet() + "'");
    // Identifier or field name (or transformer call).
    size_t start = p_;
    while (is_ident_char(peek())) ++p_;
    std::string_view word = in_.substr(start, p_ - start);
    if (peek() == '(' && is_transformer(word)) {
      p_ = start;
      auto e = std::make_unique<ast::Expr>();
      e->kind = ast::Expr::Kind::kCheck;
      e->pos = pos;
      if (!parse_field_or_xform(&e->field)) fail("expected a field");
      parse_condition_tail(e.get());
      return e;
    }
    if (peek() != '.') {
      if (word == "and" || word == "or" || word == "not") fail_at(start, "unexpected keyword '" + std::string(word) + "'");
      auto e = std::make_unique<ast::Expr>();
      e->kind = ast::Expr::Kind::kMacroRef;
      e->pos = pos;
      e->ident = std::string(word);
      return e;
    }
    p_ = start;
    auto e = std::make_unique<ast::Expr>();
    e->kind = ast::Expr::Kind::kCheck;
    e->pos = pos;
    if (!parse_field(&e->field)) fail("expected a field name");
    parse_condition_tail(e.get());
    return e;
  }

  static bool is_transformer(std::string_view w) {
    for (auto t : kTransformers)
      if (t == w) return true;
    return false;
  }

  // Field ::= FieldName ('[' FieldArg ']')?
  bool parse_field(ast::FieldExpr* f) {
    size_t start = p_;
    if (!is_alpha(peek())) return false;
    while (is_ident_char(peek())) ++p_;
    int segments = 0;
    while (peek() == '.' && is_ident_char(peek(1))) {
      ++p_;
      while (is_ident_char(peek())) ++p_;
      ++segments;
    }
    if (segments == 0) {
      p_ = start;
      return false;
    }
    f->name = std::string(in_.substr(start, p_ - start));
    f->pos = start;
    parse_field_arg(f);
    return true;
  }

  // ('[' FieldArg ']')?
  void parse_field_arg(ast::FieldExpr* f) {
    if (peek() == '[') {
      ++p_;
      f->has_arg = true;
      if (peek() == '"' || peek() == '\'') {
        f->arg = lex_quoted();
      } else {
        size_t a = p_;
        while (!at_end() && !is_blank(peek()) && peek() != '[' && peek() != ']' &&
               peek() != '"' && peek() != '\'')
          ++p_;
        f->arg = std::string(in_.substr(a, p_ - a));
        if (f->arg.empty()) fail("expected a field argument inside '[]'");
      }
      if (peek() != ']') fail("expected ']' after field argument");
      ++p_;
    }
  }

  // FieldOrXform: a field, or Transformer '(' XformArg (',' XformArg)* ')' ('[' FieldArg ']')?.
  // One field operand and no selector is the plain chain form (transformers on a field);
  // anything else is a call (ast::FieldExpr::call), checked by the compiler.
  bool parse_field_or_xform(ast::FieldExpr* f) {
    DepthGuard g(this);
    size_t start = p_;
    while (is_ident_char(peek())) ++p_;
    std::string_view word = in_.substr(start, p_ - start);
    if (peek() != '(' || !is_transformer(word)) {
      p_ = start;
      return parse_field(f);
    }
    ++p_;
    std::vector<ast::XformArg> args;
    while (true) {
      skip_blanks();
      args.push_back(parse_xform_arg(false));
      skip_blanks();
      if (peek() != ',') break;
      ++p_;
    }
    if (peek() != ')') fail("expected ')' to close " + std::string(word) + "(");
    ++p_;
    ast::FieldExpr sel;
    parse_field_arg(&sel);
    if (args.size() == 1 && args[0].kind == ast::XformArg::Kind::kField && !sel.has_arg &&
        is_unary_transformer(word)) {
      // A chain, on a field or on a call: toupper(join(...)).
      *f = std::move(args[0].field);
      f->transformers.insert(f->transformers.begin(), std::string(word));
      return true;
    }
    *f = ast::FieldExpr{};
    f->call = std::string(word);
    f->args = std::move(args);
    f->arg = std::move(sel.arg);
    f->has_arg = sel.has_arg;
    f->pos = start;
    return true;
  }

  static bool is_unary_transformer(std::string_view w) {
    return w != "join" && w != "concat" && w != "getopt";
  }

  // XformArg ::= Number | QuotedStr | List (not inside a list) | FieldOrXform.
  ast::XformArg parse_xform_arg(bool in_list) {
    DepthGuard g(this);
    ast::XformArg a;
    a.pos = p_;
    if (peek() == '"' || peek() == '\'') {
      a.text = lex_quoted();
      return a;
    }
    if (lex_number(&a.text)) return a;
    if (peek() == '(' && !in_list) {
      a.kind = ast::XformArg::Kind::kList;
      ++p_;
      skip_blanks();
      if (peek() == ')') {
        ++p_;
        return a;
      }
      while (true) {
        skip_blanks();
        a.items.push_back(parse_xform_arg(true));
        skip_blanks();
        if (peek() == ',') {
          ++p_;
          continue;
        }
        if (peek() != ')') fail("expected ',' or ')' in a transformer's list");
        ++p_;
        return a;
      }
    }
    a.kind = ast::XformArg::Kind::kField;
    if (is_alpha(peek()) && parse_field_or_xform(&a.field)) return a;
    fail(in_list ? "expected a field, a transformer, a quoted string or a number in a "
                   "transformer's list"
                 : "expected a field, a transformer, a quoted string, a number or a list as "
                   "a transformer's argument");
  }

  // Number ::= 0[xX][0-9a-zA-Z]+ | [+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?  (libsinsp's).
  bool lex_number(std::string* out) {
    size_t q = p_;
    auto digit_at = [&](size_t i) { return i < in_.size() && is_digit(in_[i]); };
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X') && p_ + 2 < in_.size() &&
        is_ident_char(in_[p_ + 2]) && in_[p_ + 2] != '_') {
      q = p_ + 2;
      while (q < in_.size() && is_ident_char(in_[q]) && in_[q] != '_') ++q;
    } else {
      if (q < in_.size() && (in_[q] == '+' || in_[q] == '-')) ++q;
      if (!digit_at(q)) return false;
      while (digit_at(q)) ++q;
      if (q < in_.size() && in_[q] == '.') ++q;
      while (digit_at(q)) ++q;
      if (q + 2 < in_.size() && (in_[q] == 'e' || in_[q] == 'E') &&
          (in_[q + 1] == '+' || in_[q + 1] == '-') && digit_at(q + 2)) {
        q += 2;
        while (digit_at(q)) ++q;
      }
    }
    *out = std::string(in_.substr(p_, q - p_));
    p_ = q;
    return true;
  }

  // A quoted string ends at the first quote not preceded by a backslash, as libsinsp lexes
  // it (so "a\\" does not end after the backslashes); then unescaped as libsinsp does.
  std::string lex_quoted() {
    const char q = peek();
    const size_t start = p_;
    ++p_;
    const size_t inner = p_;
    char prev = q;
    while (!at_end() && (peek() != q || prev == '\\')) prev = in_[p_++];
    if (at_end()) fail_at(start, "unterminated quoted string");
    std::string out, err;
    if (!unescape_quoted(in_.substr(inner, p_ - inner), q, &out, &err)) fail_at(start, err);
    ++p_;
    return out;
  }

  // Lexes an operator; returns "" when none.
  std::string lex_operator() {
    for (auto op : kSymOps) {
      if (in_.substr(p_, op.size()) == op) {
        p_ += op.size();
        return std::string(op == "==" ? "=" : op);
      }
    }
    size_t start = p_;
    while (is_ident_char(peek())) ++p_;
    std::string_view w = in_.substr(start, p_ - start);
    // libsinsp lexes "existsand x" as "exists and x": a unary operator needs no blank after it.
    if ((w == "existsand" || w == "existsor") && (at_end() || is_blank(peek()) || peek() == '(')) {
      p_ = start + 6;
      return "exists";
    }
    if (!w.empty() && (at_end() || is_blank(peek()) || peek() == '(' || peek() == ')' ||
                       peek() == '"' || peek() == '\'')) {
      for (auto op : kWordCmpOps)
        if (op == w) return std::string(w);
      for (auto op : kListOps)
        if (op == w) return std::string(w);
    }
    p_ = start;
    return {};
  }

  void parse_condition_tail(ast::Expr* e) {
    skip_blanks();
    e->op_pos = p_;
    e->op = lex_operator();
    if (e->op.empty()) {
      fail("expected an operator after field '" + e->field.name + "' but found '" + snippet() +
           "'");
    }
    if (e->op == "exists") {
      e->rhs = ast::Expr::RhsKind::kNone;
      return;
    }
    const size_t after_op = p_;
    skip_blanks();
    if (at_end()) fail("expected a value after operator '" + e->op + "'");
    // A modifier is a word of its own: "==oneof (a)" is not one (Falco rejects it).
    if (p_ > after_op && try_modifier_list(e)) return;
    // RHS field: val(field) or transformer(field)
    if (try_rhs_field(e)) return;
    if (is_list_operator(e->op)) {
      if (peek() == '(') {
        parse_list(e);
        return;
      }
      if (is_alpha(peek())) {
        size_t start = p_;
        while (is_ident_char(peek())) ++p_;
        e->rhs = ast::Expr::RhsKind::kListRef;
        e->values.push_back({std::string(in_.substr(start, p_ - start)), false, start});
        return;
      }
      fail("expected a list '(...)' after operator '" + e->op + "'");
    }
    e->rhs = ast::Expr::RhsKind::kValue;
    if (e->op == "<" || e->op == "<=" || e->op == ">" || e->op == ">=") {
      // NumOperator NumValue, as libsinsp: "< a", "< 0aaaaa", "< 0xAAA.1" do not parse.
      ast::Value v;
      v.pos = p_;
      if (!lex_number(&v.text)) fail("expected a number after operator '" + e->op + "'");
      if (!at_end() && !is_blank(peek()) && peek() != ')')
        fail("expected a number after operator '" + e->op + "' but found '" + snippet() + "'");
      e->values.push_back(std::move(v));
      return;
    }
    e->values.push_back(parse_value());
  }

  // "op oneof|anyof|allof (a, b)" or "... list_name" after a string operator (Falco 0.44).
  // Anything else (the word alone, or followed by and/or) is a plain value.
  bool try_modifier_list(ast::Expr* e) {
    if (!takes_modifier(e->op)) return false;
    const size_t start = p_;
    while (is_ident_char(peek())) ++p_;
    std::string_view w = in_.substr(start, p_ - start);
    if (!is_modifier(w) || !is_blank(peek())) {
      p_ = start;
      return false;
    }
    skip_blanks();
    if (peek() == '(') {
      e->modifier = std::string(w);
      parse_list(e);
      return true;
    }
    if (is_alpha(peek())) {
      const size_t ls = p_;
      while (is_ident_char(peek())) ++p_;
      std::string_view name = in_.substr(ls, p_ - ls);
      if (name != "and" && name != "or") {
        e->modifier = std::string(w);
        e->rhs = ast::Expr::RhsKind::kListRef;
        e->values.push_back({std::string(name), false, ls});
        return true;
      }
    }
    p_ = start;
    return false;
  }

  bool try_rhs_field(ast::Expr* e) {
    size_t start = p_;
    while (is_ident_char(peek())) ++p_;
    std::string_view w = in_.substr(start, p_ - start);
    bool is_val = w == "val";
    if (peek() != '(' || !(is_val || is_transformer(w))) {
      p_ = start;
      return false;
    }
    e->rhs = ast::Expr::RhsKind::kField;
    if (is_val) {
      ++p_;
      skip_blanks();
      if (!parse_field(&e->rhs_field)) fail("expected a field inside val()");
      skip_blanks();
      if (peek() != ')') fail("expected ')' to close val(");
      ++p_;
    } else {
      p_ = start;
      if (!parse_field_or_xform(&e->rhs_field)) fail("expected a field");
    }
    return true;
  }

  ast::Value parse_value() {
    ast::Value v;
    v.pos = p_;
    if (peek() == '"' || peek() == '\'') {
      v.text = lex_quoted();
      v.quoted = true;
      return v;
    }
    size_t start = p_;
    while (!at_end() && is_bare_char(peek())) ++p_;
    if (p_ == start) fail("expected a value but found '" + snippet() + "'");
    v.text = std::string(in_.substr(start, p_ - start));
    return v;
  }

  void parse_list(ast::Expr* e) {
    e->rhs = ast::Expr::RhsKind::kList;
    ++p_;  // '('
    skip_blanks();
    if (peek() == ')') {
      ++p_;
      return;
    }
    while (true) {
      skip_blanks();
      e->values.push_back(parse_value());
      skip_blanks();
      if (peek() == ',') {
        ++p_;
        continue;
      }
      if (peek() == ')') {
        ++p_;
        return;
      }
      fail("expected ',' or ')' in list");
    }
  }

  std::string_view in_;
  size_t p_ = 0;
  size_t depth_ = 0;
};

}  // namespace

bool unescape_quoted(std::string_view s, char quote, std::string* out, std::string* error) {
  out->clear();
  out->reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      *out += c;
      continue;
    }
    const char n = s[++i];
    switch (n) {
      case 'b':
        *out += '\b';
        break;
      case 'f':
        *out += '\f';
        break;
      case 'n':
        *out += '\n';
        break;
      case 'r':
        *out += '\r';
        break;
      case 't':
        *out += '\t';
        break;
      case ' ':  // libsinsp reads "\ " as a backslash (for an old upstream rule)
      case '\\':
        *out += '\\';
        break;
      case '/':
        *out += '/';
        break;
      case '"':
      case '\'':
        if (n != quote) {
          *error = std::string("invalid \\") + n + " escape in a " + quote + "-quoted string";
          return false;
        }
        *out += n;
        break;
      case 'x': {
        unsigned char ch = 0;
        const char* h = s.data() + i + 1;
        if (i + 2 >= s.size() || std::from_chars(h, h + 2, ch, 16).ptr != h + 2) {
          *error = "invalid hex escape '\\x" + std::string(s.substr(i + 1, 2)) + "'";
          return false;
        }
        *out += static_cast<char>(ch);
        i += 2;
        break;
      }
      default:
        *error = std::string("unsupported escape sequence '\\") + n + "'";
        return false;
    }
  }
  return true;
}

std::string format_value(std::string_view v) {
  bool bare = !v.empty();
  for (char c : v)
    if (!is_bare_char(c)) bare = false;
  return bare ? std::string(v) : format_quoted(v);
}

std::string format_quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

ParseResult parse_condition(std::string_view text) {
  ParseResult r;
  Parser p(text);
  try {
    r.expr = p.parse_all();
  } catch (const Error& e) {
    r.expr.reset();
    r.error_pos = e.pos;
    r.error = e.msg;
  }
  return r;
}

bool parse_field_expr(std::string_view text, ast::FieldExpr* out, std::string* error) {
  Parser p(text);
  try {
    return p.parse_field_only(out);
  } catch (const Error& e) {
    if (error) *error = e.msg;
    return false;
  }
}

namespace {
void append_xform_arg(const ast::XformArg& a, std::string* out) {
  switch (a.kind) {
    case ast::XformArg::Kind::kField:
      *out += format_field_expr(a.field);
      return;
    case ast::XformArg::Kind::kLiteral:
      *out += format_quoted(a.text);
      return;
    case ast::XformArg::Kind::kList:
      *out += '(';
      for (size_t i = 0; i < a.items.size(); ++i) {
        if (i > 0) *out += ", ";
        append_xform_arg(a.items[i], out);
      }
      *out += ')';
      return;
  }
}
}  // namespace

std::string format_field_expr(const ast::FieldExpr& f) {
  std::string s;
  if (f.call.empty()) {
    s = f.name;
  } else {
    s = f.call + "(";
    for (size_t i = 0; i < f.args.size(); ++i) {
      if (i > 0) s += ", ";
      append_xform_arg(f.args[i], &s);
    }
    s += ')';
  }
  if (f.has_arg) s += "[" + f.arg + "]";
  for (auto it = f.transformers.rbegin(); it != f.transformers.rend(); ++it)
    s = *it + "(" + s + ")";
  return s;
}

bool is_known_operator(std::string_view op) {
  for (auto o : kSymOps)
    if (o == op) return true;
  for (auto o : kWordCmpOps)
    if (o == op) return true;
  for (auto o : kListOps)
    if (o == op) return true;
  return false;
}

bool takes_modifier(std::string_view op) {
  static constexpr std::string_view kStrOps[] = {
      "=",          "==",          "!=",       "contains", "icontains", "bcontains",
      "startswith", "bstartswith", "endswith", "glob",     "iglob",     "regex"};
  return std::find(std::begin(kStrOps), std::end(kStrOps), op) != std::end(kStrOps);
}

bool is_modifier(std::string_view w) { return w == "oneof" || w == "anyof" || w == "allof"; }

bool is_list_operator(std::string_view op) {
  for (auto o : kListOps)
    if (o == op) return true;
  return false;
}

bool is_transformer_name(std::string_view name) {
  return std::find(kTransformers.begin(), kTransformers.end(), name) != kTransformers.end();
}

}  // namespace riposte::detector::rules
