// Scenarios on the local cluster's real node (deploy/local/real-node.sh: kubelet + containerd
// + runc): the workloads of deploy/local/workloads, their pods and containers, and their
// processes as the host sees them. Shared by the e2e tests that run real containers.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/support/local_cluster.h"

namespace riposte::testing {

// The real node's name, or "" with *why set (no real node in this cluster).
std::string real_node_name(const LocalCluster& c, std::string* why);

// A Deployment to run: a file of deploy/local/workloads, optionally renamed (every `web` in
// nginx.yaml becomes `as`), so that one scenario's effect is not another's precondition.
struct Workload {
  std::string file;        // e.g. "nginx.yaml", or an absolute path
  std::string from;        // the name in the file to replace ("" keeps the file as is)
  std::string as;          // its replacement
  std::string deployment;  // the Deployment to wait for
};

// Applies the workloads into ns (work_dir holds renamed copies) and waits until each
// Deployment is rolled out on the real node; "" on success, else why not (with the pods and
// events of ns).
std::string apply_workloads(const LocalCluster& c, const std::string& ns,
                            const std::string& source_dir, const std::string& work_dir,
                            const std::vector<Workload>& workloads);

// A running pod of the Deployment labelled app=<app>, with its first container's id.
struct RealPod {
  std::string name;
  std::string cid;  // the 64-hex containerd id ("" when not running yet)
};
RealPod running_pod(const LocalCluster& c, const std::string& ns, const std::string& app);

// `kubectl exec POD -- command` (no shell: command is split on spaces by kubectl's argv).
std::string exec_in(const LocalCluster& c, const std::string& ns, const RealPod& pod,
                    const std::string& command, int* rc = nullptr);

// A host process, identified across pid reuse by its start time.
struct HostProcess {
  pid_t pid = 0;
  std::string start_time;  // field 22 of /proc/<pid>/stat
};
// The process exists and has not exited (a zombie waiting to be reaped has).
bool still_running(const HostProcess& p);

// The host processes of a container (its cgroup path holds the container id) named comm
// (every one when comm is "").
std::vector<HostProcess> container_processes(const std::string& cid, const std::string& comm);

}  // namespace riposte::testing
