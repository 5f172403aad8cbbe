// The filter compiler: AST (macros and lists expanded) -> typed checks with constants parsed
// once -> the optimised program (check.h). Over 600 lines because type checking, constant
// folding and operand ordering are one pass over the tree; they share its state.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "detector/rules/check.h"
#include "detector/rules/compile_hints.h"
#include "detector/rules/filter.h"
#include "detector/rules/necessary_set.h"
#include "detector/rules/operators.h"
#include "detector/rules/parser.h"
#include "detector/rules/value_tree.h"

namespace riposte::detector::rules {
using namespace detail;

EventTypeSet EventTypeSet::opens() {
  EventTypeSet s;
  for (EventType t : {EventType::kOpen, EventType::kOpenat, EventType::kOpenat2}) s.insert(t);
  return s;
}

EventTypeSet EventTypeSet::all() {
  EventTypeSet s;
  for (size_t i = 1; i < kEventTypeCount; ++i) s.bits_.set(i);
  // Events of other sources are never a syscall rule's, whatever its condition.
  s.bits_.reset(static_cast<size_t>(EventType::kPluginEvent));
  return s;
}

EventTypeSet EventTypeSet::complement() const {
  EventTypeSet s = all();
  s.bits_ &= ~bits_;
  return s;
}

std::vector<EventType> EventTypeSet::to_vector() const {
  std::vector<EventType> v;
  for (size_t i = 1; i < kEventTypeCount; ++i)
    if (bits_.test(i)) v.push_back(static_cast<EventType>(i));
  return v;
}

class FilterCompiler {
 public:
  FilterCompiler(SymbolTable& sym, std::vector<CompileError>* errors, FilterLinker* linker,
                 RuleSource source)
      : sym_(sym),
        errors_(errors),
        linker_(linker != nullptr ? linker : &own_linker_),
        source_(source) {}

  std::unique_ptr<Filter> run(const ast::Expr& root) {
    auto f = std::make_unique<Filter>();
    EventTypeSet may_true, may_false;
    auto tree = compile(root, &may_true, &may_false);
    if (failed_ || !tree) return nullptr;
    if (source_ == RuleSource::kK8sAudit) {
      // Every event of another source is one type, as Falco's plugin events are.
      may_true = EventTypeSet();
      may_true.insert(EventType::kPluginEvent);
    }
    f->types_ = may_true;
    f->fields_ = std::move(fields_);
    tree = simplify(std::move(tree), may_true);
    number(tree.get());
    f->prog_ = std::make_unique<Program>();
    emit(tree.get(), f->prog_.get());
    // Only now that the checks have their final addresses: views into their own strings.
    for (Check& c : f->prog_->checks) {
      c.k0 = c.strs.empty() ? std::string_view() : std::string_view(c.strs[0]);
      select_evaluator(c);
    }
    for (auto& n : f->prog_->nodes)
      if (n.kind == Program::kCheck) n.check = &f->prog_->checks[n.check_index];
    gen_filter_code(f->prog_.get());
    return f;
  }

 private:
  // The tree the compiler builds before optimising and flattening it.
  struct Node {
    Program::Kind kind = Program::kCheck;
    std::vector<std::unique_ptr<Node>> kids;
    std::unique_ptr<Check> check;
    uint32_t cost = 0;
    double p = 0.5;  // guessed probability of being true
    uint32_t id = Program::kNoSlot;
    bool macro = false;  // a macro's body: kept as one operand (shared across rules)
  };

  static std::unique_ptr<Node> constant(bool v) {
    auto n = std::make_unique<Node>();
    n->kind = v ? Program::kTrue : Program::kFalse;
    return n;
  }

