#include "detector/state/process_table.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

namespace riposte::detector {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

ProcessTable::ProcessTable(size_t max_entries, std::string proc_root)
    : max_entries_(max_entries), proc_root_(std::move(proc_root)) {}

ProcessInfo* ProcessTable::insert(int64_t pid, std::unique_ptr<ProcessInfo> info) const {
  if (auto it = entries_.find(pid); it != entries_.end()) {
    ages_.erase(it->second.age);
    entries_.erase(it);
  }
  while (entries_.size() >= max_entries_ && !ages_.empty()) {
    entries_.erase(ages_.front());
    ages_.pop_front();
  }
  ages_.push_back(pid);
  auto* raw = info.get();
  entries_.emplace(pid, Entry{std::move(info), std::prev(ages_.end())});
  return raw;
}

ProcessInfo* ProcessTable::on_exec(const ExecRecord& rec, uint64_t wall_ns,
                                         std::shared_ptr<const ContainerInfo> container) {
  auto p = std::make_unique<ProcessInfo>();
  p->pid = rec.pid;
  p->tid = rec.tid;
  p->ppid = rec.ppid;
  p->vpid = rec.vpid;
  p->vtid = rec.vpid;
  p->uid = rec.uid;
  p->gid = rec.gid;
  p->loginuid = rec.loginuid;
  p->tty = rec.tty;
  p->name = rec.comm;
  p->exepath = rec.filename;
  p->exe = rec.argv.empty() ? rec.filename : rec.argv[0];
  if (rec.argv.size() > 1) p->args.assign(rec.argv.begin() + 1, rec.argv.end());
  p->start_ns = wall_ns;
  p->cap_effective = rec.cap_effective;
  p->container = std::move(container);
  return insert(rec.pid, std::move(p));
}

void ProcessTable::on_exit(int64_t pid) {
  if (auto it = entries_.find(pid); it != entries_.end()) {
    ages_.erase(it->second.age);
    entries_.erase(it);
  }
}

const ProcessInfo* ProcessTable::find(int64_t pid) const {
  if (pid <= 0) return nullptr;
  if (auto it = entries_.find(pid); it != entries_.end()) return it->second.info.get();
  auto info = read_proc(pid);
  if (!info) return nullptr;
  return insert(pid, std::move(info));
}

std::unique_ptr<ProcessInfo> ProcessTable::read_proc(int64_t pid) const {
  const std::string dir = proc_root_ + "/" + std::to_string(pid);
  std::ifstream status(dir + "/status");
  if (!status) return nullptr;
  auto p = std::make_unique<ProcessInfo>();
  p->pid = p->tid = p->vpid = p->vtid = pid;
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream in(line.substr(line.find(':') + 1));
    if (line.rfind("Name:", 0) == 0) {
      in >> p->name;
    } else if (line.rfind("PPid:", 0) == 0) {
      in >> p->ppid;
    } else if (line.rfind("Uid:", 0) == 0) {
      in >> p->uid;
    } else if (line.rfind("Gid:", 0) == 0) {
      in >> p->gid;
    }
  }
  std::string cmdline = read_file(dir + "/cmdline");
  size_t start = 0;
  bool first = true;
  while (start < cmdline.size()) {
    size_t end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    std::string arg = cmdline.substr(start, end - start);
    if (first) {
      p->exe = std::move(arg);
      first = false;
    } else {
      p->args.push_back(std::move(arg));
    }
    start = end + 1;
  }
  char buf[4096];
  ssize_t n = readlink((dir + "/exe").c_str(), buf, sizeof buf);
  if (n > 0) p->exepath.assign(buf, static_cast<size_t>(n));
  n = readlink((dir + "/cwd").c_str(), buf, sizeof buf);
  if (n > 0) p->cwd.assign(buf, static_cast<size_t>(n));
  return p;
}

}  // namespace riposte::detector
