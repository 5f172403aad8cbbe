#include "detector/state/user_resolver.h"

#include <fstream>
#include <iterator>
#include <sstream>

namespace riposte::detector {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string lookup(const std::unordered_map<uint32_t, std::string>& names, uint32_t id) {
  auto it = names.find(id);
  if (it != names.end()) return it->second;
  return id == 0 ? "root" : "";  // uid 0 is root even in an image with no passwd file
}

}  // namespace

std::unordered_map<uint32_t, std::string> parse_id_file(const std::string& content) {
  std::unordered_map<uint32_t, std::string> out;
  std::istringstream in(content);
  std::string line;
  while (std::getline(in, line)) {
    auto c1 = line.find(':');
    if (c1 == std::string::npos || c1 == 0) continue;
    auto c2 = line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    auto c3 = line.find(':', c2 + 1);
    const std::string id = line.substr(c2 + 1, c3 == std::string::npos ? std::string::npos : c3 - c2 - 1);
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos || id.size() > 10) {
      continue;
    }
    out.emplace(static_cast<uint32_t>(std::stoull(id)), line.substr(0, c1));
  }
  return out;
}

UserResolver::UserResolver(std::string proc_root, size_t max_roots)
    : proc_root_(std::move(proc_root)), max_roots_(max_roots) {}

const UserResolver::Root& UserResolver::root(const std::string& key, int64_t pid) {
  if (auto it = roots_.find(key); it != roots_.end()) return it->second;
  if (roots_.size() >= max_roots_) roots_.clear();
  const std::string base =
      key.empty() ? std::string() : proc_root_ + "/" + std::to_string(pid) + "/root";
  Root r{parse_id_file(slurp(base + "/etc/passwd")), parse_id_file(slurp(base + "/etc/group"))};
  // An unreadable root (the process already exited) is not remembered: the next process of
  // that container gets another chance.
  static const Root kNone;
  if (r.users.empty()) return kNone;
  return roots_.emplace(key, std::move(r)).first->second;
}

std::string UserResolver::user_name(const std::string& root_key, int64_t pid, uint32_t uid) {
  return lookup(root(root_key, pid).users, uid);
}

std::string UserResolver::group_name(const std::string& root_key, int64_t pid, uint32_t gid) {
  return lookup(root(root_key, pid).groups, gid);
}

}  // namespace riposte::detector