  // Folds what the rule's event types decide, empty lists, double negations and nested
  // and/or; drops neutral operands.
  static std::unique_ptr<Node> simplify(std::unique_ptr<Node> n, const EventTypeSet& types) {
    switch (n->kind) {
      case Program::kCheck: {
        const Check& c = *n->check;
        if (c.type_fast) {
          EventTypeSet in = c.type_set;
          in &= types;
          bool eq = c.op != Op::kNe;
          if (in == types) return constant(eq);
          if (in.empty()) return constant(!eq);
        }
        if ((c.op == Op::kIn || c.op == Op::kIntersects || c.op == Op::kPMatch) &&
            !c.rhs_is_field && c.strs.empty() && c.nums.empty() && c.nets.empty())
          return constant(false);
        return n;
      }
      case Program::kNot: {
        n->kids[0] = simplify(std::move(n->kids[0]), types);
        Node* k = n->kids[0].get();
        if (k->kind == Program::kTrue) return constant(false);
        if (k->kind == Program::kFalse) return constant(true);
        if (k->kind == Program::kNot) return std::move(k->kids[0]);
        return n;
      }
      case Program::kAnd:
      case Program::kOr: {
        bool is_and = n->kind == Program::kAnd;
        std::vector<std::unique_ptr<Node>> kids;
        for (auto& k : n->kids) {
          auto sk = simplify(std::move(k), types);
          if (sk->kind == Program::kTrue || sk->kind == Program::kFalse) {
            bool v = sk->kind == Program::kTrue;
            if (v == is_and) continue;  // neutral operand
            return constant(v);         // absorbing operand
          }
          if (sk->kind == n->kind && !sk->macro) {
            for (auto& g : sk->kids) kids.push_back(std::move(g));
            continue;
          }
          kids.push_back(std::move(sk));
        }
        if (kids.empty()) return constant(is_and);
        if (kids.size() == 1) return std::move(kids[0]);
        n->kids = std::move(kids);
        return n;
      }
      case Program::kTrue:
      case Program::kFalse:
        return n;
    }
    return n;
  }

  // Bottom-up: costs and guessed probabilities, duplicate operands dropped (a and a = a),
  // operands ordered so the expected cost of reaching the answer is lowest (an `and` tries
  // first what is cheap and likely false, an `or` what is cheap and likely true), then ids
  // for the linker.
  void number(Node* n) {
    switch (n->kind) {
      case Program::kCheck:
        n->cost = n->check->cost;
        n->p = n->check->p_true;
        n->id = linker_->intern(n->check->key);
        return;
      case Program::kTrue:
      case Program::kFalse:
        n->cost = 0;
        n->p = n->kind == Program::kTrue ? 1.0 : 0.0;
        return;
      case Program::kNot:
        number(n->kids[0].get());
        n->cost = n->kids[0]->cost;
        n->p = 1.0 - n->kids[0]->p;
        n->id = linker_->intern("!(" + std::to_string(n->kids[0]->id) + ")");
        return;
      case Program::kAnd:
      case Program::kOr: {
        bool is_and = n->kind == Program::kAnd;
        std::vector<std::unique_ptr<Node>> kids;
        std::unordered_set<uint32_t> seen;
        for (auto& k : n->kids) {
          number(k.get());
          if (seen.insert(k->id).second) kids.push_back(std::move(k));
        }
        n->kids = std::move(kids);
        auto score = [is_and](const Node& k) {
          double miss = is_and ? 1.0 - k.p : k.p;  // chance this operand decides
          return static_cast<double>(k.cost) / std::max(miss, 0.01);
        };
        std::stable_sort(n->kids.begin(), n->kids.end(),
                         [&](const auto& a, const auto& b) { return score(*a) < score(*b); });
        uint64_t cost = 0;
        double p = 1.0;
        for (auto& k : n->kids) {
          cost += k->cost;
          p *= is_and ? k->p : 1.0 - k->p;
        }
        n->cost = static_cast<uint32_t>(std::min<uint64_t>(cost, UINT32_MAX / 2));
        n->p = is_and ? p : 1.0 - p;
        std::string key = is_and ? "&(" : "|(";
        for (auto& k : n->kids) key += std::to_string(k->id) + ",";
        key += ")";
        n->id = linker_->intern(key);
        return;
      }
    }
  }

  static void emit(Node* n, Program* p) {
    size_t at = p->nodes.size();
    p->nodes.emplace_back();
    p->ids.push_back(n->id);
    p->costs.push_back(n->cost);
    Program::Node pn;
    pn.kind = n->kind;
    pn.nkids = static_cast<uint32_t>(n->kids.size());
    if (n->kind == Program::kCheck) {
      pn.check_index = static_cast<uint32_t>(p->checks.size());
      p->checks.push_back(std::move(*n->check));
    }
    for (auto& k : n->kids) emit(k.get(), p);
    pn.size = static_cast<uint32_t>(p->nodes.size() - at);
    p->nodes[at] = pn;
  }

