#include "detector/node_agent/forensics.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "detector/state/proc_file.h"

namespace riposte::detector {
namespace {

constexpr size_t kMaxString = 4096;  // one argument, one environment entry, one path
constexpr size_t kMaxList = 256;     // fds, sockets, environment entries, tree members
constexpr size_t kMaxTreeDepth = 64;
constexpr size_t kBudget = 128 * 1024;  // bytes of JSON, well below kMaxNodeActionReplyBytes

std::string cut(std::string s) {
  if (s.size() > kMaxString) s.resize(kMaxString);
  return s;
}

std::string read_file(const std::string& path, size_t max = 1 << 20) {
  return read_proc_file(path, max);
}

std::string read_link(const std::string& path) { return read_proc_link(path); }

// NUL-separated (cmdline, environ) as a list, cut.
nlohmann::json nul_list(const std::string& data, bool* truncated) {
  nlohmann::json out = nlohmann::json::array();
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\0', start);
    if (end == std::string::npos) end = data.size();
    if (out.size() == kMaxList) {
      *truncated = true;
      break;
    }
    out.push_back(cut(data.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

struct Stat {
  pid_t ppid = 0;
  std::string comm;
};

Stat read_stat(const std::string& root, pid_t pid) {
  Stat s;
  const std::string stat = read_file(root + "/" + std::to_string(pid) + "/stat", 4096);
  const auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return s;
  s.comm = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  rest >> state >> s.ppid;
  return s;
}

nlohmann::json member(const std::string& root, pid_t pid, const Stat& s) {
  bool cut_args = false;
  nlohmann::json cmdline =
      nul_list(read_file(root + "/" + std::to_string(pid) + "/cmdline", 64 * 1024), &cut_args);
  return {{"pid", pid},
          {"ppid", s.ppid},
          {"comm", s.comm},
          {"exe", cut(read_link(root + "/" + std::to_string(pid) + "/exe"))},
          {"cmdline", cmdline}};
}

// Sockets of the process's network namespace by inode: "proto local remote state".
std::map<std::string, nlohmann::json> sockets(const std::string& dir) {
  std::map<std::string, nlohmann::json> out;
  for (const char* proto : {"tcp", "tcp6", "udp", "udp6"}) {
    std::istringstream in(read_file(dir + "/net/" + proto));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line) && out.size() < 4 * kMaxList) {
      std::istringstream f(line);
      std::string sl, local, remote, st, queues, timer, retr, uid, timeout, inode;
      f >> sl >> local >> remote >> st >> queues >> timer >> retr >> uid >> timeout >> inode;
      if (!inode.empty()) {
        out[inode] = {{"proto", proto}, {"local", local}, {"remote", remote}, {"state", st}};
      }
    }
  }
  std::istringstream in(read_file(dir + "/net/unix"));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && out.size() < 8 * kMaxList) {
    std::istringstream f(line);
    std::string num, refs, proto, flags, type, st, inode, path;
    f >> num >> refs >> proto >> flags >> type >> st >> inode >> path;
    if (!inode.empty()) out[inode] = {{"proto", "unix"}, {"path", cut(path)}};
  }
  return out;
}

}  // namespace

std::string sha256_file(const std::string& path, uint64_t max_bytes, bool* truncated) {
  *truncated = false;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  uint64_t total = 0;
  ssize_t n;
  while ((n = read(fd, buf.data(), buf.size())) > 0) {
    const uint64_t take = std::min<uint64_t>(static_cast<uint64_t>(n), max_bytes - total);
    EVP_DigestUpdate(ctx.get(), buf.data(), take);
    total += take;
    if (total == max_bytes) {
      *truncated = true;
      break;
    }
  }
  close(fd);
  if (n < 0) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

nlohmann::json capture_process(const std::string& root, pid_t pid) {
  const std::string dir = root + "/" + std::to_string(pid);
  bool truncated = false;
  nlohmann::json j;
  const Stat self = read_stat(root, pid);
  j["process"] = member(root, pid, self);
  j["cwd"] = cut(read_link(dir + "/cwd"));
  j["environment"] = nul_list(read_file(dir + "/environ", 64 * 1024), &truncated);
  bool big = false;
  j["exe_sha256"] = sha256_file(dir + "/exe", kMaxHashedBytes, &big);
  if (big) j["exe_sha256_of_first_bytes"] = kMaxHashedBytes;

  // Ancestors up to init, then every descendant (one pass over /proc for the parent links).
  nlohmann::json ancestors = nlohmann::json::array();
  for (pid_t p = self.ppid; p > 0 && ancestors.size() < kMaxTreeDepth;) {
    const Stat s = read_stat(root, p);
    if (s.comm.empty()) break;
    ancestors.push_back(member(root, p, s));
    p = s.ppid;
  }
  j["ancestors"] = ancestors;
  std::multimap<pid_t, pid_t> children;
  if (DIR* d = opendir(root.c_str())) {
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      const long p = std::strtol(e->d_name, &end, 10);
      if (p <= 0 || *end != '\0') continue;
      children.emplace(read_stat(root, static_cast<pid_t>(p)).ppid, static_cast<pid_t>(p));
    }
    closedir(d);
  }
  nlohmann::json descendants = nlohmann::json::array();
  std::vector<pid_t> todo = {pid};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      if (descendants.size() == kMaxList) {
        truncated = true;
        break;
      }
      descendants.push_back(member(root, it->second, read_stat(root, it->second)));
      todo.push_back(it->second);
    }
  }
  j["descendants"] = descendants;

  // Open files; sockets resolved against the process's own network namespace.
  const auto socks = sockets(dir);
  nlohmann::json files = nlohmann::json::array(), open_sockets = nlohmann::json::array();
  if (DIR* d = opendir((dir + "/fd").c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::string target = read_link(dir + "/fd/" + e->d_name);
      if (target.rfind("socket:[", 0) == 0) {
        const std::string inode = target.substr(8, target.size() - 9);
        nlohmann::json s = {{"fd", std::atoi(e->d_name)}, {"inode", inode}};
        if (auto it = socks.find(inode); it != socks.end()) s.update(it->second);
        if (open_sockets.size() < kMaxList)
          open_sockets.push_back(s);
        else
          truncated = true;
      } else if (files.size() < kMaxList) {
        files.push_back({{"fd", std::atoi(e->d_name)}, {"path", cut(target)}});
      } else {
        truncated = true;
      }
    }
    closedir(d);
  }
  j["files"] = files;
  j["sockets"] = open_sockets;
  j["truncated"] = truncated;
  // Within budget whatever the process holds: the bulkiest parts go first.
  for (const char* part : {"descendants", "files", "sockets", "environment"}) {
    while (j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size() > kBudget &&
           !j[part].empty()) {
      j[part].erase(j[part].size() - 1);
      j["truncated"] = true;
    }
  }
  return j;
}

}  // namespace riposte::detector
