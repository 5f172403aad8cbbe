#include "detector/node_agent/cgroup_control.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

#include "detector/container/cgroup.h"
#include "detector/state/proc_file.h"

namespace riposte::detector {
namespace {

constexpr auto kEffectBound = std::chrono::seconds(2);

std::string read_file(const std::string& path) { return read_proc_file(path); }

Status write_file(const std::string& path, const std::string& value) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  const bool ok =
      fd >= 0 && write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  const int err = errno;
  if (fd >= 0) close(fd);
  if (!ok) return Error{"cannot write " + value + " to " + path + ": " + std::strerror(err)};
  return {};
}

// Polls until done() holds, within kEffectBound.
template <typename F>
bool wait_for(F done) {
  const auto until = std::chrono::steady_clock::now() + kEffectBound;
  for (auto pause = std::chrono::microseconds(50);;
       pause = std::min(pause * 2, decltype(pause)(5000))) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(pause);
  }
}

std::vector<pid_t> procs(const std::string& dir) {
  std::vector<pid_t> out;
  std::istringstream in(read_file(dir + "/cgroup.procs"));
  for (long pid; in >> pid;) out.push_back(static_cast<pid_t>(pid));
  return out;
}

}  // namespace

CgroupMounts find_cgroup_mounts(const std::string& mountinfo_path) {
  CgroupMounts m;
  std::istringstream in(read_file(mountinfo_path));
  for (std::string line; std::getline(in, line);) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    std::istringstream f(line);
    std::string id, parent, dev, root, point, options;
    f >> id >> parent >> dev >> root >> point >> options;
    const auto dash = line.find(" - ");
    // A runtime's read-only view of the host's cgroups is of no use: the host's, mounted
    // writable for the detector (the Helm chart's host-cgroup volume), is.
    if (dash == std::string::npos || root != "/" || options.rfind("ro", 0) == 0) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype, source, super;
    tail >> fstype >> source >> super;
    if (fstype == "cgroup2" && m.unified.empty()) m.unified = point;
    if (fstype == "cgroup" && m.freezer.empty() &&
        ("," + super + ",").find(",freezer,") != std::string::npos) {
      m.freezer = point;
    }
  }
  return m;
}

Result<std::string> CgroupControl::dir(const std::string& path, const std::string& root,
                                       const char* control) const {
  if (root.empty() || path.empty()) return Error{"no such hierarchy"};
  // Only a container's own cgroup, as the kernel named it: never a parent (a pod, kubepods)
  // and nothing outside the hierarchy.
  if (path.find("/..") != std::string::npos || !parse_container_cgroup(path)) {
    return Error{"cgroup " + path + " is not a container's"};
  }
  std::string d = root + path;
  if (access((d + "/" + control).c_str(), W_OK) != 0) {
    return Error{d + "/" + control + ": " + std::strerror(errno)};
  }
  return d;
}

Status CgroupControl::set_freezer(const std::string& freezer_path, const std::string& unified_path,
                                  bool frozen) const {
  // v1's freezer first: on a hybrid host it is the runtime's own (runc pause uses it), so the
  // state stays the one the runtime and crictl see.
  if (auto v1 = dir(freezer_path, mounts_.freezer, "freezer.state")) {
    const std::string want = frozen ? "FROZEN" : "THAWED";
    if (Status st = write_file(*v1 + "/freezer.state", want); !st) return st;
    // FREEZING until every task has stopped; reading the state also moves it on.
    if (!wait_for([&] { return read_file(*v1 + "/freezer.state").rfind(want, 0) == 0; })) {
      return Error{*v1 + " did not become " + want};
    }
    return {};
  }
  auto v2 = dir(unified_path, mounts_.unified, "cgroup.freeze");
  if (!v2) return Error{"no freezer for the container: " + v2.error()};
  if (Status st = write_file(*v2 + "/cgroup.freeze", frozen ? "1" : "0"); !st) return st;
  const std::string want = frozen ? "frozen 1" : "frozen 0";
  if (!wait_for(
          [&] { return read_file(*v2 + "/cgroup.events").find(want) != std::string::npos; })) {
    return Error{*v2 + " did not become " + want};
  }
  return {};
}

Status CgroupControl::freeze(const std::string& freezer_path,
                             const std::string& unified_path) const {
  return set_freezer(freezer_path, unified_path, true);
}

Status CgroupControl::thaw(const std::string& freezer_path, const std::string& unified_path) const {
  return set_freezer(freezer_path, unified_path, false);
}

Status CgroupControl::kill(const std::string& freezer_path, const std::string& unified_path) const {
  std::string members;
  if (dir(freezer_path, mounts_.freezer, "freezer.state")) {
    // cgroup v1 has no kill file: frozen members cannot fork or exit while they are listed
    // and signalled (so the list is complete and no pid is reused meanwhile); SIGKILL is
    // delivered to frozen tasks and acts as soon as they thaw.
    if (Status st = freeze(freezer_path, unified_path); !st) return st;
    members = mounts_.freezer + freezer_path;
    for (pid_t pid : procs(members)) ::kill(pid, SIGKILL);
    if (Status st = thaw(freezer_path, unified_path); !st) return st;
  } else {
    auto v2 = dir(unified_path, mounts_.unified, "cgroup.kill");  // kernel >= 5.14
    if (!v2) return Error{"cannot kill the container's cgroup: " + v2.error()};
    if (Status st = write_file(*v2 + "/cgroup.kill", "1"); !st) return st;
    members = *v2;
  }
  if (!wait_for([&] { return procs(members).empty(); })) {
    return Error{"processes are left in " + members};
  }
  return {};
}

}  // namespace riposte::detector