  void error(size_t pos, std::string msg, bool unknown_field = false, std::string_view code = "") {
    errors_->push_back({macro_stack_.empty() ? std::string() : macro_stack_.back(), pos,
                        std::move(msg), unknown_field, false, code});
    failed_ = true;
  }
  // ASTs built while compiling (modifiers), kept alive for the positions they carry.
  std::vector<std::unique_ptr<ast::Expr>> desugared_;

  void warning(size_t pos, std::string msg, std::string_view code = "LOAD_UNKNOWN_EVTTYPE") {
    errors_->push_back({macro_stack_.empty() ? std::string() : macro_stack_.back(), pos,
                        std::move(msg), false, true, code});
  }

  // Counts n more operands or values against the size limit of one condition.
  bool budget(size_t n, size_t pos) {
    nodes_ += n;
    if (nodes_ <= kMaxCompileNodes) return true;
    if (!too_big_)
      error(pos, "condition too large with its macros and lists expanded (more than " +
                     std::to_string(kMaxCompileNodes) + " operands and values)");
    too_big_ = true;
    return false;
  }

  // may_true: event types for which the node can evaluate true; may_false likewise for false.
  std::unique_ptr<Node> compile(const ast::Expr& e, EventTypeSet* may_true,
                                EventTypeSet* may_false) {
    // Macros expanded inside macros can nest far deeper than any one condition.
    struct Depth {
      explicit Depth(size_t* d) : d_(d) { ++*d_; }
      ~Depth() { --*d_; }
      size_t* d_;
    } depth(&depth_);
    if (!budget(1, e.pos)) {
      *may_true = *may_false = EventTypeSet::all();
      return nullptr;
    }
    if (depth_ > kMaxCompileDepth) {
      *may_true = *may_false = EventTypeSet::all();
      if (!too_deep_)
        error(e.pos, "condition nested too deeply (more than " + std::to_string(kMaxCompileDepth) +
                         " levels with macros expanded)");
      too_deep_ = true;
      return nullptr;
    }
    switch (e.kind) {
      case ast::Expr::Kind::kAnd:
      case ast::Expr::Kind::kOr: {
        bool is_and = e.kind == ast::Expr::Kind::kAnd;
        auto n = std::make_unique<Node>();
        n->kind = is_and ? Program::kAnd : Program::kOr;
        EventTypeSet t = is_and ? EventTypeSet::all() : EventTypeSet();
        EventTypeSet f = is_and ? EventTypeSet() : EventTypeSet::all();
        for (const auto& c : e.children) {
          EventTypeSet ct, cf;
          auto k = compile(*c, &ct, &cf);
          if (is_and) {
            t &= ct;
            f |= cf;
          } else {
            t |= ct;
            f &= cf;
          }
          if (k) n->kids.push_back(std::move(k));
        }
        *may_true = t;
        *may_false = f;
        return n;
      }
      case ast::Expr::Kind::kNot: {
        auto n = std::make_unique<Node>();
        n->kind = Program::kNot;
        EventTypeSet ct, cf;
        auto k = compile(*e.children[0], &ct, &cf);
        *may_true = cf;
        *may_false = ct;
        if (k) n->kids.push_back(std::move(k));
        return n;
      }
      case ast::Expr::Kind::kMacroRef: {
        *may_true = *may_false = EventTypeSet::all();
        if (std::find(macro_stack_.begin(), macro_stack_.end(), e.ident) != macro_stack_.end()) {
          error(e.pos, "macro '" + e.ident + "' references itself");
          return nullptr;
        }
        const ast::Expr* body = sym_.macro(e.ident);
        if (body == nullptr && sym_.macro_broken(e.ident)) {
          error(e.pos, "macro '" + e.ident + "' has errors");
          return nullptr;
        }
        if (body == nullptr) {
          error(e.pos, "Undefined macro '" + e.ident + "' used in filter.", false,
                "LOAD_ERR_VALIDATE");
          return nullptr;
        }
        if (macro_stack_.size() >= kMaxMacroDepth) {
          error(e.pos, "macros nested more than " + std::to_string(kMaxMacroDepth) + " deep at '" +
                           e.ident + "'");
          return nullptr;
        }
        macro_stack_.push_back(e.ident);
        auto n = compile(*body, may_true, may_false);
        macro_stack_.pop_back();
        if (n) n->macro = true;
        return n;
      }
      case ast::Expr::Kind::kCheck:
        return compile_check(e, may_true, may_false);
    }
    return nullptr;
  }

