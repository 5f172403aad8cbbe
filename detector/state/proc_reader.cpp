#include "detector/state/proc_reader.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "detector/state/environ.h"
#include "detector/state/proc_file.h"

namespace riposte::detector {
namespace {

std::string read_file(const std::string& path) { return read_proc_file(path); }

std::string read_link(const std::string& path) { return read_proc_link(path); }

template <typename T>
bool parse_num(std::string_view s, T* out, int base = 10) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return std::from_chars(s.data(), s.data() + s.size(), *out, base).ec == std::errc();
}

// "key:\tvalue" lines of /proc/<pid>/status.
std::string_view status_value(std::string_view status, std::string_view key) {
  size_t pos = 0;
  while (pos < status.size()) {
    size_t end = status.find('\n', pos);
    if (end == std::string_view::npos) end = status.size();
    std::string_view line = status.substr(pos, end - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      line.remove_prefix(key.size() + 1);
      while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
      return line;
    }
    pos = end + 1;
  }
  return {};
}

// The n-th whitespace-separated word (0-based).
std::string_view word(std::string_view s, size_t n) {
  size_t i = 0;
  while (true) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (n == 0 || j >= s.size()) return s.substr(i, j - i);
    --n;
    i = j;
  }
}

// The last word: NSpid lists the pid in each namespace, innermost last.
std::string_view last_word(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  size_t sp = s.find_last_of(" \t");
  return sp == std::string_view::npos ? s : s.substr(sp + 1);
}

// /proc/net address "0100007F:1F90" (IPv4, host-order u32) or 32 hex digits (IPv6, four
// host-order u32).
bool parse_net_addr(std::string_view s, IpAddr* ip, uint16_t* port) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view hex = s.substr(0, colon);
  if (!parse_num(s.substr(colon + 1), port, 16)) return false;
  if (hex.size() != 8 && hex.size() != 32) return false;
  ip->family = hex.size() == 8 ? 4 : 6;
  for (size_t w = 0; w < hex.size() / 8; ++w) {
    uint32_t v = 0;
    if (!parse_num(hex.substr(w * 8, 8), &v, 16)) return false;
    std::memcpy(ip->bytes.data() + w * 4, &v, 4);  // host order, as the kernel printed it
  }
  return true;
}

}  // namespace

ProcReader::ProcReader(std::string proc_root, int64_t boot_to_wall_ns)
    : proc_root_(std::move(proc_root)),
      boot_to_wall_ns_(boot_to_wall_ns),
      clock_ticks_(sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100) {}

std::vector<int64_t> ProcReader::list_pids() const {
  std::vector<int64_t> pids;
  DIR* d = opendir(proc_root_.c_str());
  if (!d) return pids;
  while (dirent* e = readdir(d)) {
    int64_t pid = 0;
    std::string_view name(e->d_name);
    if (!name.empty() && parse_num(name, &pid) && pid > 0 &&
        name.find_first_not_of("0123456789") == std::string_view::npos) {
      pids.push_back(pid);
    }
  }
  closedir(d);
  return pids;
}

