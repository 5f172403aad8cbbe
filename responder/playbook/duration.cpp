#include "responder/playbook/duration.h"

#include <string>

namespace riposte::playbook {

Result<int64_t> parse_duration_ms(std::string_view text) {
  constexpr int64_t kMaxMs = 7LL * 24 * 3600 * 1000;
  const Error bad{"bad duration \"" + std::string(text.substr(0, 32)) +
                  "\": expected e.g. 250ms, 30s, 5m, 1h or 1m30s"};
  if (text.empty()) return bad;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (++digits > 9) return bad;
      n = n * 10 + (text[i++] - '0');
    }
    if (digits == 0) return bad;
    int64_t unit = 0;
    if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < text.size() && (text[i] == 's' || text[i] == 'm' || text[i] == 'h')) {
      unit = text[i] == 's' ? 1000 : text[i] == 'm' ? 60000 : 3600000;
      ++i;
    } else {
      return bad;
    }
    total += n * unit;
    if (total > kMaxMs) return Error{"duration \"" + std::string(text) + "\" is over a week"};
  }
  if (total <= 0) return Error{"duration \"" + std::string(text) + "\" must be positive"};
  return total;
}

}  // namespace riposte::playbook