  // Resolves a check's operand: a field with its transformer chain, or a transformer call
  // (value_tree.h), which then sets *tree and gives rf only its text and list-ness.
  bool resolve(const ast::FieldExpr& fe, ResolvedField* rf, std::vector<Xform>* xs, FieldType* type,
               std::shared_ptr<const ValueTree>* tree) {
    if (fe.call.empty()) return resolve_plain(fe, rf, xs, type);
    auto t = std::make_shared<ValueTree>();
    size_t err_pos = fe.pos;
    std::string err;
    LeafResolver leaf = [this](const ast::FieldExpr& f, ResolvedField* r, std::vector<Xform>* x,
                               FieldType* ty) { return resolve_plain(f, r, x, ty); };
    if (!build_value_tree(fe, leaf, t.get(), &err_pos, &err)) {
      if (!err.empty()) error(err_pos, err);
      return false;
    }
    rf->name = value_tree_text(*t);
    rf->multi = t->list;
    rf->type = t->type;
    *type = t->type;
    *tree = std::move(t);
    return true;
  }

  bool resolve_plain(const ast::FieldExpr& fe, ResolvedField* rf, std::vector<Xform>* xs,
                     FieldType* type) {
    std::string err;
    if (!resolve_field(fe.name, fe.arg, fe.has_arg, rf, &err) ||
        !field_in_source(*rf, source_, &err)) {
      error(fe.pos, err, err.rfind("unknown field", 0) == 0);
      return false;
    }
    fields_.push_back(rf->name);
    if (rf->name == kDeprecatedEvtDir)
      warning(fe.pos, "usage of deprecated field 'evt.dir': " + std::string(kEvtDirDeprecation),
              "LOAD_DEPRECATED_ITEM");
    FieldType t = rf->type;
    for (auto it = fe.transformers.rbegin(); it != fe.transformers.rend(); ++it) {
      const std::string& name = *it;
      Xform x;
      if (!xform_from_name(name, &x)) {
        error(fe.pos, "transformer '" + name + "' takes several operands: " + name + "(...)");
        return false;
      }
      if (t != FieldType::kString && t != FieldType::kBytes) {
        error(fe.pos, "transformer '" + name + "' cannot be applied to field '" + rf->name +
                          "' of type " + std::string(type_name(t)));
        return false;
      }
      if (x == Xform::kLen) t = FieldType::kInt;
      xs->push_back(x);
    }
    *type = t;
    return true;
  }

