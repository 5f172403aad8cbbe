// What the node agent reads from and does to its node: the pure interface between the agent's
// decisions (node_agent.h: which target, which guardrail) and the kernel. The real one
// (linux_node_host.h) reads /proc and drives the cgroup freezer; unit tests use a fake that
// records what it was asked to do.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "detector/container/cgroup.h"

namespace riposte::detector {

// A process as the kernel shows it now. Its container comes from its own cgroup path
// (/proc/<pid>/cgroup), never from anything a request or an alert says.
struct ProcessFacts {
  pid_t pid = 0;
  pid_t ppid = 0;
  uint64_t start_ticks = 0;  // field 22 of /proc/<pid>/stat
  std::string comm;
  std::optional<CgroupContainer> container;  // none: a host process
  // The container's cgroups: the freezer hierarchy's path (cgroup v1) and the unified one's
  // (cgroup v2), as /proc/<pid>/cgroup names them ("" when absent).
  std::string freezer_cgroup;
  std::string unified_cgroup;
};

class NodeHost {
 public:
  virtual ~NodeHost() = default;
  virtual std::optional<ProcessFacts> process(pid_t pid) = 0;
  // The processes whose cgroup is container_id's (64 hex digits, or its 12-digit prefix).
  virtual std::vector<ProcessFacts> container_processes(const std::string& container_id) = 0;

  // Effects. kill_process signals only the process that started at start_ticks.
  virtual Status kill_process(pid_t pid, uint64_t start_ticks) = 0;
  virtual Status freeze(const ProcessFacts& member) = 0;  // the member's container cgroup
  virtual Status thaw(const ProcessFacts& member) = 0;
  virtual Status kill_container(const ProcessFacts& member) = 0;
  // The process's tree, files, sockets, executable hash, cmdline and environment.
  virtual nlohmann::json capture(const ProcessFacts& proc) = 0;
};

}  // namespace riposte::detector
