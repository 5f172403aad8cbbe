#include "detector/enricher.h"

namespace riposte::detector {

std::shared_ptr<const ContainerInfo> ProcessEnricher::container_for(const ExecRecord& rec) {
  // A container's pid namespace init started when the container did (container.start_ts).
  const uint64_t start = rec.pidns_init_start_boot_ns == 0
                             ? 0
                             : static_cast<uint64_t>(static_cast<int64_t>(rec.pidns_init_start_boot_ns) +
                                                     boot_to_wall_ns_);
  return containers_->resolve(rec.cgroup_v2, rec.cgroup_v1, start);
}

void ProcessEnricher::names(ProcessInfo* proc) {
  const std::string root_key = proc->container ? proc->container->full_id : std::string();
  proc->user_name = users_->user_name(root_key, proc->pid, proc->uid);
  proc->group_name = users_->group_name(root_key, proc->pid, proc->gid);
  // the login uid names a user of the host (who logged in), not of the container
  if (proc->loginuid != UINT32_MAX) proc->login_name = users_->user_name({}, proc->pid, proc->loginuid);
}

void ProcessEnricher::apply(ProcessInfo* proc, const ExecRecord& rec) {
  if (rec.pidns_init_start_boot_ns != 0) {
    proc->pidns_init_start_ns = static_cast<uint64_t>(
        static_cast<int64_t>(rec.pidns_init_start_boot_ns) + boot_to_wall_ns_);
  }
  names(proc);
}

void ProcessEnricher::apply(ProcessInfo* proc, const ProcSnapshot& snap) {
  if (!snap.cgroup_v2.empty() || !snap.cgroup_v1.empty()) {
    proc->container = containers_->resolve(snap.cgroup_v2, snap.cgroup_v1, 0);
  }
  names(proc);
}

void ProcessEnricher::apply(ProcessInfo* proc, const Credentials& creds) {
  if (creds.caps) {
    proc->cap_inheritable = creds.cap_inheritable;
    proc->cap_permitted = creds.cap_permitted;
    proc->cap_effective = creds.cap_effective;
    return;
  }
  if (proc->uid == creds.uid && proc->gid == creds.gid) return;
  proc->uid = creds.uid;
  proc->gid = creds.gid;
  names(proc);
}

}  // namespace riposte::detector
