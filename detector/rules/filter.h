// A compiled condition: the AST (with macros and lists resolved) turned into a tree of typed
// checks whose constants are parsed, lowered, hex-decoded, regex-compiled and hashed once at
// load time. Evaluation reads fields through fields.h and allocates nothing on the heap
// (scratch buffers are reused) except inside std::regex.
#pragma once

#include <bitset>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detector/event/event.h"
#include "detector/rules/ast.h"
#include "detector/rules/fields.h"

namespace riposte::detector::rules {

inline constexpr size_t kEventTypeCount = static_cast<size_t>(EventType::kCount);

// A set of EventType (kUnknown is never a member).
class EventTypeSet {
 public:
  static EventTypeSet all();
  bool contains(EventType t) const { return bits_.test(static_cast<size_t>(t)); }
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

struct CompileError {
  std::string macro;  // the macro whose text `pos` refers to; "" = the rule's own condition
  size_t pos = 0;
  std::string message;
  bool unknown_field = false;  // the error is an unknown field (skip-if-unknown-filter applies)
  bool warning = false;        // not fatal (unknown event type name, ...)
};

class Filter {
 public:
  struct Node;
  Filter();
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

  bool eval(const EvalContext& ctx) const;
  // Event types for which the condition can be true.
  const EventTypeSet& event_types() const { return types_; }
  // Fields the condition reads (for diagnostics).
  const std::vector<std::string>& fields() const { return fields_; }

 private:
  friend class FilterCompiler;
  std::unique_ptr<Node> root_;
  EventTypeSet types_;
  std::vector<std::string> fields_;
};

// Compiles `root`. On failure returns null and appends to *errors (which may also receive
// warnings on success).
std::unique_ptr<Filter> compile_filter(const ast::Expr& root, SymbolTable& symbols,
                                       std::vector<CompileError>* errors);

// Glob matching as Falco's glob/iglob operators do it: '*' any run (including '/'), '?' one
// character, '[...]' a class ('!' or '^' negates, ranges with '-'). When icase, `pattern`
// must already be lowercase.
bool glob_match(std::string_view pattern, std::string_view s, bool icase);

}  // namespace riposte::detector::rules