ProcSnapshot ProcReader::read_process(int64_t pid) const {
  ProcSnapshot snap;
  if (pid <= 0) return snap;
  const std::string dir = proc_root_ + "/" + std::to_string(pid);
  const std::string status = read_file(dir + "/status");
  if (status.empty()) return snap;
  // A thread id also answers under /proc; only thread group leaders are processes.
  int64_t tgid = 0;
  if (parse_num(status_value(status, "Tgid"), &tgid) && tgid != pid) return snap;

  auto p = std::make_unique<ProcessInfo>();
  p->pid = p->tid = pid;
  p->name = std::string(status_value(status, "Name"));
  parse_num(status_value(status, "PPid"), &p->ppid);
  parse_num(word(status_value(status, "Uid"), 1), &p->uid);  // effective
  parse_num(word(status_value(status, "Gid"), 1), &p->gid);
  p->vpid = pid;
  parse_num(last_word(status_value(status, "NSpid")), &p->vpid);
  p->vtid = p->vpid;
  parse_num(status_value(status, "CapEff"), &p->cap_effective, 16);
  parse_num(status_value(status, "CapPrm"), &p->cap_permitted, 16);
  parse_num(status_value(status, "CapInh"), &p->cap_inheritable, 16);

  // stat: "pid (comm) state ppid pgrp session tty_nr ... starttime(22)"; comm may hold spaces.
  const std::string stat = read_file(dir + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren != std::string::npos && paren + 2 < stat.size()) {
    std::string_view rest = std::string_view(stat).substr(paren + 2);
    parse_num(word(rest, 2), &p->pgid);
    parse_num(word(rest, 3), &p->sid);
    parse_num(word(rest, 4), &p->tty);
    uint64_t ticks = 0;
    if (parse_num(word(rest, 19), &ticks)) {
      p->start_ns = static_cast<uint64_t>(
          static_cast<int64_t>(ticks * (1'000'000'000ull / static_cast<uint64_t>(clock_ticks_))) +
          boot_to_wall_ns_);
    }
  }
  parse_num(read_file(dir + "/loginuid"), &p->loginuid);

  const std::string cmdline = read_file(dir + "/cmdline");
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
  // proc.env as an exec record would have carried it (only when a rule reads it)
  if (read_env_) p->env = split_environ(read_proc_file(dir + "/environ", kEnvBytes));
  p->exepath = read_link(dir + "/exe");
  if (p->exepath.ends_with(" (deleted)")) p->exepath.resize(p->exepath.size() - 10);
  p->cwd = read_link(dir + "/cwd");

  std::istringstream cg(read_file(dir + "/cgroup"));
  std::string line;
  while (std::getline(cg, line)) {
    // "0::/path" (v2) or "4:cpu,cpuacct:/path" (v1)
    const size_t c1 = line.find(':');
    const size_t c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    const std::string_view controllers = std::string_view(line).substr(c1 + 1, c2 - c1 - 1);
    if (line.compare(0, c1, "0") == 0 && controllers.empty()) {
      snap.cgroup_v2 = line.substr(c2 + 1);
    } else {
      std::string_view list = controllers;
      while (!list.empty()) {
        const size_t comma = list.find(',');
        if (list.substr(0, comma) == "cpu") snap.cgroup_v1 = line.substr(c2 + 1);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
  }
  snap.info = std::move(p);
  return snap;
}

void ProcReader::read_fds(int64_t pid, FdTable* fds) const {
  const std::string dir = proc_root_ + "/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    int64_t num = 0;
    if (e->d_name[0] == '.' || !parse_num(e->d_name, &num)) continue;
    const std::string path = dir + "/" + e->d_name;
    const std::string link = read_link(path);
    if (link.empty()) continue;
    FdInfo* fd = fds->put(num);
    if (!fd) continue;
    struct stat st;
    if (stat(path.c_str(), &st) == 0) {
      fd->ino = st.st_ino;
      fd->dev = st.st_dev;
    }
    if (link.front() == '/') {
      fd->type = anon_fd_type(link) == FdType::kMemfd ? FdType::kMemfd : FdType::kFile;
      fd->name = link;
    } else if (link.starts_with("socket:[")) {
      uint64_t ino = 0;
      parse_num(std::string_view(link).substr(8), &ino);
      fill_socket(pid, ino, fd);
    } else {
      fd->type = anon_fd_type(link);
      fd->name = link;
    }
  }
  closedir(d);
}

const ProcReader::SocketTable& ProcReader::sockets_of(int64_t pid) const {
  const std::string base = proc_root_ + "/" + std::to_string(pid);
  const std::string netns = read_link(base + "/ns/net");
  auto [it, fresh] = sockets_.try_emplace(netns);
  if (!fresh) return it->second;
  SocketTable& table = it->second;
  struct Source {
    const char* file;
    uint8_t l4proto;
  };
  for (const Source& src : {Source{"tcp", IPPROTO_TCP}, Source{"tcp6", IPPROTO_TCP},
                            Source{"udp", IPPROTO_UDP}, Source{"udp6", IPPROTO_UDP}}) {
    std::istringstream in(read_file(base + "/net/" + src.file));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      Socket s;
      uint64_t ino = 0;
      if (!parse_net_addr(word(line, 1), &s.local, &s.lport) ||
          !parse_net_addr(word(line, 2), &s.remote, &s.rport) || !parse_num(word(line, 9), &ino)) {
        continue;
      }
      s.type = s.local.family == 6 ? FdType::kIpv6 : FdType::kIpv4;
      s.l4proto = src.l4proto;
      constexpr std::string_view kListen = "0A";  // TCP_LISTEN, as the kernel prints st
      if (src.l4proto == IPPROTO_TCP && word(line, 3) == kListen) table.tcp_listening.insert(s.lport);
      table.by_inode.emplace(ino, std::move(s));
    }
  }
  std::istringstream in(read_file(base + "/net/unix"));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    // Num RefCount Protocol Flags Type St Inode [Path]
    Socket s;
    uint64_t ino = 0;
    if (!parse_num(word(line, 6), &ino)) continue;
    s.type = FdType::kUnix;
    s.path = std::string(word(line, 7));
    table.by_inode.emplace(ino, std::move(s));
  }
  return table;
}

void ProcReader::fill_socket(int64_t pid, uint64_t ino, FdInfo* fd) const {
  const SocketTable& table = sockets_of(pid);
  auto it = table.by_inode.find(ino);
  if (it == table.by_inode.end()) {
    fd->type = FdType::kUnknown;
    return;
  }
  const Socket& s = it->second;
  fd->type = s.type;
  if (s.type == FdType::kUnix) {
    fd->name = s.path;
    return;
  }
  fd->l4proto = s.l4proto;
  // /proc does not say which side connected. A TCP connection on a port something listens on
  // in its network namespace was accepted (local side = server); any other is taken as
  // outbound (local side = client), as is every UDP socket.
  const bool accepted = s.l4proto == IPPROTO_TCP && s.rport != 0 && table.tcp_listening.count(s.lport) > 0;
  set_socket_ends(fd, s.local, s.lport, s.remote, s.rport, accepted);
  fd->connected = s.rport != 0;
  format_socket_name(*fd, &fd->name);
}

bool ProcReader::read_fd_path(int64_t pid, int64_t fd, uint64_t ino, std::string* out) const {
  char buf[4096];
  const std::string link = proc_root_ + "/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  const ssize_t n = readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || buf[0] != '/') return false;
  struct stat st;
  if (ino != 0 && (stat(link.c_str(), &st) != 0 || st.st_ino != ino)) return false;
  out->assign(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace riposte::detector
