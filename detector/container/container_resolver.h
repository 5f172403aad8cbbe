// Turns a process's cgroup paths into the ContainerInfo the rules see (container.*, k8s.*),
// cached per cgroup path so the common case (another exec in a known container) is a hash
// lookup. Pod metadata comes from a PodSource; an unknown pod is retried after a back-off
// instead of being cached as absent forever (the pod may not be in our view yet).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "detector/container/cgroup.h"
#include "detector/container/pod_source.h"
#include "detector/event/event.h"

namespace riposte::detector {

class ContainerResolver {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ContainerResolver(PodSource* pods, size_t max_entries = 16384,
                             Clock::duration retry_after = std::chrono::seconds(2));

  // null for host processes. cgroup_v1 is consulted when the v2 path is not a container's
  // (cgroup v1 and hybrid hosts). start_ns: the container's start (ns since the epoch) when
  // the caller knows it (0 = unknown); kept from the first resolution.
  std::shared_ptr<const ContainerInfo> resolve(const std::string& cgroup_v2,
                                               const std::string& cgroup_v1,
                                               uint64_t start_ns = 0);

 private:
  struct Cached {
    std::shared_ptr<const ContainerInfo> info;
    Clock::time_point retry_at;  // when info lacks its pod, the time to ask again
  };
  std::shared_ptr<const ContainerInfo> build(const CgroupContainer& c, uint64_t start_ns,
                                             bool* complete);

  PodSource* pods_;
  size_t max_entries_;
  Clock::duration retry_after_;
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace riposte::detector
