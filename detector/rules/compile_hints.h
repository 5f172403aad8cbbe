// The filter compiler's hints (Falco: LOAD_COMPILE_CONDITION warnings, from libsinsp's
// sinsp_filter_compiler::check_value_and_add_warnings): a constant that is probably a mistake.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "detector/rules/check.h"

namespace riposte::detector::rules {

// The hints for one constant value of a check with operator `op`, in libsinsp's words:
// a regex that a simpler operator could do, a field name or a transformer written as a
// string (val(x) or a bare transformer was probably meant).
std::vector<std::string> value_hints(detail::Op op, std::string_view value);

}  // namespace riposte::detector::rules
