// libFuzzer target: the condition parser, then (when it parses) the compiler and the evaluator.
// The input is a condition's text. A few macros and lists are defined so that references to
// them compile; evaluation runs over a small mixed event stream, through both the single-filter
// entry point and a ruleset chain, which must agree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "detector/rules/parser.h"
#include "detector/rules/ruleset.h"
#include "tests/fuzz/fuzz_events.h"

namespace riposte::detector::rules {
namespace {

class Symbols : public SymbolTable {
 public:
  Symbols() {
    macro_ = parse_condition("(proc.name in (sh, bash) and container.id != host)").expr;
    list_ = {{"/etc/shadow", false, 0}, {"/etc/passwd", false, 0}, {"sens list", true, 0}};
  }
  const ast::Expr* macro(std::string_view name) override {
    return name == "m" || name == "spawned_process" ? macro_.get() : nullptr;
  }
  const std::vector<ast::Value>* list(std::string_view name) override {
    return name == "l" || name == "sensitive_file_names" ? &list_ : nullptr;
  }

 private:
  std::unique_ptr<ast::Expr> macro_;
  std::vector<ast::Value> list_;
};

}  // namespace
}  // namespace riposte::detector::rules

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace riposte::detector::rules;
  using riposte::detector::Event;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseResult pr = parse_condition(text);
  if (!pr.ok()) {
    if (pr.error.empty() || pr.error_pos > text.size()) std::abort();
    return 0;
  }
  // Values written back by format_value parse to the same text.
  for (const auto& v : pr.expr->values) {
    std::string cond = "proc.name = " + format_value(v.text);
    ParseResult again = parse_condition(cond);
    if (!again.ok() || again.expr->values.empty() || again.expr->values[0].text != v.text) {
      if (pr.expr->kind == ast::Expr::Kind::kCheck && pr.expr->rhs == ast::Expr::RhsKind::kValue)
        std::abort();
    }
  }
  Symbols sym;
  std::vector<CompileError> errors;
  auto filter = compile_filter(*pr.expr, sym, &errors);
  if (!filter) return 0;
  (void)filter->describe();
  EvalScratch scratch;
  for (const Event& ev : riposte::detector::rules::fuzz::events()) {
    scratch.begin_event();
    EvalContext ctx{&ev, "node-1", &scratch};
    bool a = filter->eval(ctx);
    scratch.begin_event();
    bool b = filter->event_types().contains(ev.type) && filter->eval_indexed(ctx);
    if (a != b) std::abort();
  }
  // The same condition inside a rules file, through the loader and the per-type chains.
  std::string yaml = "- macro: m\n  condition: (proc.name in (sh, bash) and container.id != host)\n"
                     "- list: l\n  items: [/etc/shadow, /etc/passwd, '\"sens list\"']\n"
                     "- rule: R\n  desc: d\n  priority: INFO\n  output: \"%proc.name %fd.name\"\n"
                     "  condition: " + format_value(text) + "\n";
  LoadOptions o;
  o.hostname = "node-1";
  o.expand_conditions = true;
  auto res = load_rules_from_string(yaml, o, "fuzz.yaml");
  if (res.ruleset == nullptr) std::abort();
  const CompiledRule* rule = res.ruleset->find("R");
  if (rule == nullptr) return 0;
  (void)explain_rule(*rule);
  std::vector<const CompiledRule*> out;
  for (const Event& ev : riposte::detector::rules::fuzz::events()) {
    res.ruleset->evaluate(ev, &out);
    scratch.begin_event();
    EvalContext ctx{&ev, "node-1", &scratch};
    if (!out.empty() != rule->filter.eval(ctx)) std::abort();
    if (!out.empty()) (void)make_alert(*rule, ev, "node-1");
  }
  return 0;
}
