#include "responder/playbook/playbook.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "responder/actions/target.h"
#include "responder/playbook/parser.h"

namespace riposte::playbook {
namespace {

bool is_playbook_file(const std::filesystem::path& p) {
  return p.extension() == ".yaml" || p.extension() == ".yml";
}

void load_file(const std::string& path, const actions::ActionRegistry& registry,
               std::map<std::string, std::string>* seen, LoadResult* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out->errors.push_back({path, 0, 0, std::string("cannot read: ") + std::strerror(errno)});
    return;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  detail::Parser(path, registry, seen, out).parse(buf.str());
}

void load_path(const std::string& path, const actions::ActionRegistry& registry,
               std::map<std::string, std::string>* seen, LoadResult* out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::filesystem::directory_iterator it(path, ec);
    if (ec) out->errors.push_back({path, 0, 0, "cannot list: " + ec.message()});
  }
  for (const auto& f : playbook_files(path)) load_file(f, registry, seen, out);
}

}  // namespace

std::string Diagnostic::str() const {
  std::string pos = file;
  if (line > 0) pos += ":" + std::to_string(line) + ":" + std::to_string(column);
  return pos + ": error: " + message;
}

std::string LoadResult::error_text() const {
  std::string out;
  for (const auto& d : errors) out += (out.empty() ? "" : "\n") + d.str();
  return out;
}

std::vector<std::string> playbook_files(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    // Kubernetes mounts ConfigMaps as symlinks into a hidden ..data directory: follow them,
    // skip the hidden entries.
    if (entry.path().filename().string().front() == '.') continue;
    if (entry.is_regular_file() && is_playbook_file(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string playbook_files_fingerprint(const std::vector<std::string>& paths) {
  std::string fp;
  for (const auto& path : paths) {
    for (const auto& f : playbook_files(path)) {
      struct stat st {};
      fp += f;
      if (::stat(f.c_str(), &st) == 0) {
        fp += ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
              std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino);
      }
      fp += "\n";
    }
  }
  return fp;
}

LoadResult parse_playbooks(std::string_view yaml, const std::string& file_name,
                           const actions::ActionRegistry& registry) {
  LoadResult out;
  std::map<std::string, std::string> seen;
  detail::Parser(file_name, registry, &seen, &out).parse(yaml);
  return out;
}

LoadResult load_playbooks(const std::string& path, const actions::ActionRegistry& registry) {
  return load_playbooks(std::vector<std::string>{path}, registry);
}

LoadResult load_playbooks(const std::vector<std::string>& paths,
                          const actions::ActionRegistry& registry) {
  LoadResult out;
  std::map<std::string, std::string> seen;
  for (const auto& p : paths) load_path(p, registry, &seen, &out);
  if (out.ok() && out.playbooks.empty()) {
    std::string where;
    for (const auto& p : paths) where += (where.empty() ? "" : ", ") + p;
    out.errors.push_back({where, 0, 0, "no playbooks found"});
  }
  return out;
}

Result<std::string> cooldown_target(const Cooldown& cooldown, const Alert& alert) {
  if (cooldown.key) return cooldown.key->render(alert);
  std::string ns, pod;
  if (alert.field_string(actions::kNamespaceField, &ns) &&
      alert.field_string(actions::kPodNameField, &pod)) {
    return "pod/" + ns + "/" + pod;
  }
  return "host/" + alert.hostname;
}

}  // namespace riposte::playbook
