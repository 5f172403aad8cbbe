// libFuzzer target: the alert parser, the first thing attacker-influenced bytes from the bus
// meet. A parsed alert must survive a round trip through its JSON and yield a subject and
// dedup keys; nothing may crash, leak or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/alert.h"
#include "responder/dedup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto alert = riposte::parse_alert(input);
  if (!alert) return 0;
  const std::string json = riposte::to_json(*alert);
  auto again = riposte::parse_alert(json);
  // What we write we must read back (invalid UTF-8 is replaced, so compare the re-encoding).
  if (!again || riposte::to_json(*again) != json) std::abort();
  (void)riposte::alert_subject(*alert);
  (void)riposte::responder::content_key(*alert);
  (void)riposte::responder::strip_time_prefix(alert->output);
  (void)riposte::falco_text_line(*alert);
  return 0;
}
