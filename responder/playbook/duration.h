// Durations in playbooks: "250ms", "30s", "5m", "1h", combined as "1m30s". Plain integers
// are refused: "timeout: 5" would leave the unit to guesswork.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace riposte::playbook {

// Milliseconds; > 0 and at most a week.
Result<int64_t> parse_duration_ms(std::string_view text);

}  // namespace riposte::playbook