  // "f op oneof|anyof|allof (v1, v2, ...)" as plain checks: anyof = any "f op vi", allof =
  // every one, oneof = exactly one; no value at all holds for none (libsinsp
  // compare_rhs_with_mod).
  std::unique_ptr<Node> compile_modifier(const ast::Expr& e, EventTypeSet* may_true,
                                         EventTypeSet* may_false) {
    std::vector<ast::Value> values;
    for (const auto& v : e.values) {
      const bool ref = e.rhs == ast::Expr::RhsKind::kListRef ||
                       (e.rhs == ast::Expr::RhsKind::kList && !v.quoted);
      const std::vector<ast::Value>* items = ref ? sym_.list(v.text) : nullptr;
      if (e.rhs == ast::Expr::RhsKind::kListRef && items == nullptr) {
        error(v.pos, "unknown list '" + v.text + "'");
        return nullptr;
      }
      if (items != nullptr) {
        if (!budget(items->size(), v.pos)) return nullptr;
        for (auto item : *items) {
          item.pos = v.pos;
          values.push_back(std::move(item));
        }
      } else {
        values.push_back(v);
      }
    }
    constexpr size_t kMaxOneOf = 256;  // oneof expands to n*n checks
    if (e.modifier == "oneof" && values.size() > kMaxOneOf) {
      error(e.op_pos, "oneof with more than " + std::to_string(kMaxOneOf) + " values");
      return nullptr;
    }
    auto check = [&](const ast::Value* v, const char* op) {
      auto c = std::make_unique<ast::Expr>();
      c->kind = ast::Expr::Kind::kCheck;
      c->pos = e.pos;
      c->op_pos = e.op_pos;
      c->field = e.field;
      c->op = op != nullptr ? op : e.op;
      if (v != nullptr) {
        c->rhs = ast::Expr::RhsKind::kValue;
        c->values.push_back({v->text, true, v->pos});
      }
      return c;
    };
    auto node = [](ast::Expr::Kind k) {
      auto n = std::make_unique<ast::Expr>();
      n->kind = k;
      return n;
    };
    std::unique_ptr<ast::Expr> root;
    if (values.empty()) {  // never true: "f exists and not f exists"
      root = node(ast::Expr::Kind::kAnd);
      root->children.push_back(check(nullptr, "exists"));
      auto neg = node(ast::Expr::Kind::kNot);
      neg->children.push_back(check(nullptr, "exists"));
      root->children.push_back(std::move(neg));
    } else if (e.modifier == "oneof") {
      root = node(ast::Expr::Kind::kOr);
      for (size_t i = 0; i < values.size(); ++i) {
        auto one = node(ast::Expr::Kind::kAnd);
        one->children.push_back(check(&values[i], nullptr));
        for (size_t j = 0; j < values.size(); ++j) {
          if (j == i) continue;
          auto neg = node(ast::Expr::Kind::kNot);
          neg->children.push_back(check(&values[j], nullptr));
          one->children.push_back(std::move(neg));
        }
        root->children.push_back(std::move(one));
      }
    } else {
      root = node(e.modifier == "allof" ? ast::Expr::Kind::kAnd : ast::Expr::Kind::kOr);
      for (const auto& v : values) root->children.push_back(check(&v, nullptr));
    }
    const ast::Expr& r = *root;
    desugared_.push_back(std::move(root));
    return compile(r, may_true, may_false);
  }

  std::unique_ptr<Node> compile_check(const ast::Expr& e, EventTypeSet* may_true,
                                      EventTypeSet* may_false) {
    if (!e.modifier.empty()) return compile_modifier(e, may_true, may_false);
    *may_true = *may_false = EventTypeSet::all();
    auto c = std::make_unique<Check>();
    if (!resolve(e.field, &c->field, &c->xforms, &c->type, &c->tree)) return nullptr;
    if (!parse_op(e.op, &c->op)) {
      error(e.op_pos, "unknown operator '" + e.op + "'");
      return nullptr;
    }
    if (!op_allowed(c->op, c->type)) {
      error(e.op_pos, "operator '" + e.op + "' is not supported for field '" + c->field.name +
                          "' of type " + std::string(type_name(c->type)));
      return nullptr;
    }
    if (c->op == Op::kExists) return wrap(std::move(c), e, {});

    if (e.rhs == ast::Expr::RhsKind::kField) {
      c->rhs_is_field = true;
      if (!resolve(e.rhs_field, &c->rhs, &c->rhs_xforms, &c->rhs_type, &c->rhs_tree))
        return nullptr;
      if (!same_kind(c->type, c->rhs_type)) {
        error(e.rhs_field.pos, "field '" + c->field.name + "' of type " +
                                   std::string(type_name(c->type)) +
                                   " cannot be compared with field '" + c->rhs.name + "' of type " +
                                   std::string(type_name(c->rhs_type)));
        return nullptr;
      }
      if (c->op == Op::kRegex) {
        error(e.op_pos, "operator 'regex' needs a constant pattern");
        return nullptr;
      }
      return wrap(std::move(c), e, {});
    }

    // Gather constant values, expanding list names.
    std::vector<ast::Value> values;
    if (e.rhs == ast::Expr::RhsKind::kListRef) {
      const auto* items = sym_.list(e.values[0].text);
      if (items == nullptr) {
        error(e.values[0].pos, "unknown list '" + e.values[0].text + "'");
        return nullptr;
      }
      if (!budget(items->size(), e.values[0].pos)) return nullptr;
      values = *items;
      for (auto& v : values) v.pos = e.values[0].pos;
    } else {
      for (const auto& v : e.values) {
        const std::vector<ast::Value>* items =
            (e.rhs == ast::Expr::RhsKind::kList && !v.quoted) ? sym_.list(v.text) : nullptr;
        if (items != nullptr && !budget(items->size(), v.pos)) return nullptr;
        if (items != nullptr) {
          for (auto item : *items) {
            item.pos = v.pos;
            values.push_back(std::move(item));
          }
        } else {
          values.push_back(v);
        }
      }
    }
    if (values.empty() && e.rhs == ast::Expr::RhsKind::kValue) {
      error(e.op_pos, "missing value");
      return nullptr;
    }

    for (const auto& v : values)
      for (std::string& hint : value_hints(c->op, v.text))
        warning(v.pos, std::move(hint), "LOAD_COMPILE_CONDITION");
    bool ok = true;
    for (const auto& v : values) ok = add_value(c.get(), v) && ok;
    if (!ok) return nullptr;
    if ((c->op == Op::kIn || c->op == Op::kIntersects || c->op == Op::kEq) &&
        c->strs.size() > kSetThreshold) {
      c->set.build(c->strs);
      c->use_set = true;
    }

    // Event-type analysis.
    if (is_event_type_field(c->field) && c->xforms.empty()) {
      EventTypeSet s;
      for (const auto& v : values) {
        auto t = parse_event_type(v.text);
        if (t) {
          s.insert(*t);
        } else if (v.text != "switch") {
          warning(v.pos, "unknown event type '" + v.text + "': riposte does not capture it");
        }
      }
      if (c->op == Op::kEq || c->op == Op::kIn || c->op == Op::kIntersects || c->op == Op::kNe) {
        c->type_fast = true;
        c->type_set = s;
      }
      if (c->op == Op::kEq || c->op == Op::kIn || c->op == Op::kIntersects) {
        *may_true = s;
        *may_false = s.complement();
      } else if (c->op == Op::kNe) {
        *may_true = s.complement();
        *may_false = s;
      }
    }
    evt_num_invariant(*c, may_true, may_false);
    return wrap(std::move(c), e, values);
  }

