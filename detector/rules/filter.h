// A compiled condition: the AST (with macros and lists resolved) turned into a flat program
// of typed checks whose constants are parsed, lowered, hex-decoded, regex-compiled and hashed
// once at load time.
//
// The compiler also optimises what it emits, none of which changes a result:
//  - evt.type checks that the rule's event-type index already decides are folded away
//    (the ruleset only evaluates a rule for the event types it can match);
//  - nested and/or are flattened, constants propagated, "not not" removed;
//  - the operands of each and/or are reordered cheapest first (checks have no side effects,
//    so only the cost of reaching the answer changes);
//  - identical sub-conditions across the rules of a ruleset (a macro used by several rules)
//    are numbered by a FilterLinker and their result is remembered for the event.
// Evaluation reads fields through fields.h and allocates nothing on the heap (scratch buffers
// are reused) except inside std::regex.
#pragma once

#include <bitset>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "detector/event/event.h"
#include "detector/rules/ast.h"
#include "detector/rules/exec_names.h"
#include "detector/rules/fields.h"
#include "detector/rules/kernel_program.h"
#include "detector/rules/open_paths.h"

namespace riposte::detector::rules {

inline constexpr size_t kEventTypeCount = static_cast<size_t>(EventType::kCount);

// A set of EventType (kUnknown is never a member).
class EventTypeSet {
 public:
  static EventTypeSet all();
  // open, openat, openat2: the calls the kernel-side open filter covers (open_paths.h).
  static EventTypeSet opens();
  bool contains(EventType t) const { return bits_.test(static_cast<size_t>(t)); }
  bool intersects(const EventTypeSet& o) const { return (bits_ & o.bits_).any(); }
  void insert(EventType t) {
    if (t != EventType::kUnknown) bits_.set(static_cast<size_t>(t));
  }
  size_t size() const { return bits_.count(); }
  bool empty() const { return bits_.none(); }
  bool is_all() const { return *this == all(); }
  std::vector<EventType> to_vector() const;
  EventTypeSet& operator|=(const EventTypeSet& o) {
    bits_ |= o.bits_;
    return *this;
  }
  EventTypeSet& operator&=(const EventTypeSet& o) {
    bits_ &= o.bits_;
    return *this;
  }
  EventTypeSet complement() const;
  bool operator==(const EventTypeSet& o) const { return bits_ == o.bits_; }

 private:
  std::bitset<kEventTypeCount> bits_;
};

// What the compiler needs from the loader: macro bodies and list contents by name.
// Both mark the entry as used.
class SymbolTable {
 public:
  virtual ~SymbolTable() = default;
  virtual const ast::Expr* macro(std::string_view name) = 0;
  virtual const std::vector<ast::Value>* list(std::string_view name) = 0;
  // True when the macro exists but its condition failed to parse (already reported).
  virtual bool macro_broken(std::string_view /*name*/) { return false; }
};

// Falco 0.42 deprecated evt.dir (enter events are no longer captured); a condition or an
// output using it gets a LOAD_DEPRECATED_ITEM warning with Falco's explanation.
inline constexpr std::string_view kDeprecatedEvtDir = "evt.dir";
inline constexpr std::string_view kEvtDirDeprecation =
    "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' "
    "always evaluates to false. The rule expression can be simplified by removing the condition "
    "on 'evt.dir'";

struct CompileError {
  std::string macro;  // the macro whose text `pos` refers to; "" = the rule's own condition
  size_t pos = 0;
  std::string message;
  bool unknown_field = false;  // the error is an unknown field (skip-if-unknown-filter applies)
  bool warning = false;        // not fatal (unknown event type name, ...)
  // The load_result code: for warnings LOAD_UNKNOWN_EVTTYPE, LOAD_COMPILE_CONDITION (hints),
  // LOAD_DEPRECATED_ITEM; for errors "" (LOAD_ERR_COMPILE_CONDITION) or LOAD_ERR_VALIDATE
  // (an undefined macro, as Falco).
  std::string_view code = "LOAD_UNKNOWN_EVTTYPE";
};

class FilterLinker;

class Filter {
 public:
  struct Program;
  Filter();
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

  // True when the condition holds for the event (false for event types outside
  // event_types()). ctx.scratch must have seen begin_event() for this event.
  bool eval(const EvalContext& ctx) const;
  // Same, for callers that already know ev.type is in event_types() (the ruleset's index).
  bool eval_indexed(const EvalContext& ctx) const;
  // Event types for which the condition can be true.
  const EventTypeSet& event_types() const { return types_; }
  // For open(2) events of each access class, a set of paths outside which the condition
  // cannot hold (open_paths.h); any when it does not depend on the path.
  OpenPaths open_paths() const;
  // For the exec event, the process and parent names outside which the condition cannot
  // hold (exec_names.h); any when it does not depend on them.
  ExecNames exec_names() const;
  // For the exec event, the condition as the kernel's exec program evaluates it, or why the
  // kernel cannot decide it exactly (kernel_program.h).
  KernelProgram kernel_program() const;
  // Fields the condition reads (for diagnostics).
  const std::vector<std::string>& fields() const { return fields_; }
  // The program as evaluated, one node per line (for `riposte rules explain`): operands in
  // evaluation order with their estimated cost, folded evt.type checks left out.
  std::string describe() const;

 private:
  friend class FilterCompiler;
  friend class FilterLinker;
  friend class FilterChain;
  std::unique_ptr<Program> prog_;
  EventTypeSet types_;
  std::vector<std::string> fields_;
};

// The filters of one event type, in order, as one straight-line program (what Ruleset runs):
// evt.type checks are decided when it is built, each check jumps to the next test on its
// outcome, and sub-conditions shared by several filters are evaluated once per event.
class FilterChain {
 public:
  FilterChain();
  ~FilterChain();
  FilterChain(FilterChain&&) noexcept;
  FilterChain& operator=(FilterChain&&) noexcept;

  // `filters`: each with the tag reported when it matches. first_only: stop at the first
  // match. Build after FilterLinker::link.
  void build(EventType type, const std::vector<std::pair<const Filter*, const void*>>& filters,
             bool first_only);
  using MatchFn = void (*)(void* arg, const void* tag);
  // Calls on_match(arg, tag) for each filter that holds, in order; returns how many did.
  size_t run(const EvalContext& ctx, MatchFn on_match, void* arg) const;
  size_t instructions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Numbers identical sub-conditions across the filters of one ruleset, then gives those that
// appear more than once (and are not trivial) a slot whose result is remembered per event.
class FilterLinker {
 public:
  uint32_t intern(const std::string& key);
  // Assigns result slots over `filters` (the enabled rules); returns how many slots the
  // scratch space needs.
  uint32_t link(const std::vector<Filter*>& filters);

 private:
  std::unordered_map<std::string, uint32_t> ids_;
};

// Compiles `root`. On failure returns null and appends to *errors (which may also receive
// warnings on success). With a linker, sub-conditions are numbered for FilterLinker::link.
// `source` decides which fields the condition may read and which events it sees (a k8s_audit
// filter sees kPluginEvent only).
std::unique_ptr<Filter> compile_filter(const ast::Expr& root, SymbolTable& symbols,
                                       std::vector<CompileError>* errors,
                                       FilterLinker* linker = nullptr,
                                       RuleSource source = RuleSource::kSyscall);

// Glob matching as Falco's glob/iglob operators do it: '*' any run (including '/'), '?' one
// character, '[...]' a class ('!' or '^' negates, ranges with '-'). When icase, `pattern`
// must already be lowercase.
bool glob_match(std::string_view pattern, std::string_view s, bool icase);

}  // namespace riposte::detector::rules
