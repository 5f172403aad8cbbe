#include "tests/support/real_node.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte::testing {

namespace fs = std::filesystem;

std::string real_node_name(const LocalCluster& c, std::string* why) {
  auto it = c.env.find("RIPOSTE_REAL_NODE_NAME");
  if (it != c.env.end() && !it->second.empty()) return it->second;
  *why =
      "the local cluster has no real node: deploy/local/cluster.sh brings one up as root unless "
      "RIPOSTE_REAL_NODE=0 or another cluster on this machine holds it (see its log)";
  return "";
}

std::string apply_workloads(const LocalCluster& c, const std::string& ns,
                            const std::string& source_dir, const std::string& work_dir,
                            const std::vector<Workload>& workloads) {
  int rc = 0;
  for (const Workload& w : workloads) {
    std::string path =
        w.file.front() == '/' ? w.file : source_dir + "/deploy/local/workloads/" + w.file;
    if (!w.from.empty()) {
      const std::string text = read_file(path);
      path = work_dir + "/" + w.as + ".yaml";
      std::ofstream(path) << std::regex_replace(text, std::regex("\\b" + w.from + "\\b"), w.as);
    }
    const std::string out = kubectl(c, "-n " + ns + " apply -f " + path, &rc);
    if (rc != 0) return "cannot apply " + path + ": " + out;
  }
  for (const Workload& w : workloads) {
    const std::string out = kubectl(
        c, "-n " + ns + " rollout status deployment/" + w.deployment + " --timeout=180s", &rc);
    if (rc != 0) {
      return "deployment " + w.deployment + " did not become ready on the real node: " + out +
             "\n" + kubectl(c, "-n " + ns + " get pods -o wide") +
             kubectl(c, "-n " + ns + " get events --sort-by=.lastTimestamp");
    }
  }
  return "";
}

RealPod running_pod(const LocalCluster& c, const std::string& ns, const std::string& app) {
  RealPod p;
  p.name = trim(kubectl(
      c, "-n " + ns + " get pods -l app=" + app +
             " --field-selector=status.phase=Running -o jsonpath={.items[0].metadata.name}"));
  const std::string id =
      trim(kubectl(c, "-n " + ns + " get pod " + p.name +
                          " -o jsonpath={.status.containerStatuses[0].containerID}"));
  const std::string scheme = "containerd://";
  if (id.rfind(scheme, 0) == 0) p.cid = id.substr(scheme.size());
  return p;
}

std::string exec_in(const LocalCluster& c, const std::string& ns, const RealPod& pod,
                    const std::string& command, int* rc) {
  return kubectl(c, "-n " + ns + " exec " + pod.name + " -- " + command, rc);
}

namespace {

std::string start_time_of(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(stat.substr(close + 2));
  std::string f;
  for (int i = 3; i <= 22 && rest >> f; ++i) {
  }
  return f;
}

}  // namespace

bool still_running(const HostProcess& p) {
  if (!fs::exists("/proc/" + std::to_string(p.pid)) || start_time_of(p.pid) != p.start_time) {
    return false;
  }
  // A zombie has exited; it only waits for its parent (a runtime's shim) to reap it.
  const std::string stat = read_file("/proc/" + std::to_string(p.pid) + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ||
         (stat[close + 2] != 'Z' && stat[close + 2] != 'X');
}

std::vector<HostProcess> container_processes(const std::string& cid, const std::string& comm) {
  std::vector<HostProcess> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (read_file(e.path() / "cgroup").find(cid) == std::string::npos) continue;
    if (!comm.empty() && trim(read_file(e.path() / "comm")) != comm) continue;
    const pid_t pid = std::stoi(name);
    out.push_back({pid, start_time_of(pid)});
  }
  return out;
}

}  // namespace riposte::testing
