// The context a process gets beyond what its record carries: the container and pod that own
// its cgroup, and user/group names as its own root filesystem defines them. Shared by the
// exec path (Detector) and the /proc path (ProcessTable's enricher), so both fill the same
// fields the same way.
#pragma once

#include "detector/container/container_resolver.h"
#include "detector/event/event.h"
#include "detector/sensor/exec_record.h"
#include "detector/sensor/syscall_record.h"
#include "detector/state/proc_reader.h"
#include "detector/state/user_resolver.h"

namespace riposte::detector {

class ProcessEnricher {
 public:
  ProcessEnricher(ContainerResolver* containers, UserResolver* users, int64_t boot_to_wall_ns)
      : containers_(containers), users_(users), boot_to_wall_ns_(boot_to_wall_ns) {}

  // The container of an exec'ing process (resolved before the process table entry exists).
  std::shared_ptr<const ContainerInfo> container_for(const ExecRecord& rec);
  // user.name, group.name, user.loginname, pidns start, from the exec record.
  void apply(ProcessInfo* proc, const ExecRecord& rec);
  // The same for a process read from /proc.
  void apply(ProcessInfo* proc, const ProcSnapshot& snap);
  // What a successful setuid-family call or capset left the process with (libsinsp's
  // parse_set*id_exit / parse_capset_exit): the user and group, with their names, or the
  // capabilities. Applied before the call's own event is evaluated, as libsinsp parses an
  // event before the rules see it.
  void apply(ProcessInfo* proc, const Credentials& creds);

 private:
  void names(ProcessInfo* proc);

  ContainerResolver* containers_;
  UserResolver* users_;
  int64_t boot_to_wall_ns_;
};

}  // namespace riposte::detector