  // evt.num checks that hold for no event or for every one (evt_num_constant).
  static void evt_num_invariant(const Check& c, EventTypeSet* may_true, EventTypeSet* may_false) {
    const Tri t = evt_num_constant(c);
    if (t == Tri::kFalse) {
      *may_true = EventTypeSet{};
      *may_false = EventTypeSet::all();
    } else if (t == Tri::kTrue) {
      *may_true = EventTypeSet::all();
      *may_false = EventTypeSet{};
    }
  }

  bool add_value(Check* c, const ast::Value& v) {
    const std::string& text = v.text;
    switch (c->type) {
      case FieldType::kString:
      case FieldType::kBytes: {
        if (c->type == FieldType::kString && text.find('\0') != std::string::npos) {
          // libsinsp refuses them in strings (not in bytes)
          error(v.pos, "a string value cannot hold a NUL byte");
          return false;
        }
        std::string s = text;
        if (c->op == Op::kIContains || c->op == Op::kIGlob) s = to_lower(s);
        if (c->op == Op::kBContains || c->op == Op::kBStartsWith) {
          std::string bytes;
          if (!hex_decode(text, &bytes)) {
            error(v.pos, "operator '" +
                             std::string(c->op == Op::kBContains ? "bcontains" : "bstartswith") +
                             "' needs a hex string, got '" + text + "'");
            return false;
          }
          s = std::move(bytes);
        }
        if (c->op == Op::kRegex) {
          // RE2, as Falco: linear time, no backtracking, bounded memory.
          re2::RE2::Options ro;
          ro.set_log_errors(false);
          ro.set_max_mem(4 << 20);
          auto re = std::make_unique<re2::RE2>(text, ro);
          if (!re->ok()) {
            error(v.pos, "invalid regular expression '" + text + "': " + re->error());
            return false;
          }
          c->regexes.push_back(std::move(re));
        }
        c->strs.push_back(std::move(s));
        return true;
      }
      case FieldType::kBool: {
        std::string l = to_lower(text);
        if (l != "true" && l != "false") {
          error(v.pos, "'" + text + "' is not a valid value for bool field '" + c->field.name +
                           "' (expected true or false)");
          return false;
        }
        c->nums.push_back(l == "true" ? 1 : 0);
        return true;
      }
      case FieldType::kIp:
      case FieldType::kIpNet: {
        IpNet n;
        if (!parse_cidr(text, &n)) {
          error(v.pos, "'" + text + "' is not a valid IP address or CIDR network for field '" +
                           c->field.name + "'");
          return false;
        }
        c->nets.push_back(n);
        return true;
      }
      default: {
        int64_t n = 0;
        if (!parse_int(text, &n)) {
          error(v.pos, "'" + text + "' is not a valid number for field '" + c->field.name + "'");
          return false;
        }
        c->nums.push_back(n);
        return true;
      }
    }
  }

