// The real NodeHost: /proc for processes and their cgroups, pidfds for kills, the cgroup
// freezer for containers (cgroup_control.h), /proc again for forensics (forensics.h).
#pragma once

#include <string>

#include "detector/node_agent/cgroup_control.h"
#include "detector/node_agent/node_host.h"

namespace riposte::detector {

class LinuxNodeHost final : public NodeHost {
 public:
  explicit LinuxNodeHost(std::string proc_root = "/proc",
                         CgroupMounts mounts = find_cgroup_mounts());

  std::optional<ProcessFacts> process(pid_t pid) override;
  std::vector<ProcessFacts> container_processes(const std::string& container_id) override;
  Status kill_process(pid_t pid, uint64_t start_ticks) override;
  Status freeze(const ProcessFacts& member) override;
  Status thaw(const ProcessFacts& member) override;
  Status kill_container(const ProcessFacts& member) override;
  nlohmann::json capture(const ProcessFacts& proc) override;

 private:
  std::string proc_;
  CgroupControl cgroups_;
};

// Fills container, freezer_cgroup and unified_cgroup from /proc/<pid>/cgroup's text.
void parse_proc_cgroup(const std::string& text, ProcessFacts* facts);

}  // namespace riposte::detector
