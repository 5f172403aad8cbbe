#include "detector/node_agent/linux_node_host.h"

#include <dirent.h>
#include <signal.h>

#include <cstdlib>
#include <sstream>

#include "detector/node_agent/forensics.h"
#include "detector/state/pidfd.h"
#include "detector/state/proc_file.h"

namespace riposte::detector {
namespace {

constexpr int kExitWaitMs = 2000;

std::string read_file(const std::string& path) { return read_proc_file(path); }

}  // namespace

void parse_proc_cgroup(const std::string& text, ProcessFacts* facts) {
  std::istringstream in(text);
  std::string v1_any;
  for (std::string line; std::getline(in, line);) {
    // hierarchy-id:controllers:path
    const auto a = line.find(':');
    const auto b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && controllers.empty()) {
      facts->unified_cgroup = path;
    } else {
      if (("," + controllers + ",").find(",freezer,") != std::string::npos)
        facts->freezer_cgroup = path;
      if (v1_any.empty() || controllers.find("pids") != std::string::npos) v1_any = path;
    }
  }
  // The container the kernel put the process in: the unified path first (cgroup v2 hosts),
  // then the v1 hierarchies (v1 and hybrid hosts), as ContainerResolver does for alerts.
  facts->container = parse_container_cgroup(facts->unified_cgroup);
  if (!facts->container && !facts->freezer_cgroup.empty()) {
    facts->container = parse_container_cgroup(facts->freezer_cgroup);
  }
  if (!facts->container && !v1_any.empty()) facts->container = parse_container_cgroup(v1_any);
}

LinuxNodeHost::LinuxNodeHost(std::string proc_root, CgroupMounts mounts)
    : proc_(std::move(proc_root)), cgroups_(std::move(mounts)) {}

std::optional<ProcessFacts> LinuxNodeHost::process(pid_t pid) {
  const std::string dir = proc_ + "/" + std::to_string(pid);
  const std::string stat = read_file(dir + "/stat");
  const auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcessFacts f;
  f.pid = pid;
  f.comm = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  rest >> state >> f.ppid;
  f.start_ticks = proc_start_ticks(pid);
  parse_proc_cgroup(read_file(dir + "/cgroup"), &f);
  // Read again: if the pid changed hands while its cgroup was read, the facts are mixed.
  if (f.start_ticks == 0 || proc_start_ticks(pid) != f.start_ticks) return std::nullopt;
  return f;
}

std::vector<ProcessFacts> LinuxNodeHost::container_processes(const std::string& container_id) {
  std::vector<ProcessFacts> out;
  if (container_id.size() != 12 && container_id.size() != 64) return out;
  DIR* d = opendir(proc_.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    // Cheap filter first: the id is in the cgroup file's text.
    if (read_file(proc_ + "/" + e->d_name + "/cgroup").find(container_id) == std::string::npos) {
      continue;
    }
    auto f = process(static_cast<pid_t>(pid));
    if (f && f->container && f->container->id.compare(0, container_id.size(), container_id) == 0) {
      out.push_back(std::move(*f));
    }
  }
  closedir(d);
  return out;
}

Status LinuxNodeHost::kill_process(pid_t pid, uint64_t start_ticks) {
  auto p = Pidfd::open(pid);
  if (!p) return Error{"process " + std::to_string(pid) + " is gone: " + p.error()};
  if (p->start_ticks() != start_ticks) {
    return Error{"process " + std::to_string(pid) + " is another process now"};
  }
  if (Status st = p->signal(SIGKILL); !st) return st;
  if (!p->wait_exit(kExitWaitMs)) {
    return Error{"process " + std::to_string(pid) + " is still running after SIGKILL"};
  }
  return {};
}

Status LinuxNodeHost::freeze(const ProcessFacts& m) {
  return cgroups_.freeze(m.freezer_cgroup, m.unified_cgroup);
}

Status LinuxNodeHost::thaw(const ProcessFacts& m) {
  return cgroups_.thaw(m.freezer_cgroup, m.unified_cgroup);
}

Status LinuxNodeHost::kill_container(const ProcessFacts& m) {
  return cgroups_.kill(m.freezer_cgroup, m.unified_cgroup);
}

nlohmann::json LinuxNodeHost::capture(const ProcessFacts& p) {
  return capture_process(proc_, p.pid);
}

}  // namespace riposte::detector
