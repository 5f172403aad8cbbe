// Freezing, thawing and killing a container's cgroup, on cgroup v1 (the freezer hierarchy's
// freezer.state; no kill file: freeze, SIGKILL every member, thaw) and cgroup v2
// (cgroup.freeze, and cgroup.kill, kernel >= 5.14). v1's freezer is used wherever it holds
// the container (v1 and hybrid hosts: it is the runtime's), v2 otherwise. Each call waits
// for its effect (frozen, thawed, empty) within a bound, so "done" means done.
#pragma once

#include <string>

#include "common/result.h"

namespace riposte::detector {

struct CgroupMounts {
  std::string freezer;  // the v1 freezer hierarchy's mount point, "" when none
  std::string unified;  // the cgroup2 mount point, "" when none
};

// From mountinfo (/proc/self/mountinfo); hierarchies mounted from a subtree (a cgroup
// namespace's view) are ignored: their paths would not be the ones /proc/<pid>/cgroup shows;
// read-only mounts too.
CgroupMounts find_cgroup_mounts(const std::string& mountinfo_path = "/proc/self/mountinfo");

class CgroupControl {
 public:
  explicit CgroupControl(CgroupMounts mounts) : mounts_(std::move(mounts)) {}
  // freezer_path / unified_path: as /proc/<pid>/cgroup shows them for a member process.
  Status freeze(const std::string& freezer_path, const std::string& unified_path) const;
  Status thaw(const std::string& freezer_path, const std::string& unified_path) const;
  Status kill(const std::string& freezer_path, const std::string& unified_path) const;

 private:
  // The container's cgroup directory in one hierarchy when it has `control`, or why not.
  Result<std::string> dir(const std::string& path, const std::string& root,
                          const char* control) const;
  Status set_freezer(const std::string& freezer_path, const std::string& unified_path,
                     bool frozen) const;

  CgroupMounts mounts_;
};

}  // namespace riposte::detector
