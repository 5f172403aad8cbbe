// The alert tests and benchmarks send by the thousand: Falco's "Terminal shell in container"
// for pod ns/pod, numbered i (a unique output, since inputs deduplicate on it), timestamped now.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/alert.h"

namespace riposte::testing {

inline Alert numbered_shell_alert(int64_t i, const std::string& ns, const std::string& pod) {
  Alert a;
  a.time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  a.rule = "Terminal shell in container";
  a.priority = Priority::kNotice;
  a.hostname = "node-1";
  a.output =
      "A shell was spawned in a container with an attached terminal (n=" + std::to_string(i) + ")";
  a.output_fields["k8s.ns.name"] = ns;
  a.output_fields["k8s.pod.name"] = pod;
  a.uuid = new_uuid();
  return a;
}

}  // namespace riposte::testing
