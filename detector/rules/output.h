// Falco output formats: "text %proc.name %10fd.name ..." compiled once into literal and field
// tokens, rendered into the alert's output line and its typed output_fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "detector/rules/fields.h"

namespace riposte::detector::rules {

class OutputFormat {
 public:
  // Compiles `fmt`. On failure returns false with *error and *error_pos (offset into fmt).
  // Syntax: '%' [width digits] field-name ['[' arg ']']; a leading '*' is accepted and
  // ignored; "%container.info" renders as nothing (as in Falco with the container plugin).
  // Fields must be readable from events of `source`.
  bool compile(std::string_view fmt, std::string* error, size_t* error_pos,
               RuleSource source = RuleSource::kSyscall);

  // Renders the text (missing values as "<NA>") and, when fields != null, the output_fields
  // object (numbers stay numbers, bools stay bools, missing values are null).
  void render(const EvalContext& ctx, std::string* text, nlohmann::ordered_json* fields) const;

  const std::vector<std::string>& field_names() const { return field_names_; }

 private:
  struct Token {
    std::string literal;
    bool is_field = false;
    ResolvedField field;
    int width = 0;
  };
  std::vector<Token> tokens_;
  std::vector<std::string> field_names_;
};

}  // namespace riposte::detector::rules