  // How often the check holds, roughly (see FieldClass).
  static double guess_p_true(const Check& c, const std::vector<ast::Value>& values) {
    if (c.type_fast) return 0.5;
    FieldClass cls =
        c.xforms.empty() && c.field.def != nullptr ? field_class(c.field) : FieldClass::kIdentity;
    if (c.rhs_is_field) return c.op == Op::kNe ? 0.9 : 0.2;
    bool first_true = !values.empty() && (values[0].text == "true" || values[0].text == "1");
    bool first_zero = !values.empty() && values[0].text == "0";
    switch (c.op) {
      case Op::kExists:
        return 0.9;
      case Op::kNe:
        switch (cls) {
          case FieldClass::kTty:
            return first_zero ? 0.05 : 0.95;
          case FieldClass::kSequence:
            return 0.99;
          case FieldClass::kContainerId:
            return 0.6;
          case FieldClass::kRareFlag:
            return first_true ? 0.95 : 0.05;
          default:
            return 0.9;
        }
      case Op::kEq:
      case Op::kIn:
      case Op::kIntersects:
        switch (cls) {
          case FieldClass::kStructural:
            return 0.6;
          case FieldClass::kRareFlag:
            return first_true ? 0.05 : 0.95;
          case FieldClass::kTty:
            return first_zero ? 0.95 : 0.05;
          case FieldClass::kSequence:
            return 0.01;
          case FieldClass::kContainerId:
            return 0.4;
          case FieldClass::kIdentity:  // long lists are exception lists: still rarely hit
            return std::min(0.25, 0.03 + 0.005 * static_cast<double>(values.size()));
        }
        return 0.5;
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
        return 0.5;
      default:  // contains, startswith, glob, regex, pmatch, ...
        return cls == FieldClass::kStructural ? 0.5 : 0.05;
    }
  }

  static std::string field_text(const ResolvedField& f, const std::vector<Xform>& xs) {
    std::string s = f.name;
    for (Xform x : xs) s = std::string(xform_name(x)) + "(" + s + ")";  // innermost first
    return s;
  }

