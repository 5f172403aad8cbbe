// Events the fuzz targets evaluate compiled conditions against: a slice of the benchmark's
// mix (every event type it has, inside and outside containers), built once per process.
#pragma once

#include <memory>
#include <vector>

#include "detector/rules/ruleset.h"
#include "tests/detector/rules/event_mix.h"

namespace riposte::detector::rules::fuzz {

inline const std::vector<Event>& events() {
  static const auto mix = testing::make_event_mix(96, 3);
  return mix->events;
}

}  // namespace riposte::detector::rules::fuzz
