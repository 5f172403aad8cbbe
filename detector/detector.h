// The detector's event path: exec record -> process and container state -> Event -> rules ->
// alert sink. Single-threaded by design (the ring buffer poll thread), so state needs no
// locks; only the sink crosses threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "detector/container/container_resolver.h"
#include "detector/output/alert_sink.h"
#include "detector/rules/ruleset.h"
#include "detector/sensor/exec_record.h"
#include "detector/state/process_table.h"
#include "detector/state/user_resolver.h"

namespace riposte::detector {

class Detector {
 public:
  Detector(const rules::Ruleset* rules, ContainerResolver* containers, ProcessTable* procs,
           AlertSink* sink, Registry* registry, std::string hostname);

  void on_exec(const ExecRecord& rec);

 private:
  void evaluate(const Event& ev);

  const rules::Ruleset* rules_;
  ContainerResolver* containers_;
  ProcessTable* procs_;
  UserResolver users_;
  AlertSink* sink_;
  Registry* registry_;
  std::string hostname_;
  int64_t boot_to_wall_ns_;  // CLOCK_REALTIME - CLOCK_BOOTTIME at start
  uint64_t num_ = 0;
  std::vector<const rules::CompiledRule*> matches_;  // reused: no allocation per event
  Counter* exec_events_;
  Counter* emit_failures_;
};

}  // namespace riposte::detector