  // Finishes a check: evaluation hints, cost, sharing key and display text.
  std::unique_ptr<Node> wrap(std::unique_ptr<Check> c, const ast::Expr& e,
                             const std::vector<ast::Value>& values) {
    c->cap = c->field.multi ? static_cast<uint8_t>(kMaxFieldValues) : 4;
    c->ne_every = c->op == Op::kNe && !c->rhs_is_field && c->xforms.empty() && !c->tree &&
                  ne_needs_every_value(c->field);
    std::string lhs = field_text(c->field, c->xforms);
    c->key = lhs + ' ' + e.op;
    c->text = lhs + ' ' + e.op;
    if (c->rhs_is_field) {
      std::string rhs = field_text(c->rhs, c->rhs_xforms);
      c->key += " val(" + rhs + ")";
      c->text += c->rhs_xforms.empty() ? " val(" + rhs + ")" : " " + rhs;
    } else if (c->op != Op::kExists) {
      bool list = e.rhs == ast::Expr::RhsKind::kList || e.rhs == ast::Expr::RhsKind::kListRef;
      for (const auto& v : values) {
        c->key += '\x1f';
        c->key += v.text;
      }
      std::string shown;
      constexpr size_t kShow = 8;
      for (size_t i = 0; i < values.size() && i < kShow; ++i) {
        if (i) shown += ", ";
        shown += format_value(values[i].text);
      }
      if (values.size() > kShow) shown += ", ... (" + std::to_string(values.size()) + " items)";
      c->text += list ? " (" + shown + ")" : " " + shown;
    }

    uint32_t cost = 1;
    if (!c->type_fast) {
      cost = (c->tree ? value_tree_cost(*c->tree) : static_cast<uint32_t>(field_cost(c->field))) +
             2 * static_cast<uint32_t>(c->xforms.size());
      switch (c->op) {
        case Op::kExists:
          break;
        case Op::kEq:
        case Op::kNe:
        case Op::kLt:
        case Op::kLe:
        case Op::kGt:
        case Op::kGe:
          cost += 1;
          break;
        case Op::kIn:
        case Op::kIntersects:
          cost += c->use_set
                      ? 2
                      : 1 + static_cast<uint32_t>(
                                std::max(c->strs.size(), c->nums.size() + c->nets.size()) / 2);
          break;
        case Op::kContains:
        case Op::kBContains:
        case Op::kStartsWith:
        case Op::kBStartsWith:
        case Op::kEndsWith:
          cost += 2;
          break;
        case Op::kIContains:
        case Op::kGlob:
        case Op::kIGlob:
          cost += 4;
          break;
        case Op::kRegex:
          cost += 30;
          break;
        case Op::kPMatch:
          cost += 1 + static_cast<uint32_t>(c->strs.size());
          break;
      }
      if (c->rhs_is_field)
        cost += (c->rhs_tree ? value_tree_cost(*c->rhs_tree)
                             : static_cast<uint32_t>(field_cost(c->rhs))) +
                2 * static_cast<uint32_t>(c->rhs_xforms.size());
    }
    c->cost = cost;
    c->p_true = guess_p_true(*c, values);
    auto n = std::make_unique<Node>();
    n->kind = Program::kCheck;
    n->check = std::move(c);
    return n;
  }

  SymbolTable& sym_;
  std::vector<CompileError>* errors_;
  FilterLinker own_linker_;
  FilterLinker* linker_ = nullptr;
  RuleSource source_ = RuleSource::kSyscall;
  std::vector<std::string> macro_stack_;
  std::vector<std::string> fields_;
  size_t depth_ = 0;
  bool too_deep_ = false;
  size_t nodes_ = 0;
  bool too_big_ = false;
  bool failed_ = false;
};

std::unique_ptr<Filter> compile_filter(const ast::Expr& root, SymbolTable& symbols,
                                       std::vector<CompileError>* errors, FilterLinker* linker,
                                       RuleSource source) {
  FilterCompiler c(symbols, errors, linker, source);
  return c.run(root);
}

uint32_t FilterLinker::intern(const std::string& key) {
  auto [it, inserted] = ids_.emplace(key, static_cast<uint32_t>(ids_.size()));
  return it->second;
}

uint32_t FilterLinker::link(const std::vector<Filter*>& filters) {
  // A sub-condition worth remembering: not trivial, and evaluated in more than one place.
  constexpr uint32_t kMinCost = 5;
  std::unordered_map<uint32_t, uint32_t> uses;
  for (const Filter* f : filters) {
    if (!f->prog_) continue;
    const auto& p = *f->prog_;
    for (size_t i = 0; i < p.nodes.size(); ++i)
      if (p.ids[i] != Program::kNoSlot && p.costs[i] >= kMinCost) ++uses[p.ids[i]];
  }
  std::unordered_map<uint32_t, uint32_t> slot_of;
  for (Filter* f : filters) {
    if (!f->prog_) continue;
    auto& p = *f->prog_;
    for (size_t i = 0; i < p.nodes.size(); ++i) {
      p.nodes[i].slot = Program::kNoSlot;
      uint32_t id = p.ids[i];
      if (id == Program::kNoSlot || p.costs[i] < kMinCost) continue;
      auto u = uses.find(id);
      if (u == uses.end() || u->second < 2) continue;
      auto [it, inserted] = slot_of.emplace(id, static_cast<uint32_t>(slot_of.size()));
      p.nodes[i].slot = it->second;
    }
    gen_filter_code(&p);
  }
  return static_cast<uint32_t>(slot_of.size());
}

}  // namespace riposte::detector::rules
