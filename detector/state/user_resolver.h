// user.name / group.name as the process sees them: from the passwd and group files inside the
// process's own root (a container's /etc/passwd, not the host's), cached per container so a
// busy container costs one read. Read at exec time, while /proc/<pid>/root still exists.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace riposte::detector {

class UserResolver {
 public:
  explicit UserResolver(std::string proc_root = "/proc", size_t max_roots = 4096);

  // root_key: the container's full id, or "" for the host. pid: a live process in that root.
  std::string user_name(const std::string& root_key, int64_t pid, uint32_t uid);
  std::string group_name(const std::string& root_key, int64_t pid, uint32_t gid);

 private:
  using Names = std::unordered_map<uint32_t, std::string>;
  struct Root {
    Names users, groups;
  };
  const Root& root(const std::string& key, int64_t pid);

  std::string proc_root_;
  size_t max_roots_;
  std::unordered_map<std::string, Root> roots_;
};

// Parses passwd/group format ("name:x:id:..."), exposed for tests.
std::unordered_map<uint32_t, std::string> parse_id_file(const std::string& content);

}  // namespace riposte::detector
