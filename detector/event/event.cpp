#include "detector/event/event.h"

#include <array>

namespace riposte::detector {
namespace {

#define RIPOSTE_EVENT_TYPE_NAME_(type, name, args) name,
constexpr std::string_view kNames[] = {RIPOSTE_EVENT_TYPES(RIPOSTE_EVENT_TYPE_NAME_)};
#undef RIPOSTE_EVENT_TYPE_NAME_
static_assert(std::size(kNames) == static_cast<size_t>(EventType::kCount),
              "every EventType needs its Falco name");

}  // namespace

std::string_view event_type_name(EventType t) {
  auto i = static_cast<size_t>(t);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::optional<EventType> parse_event_type(std::string_view name) {
  for (size_t i = 1; i < std::size(kNames); ++i) {
    if (kNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

}  // namespace riposte::detector
