#include "detector/container/cgroup.h"

#include <algorithm>
#include <array>
#include <vector>

namespace riposte::detector {
namespace {

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool consume_prefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool consume_suffix(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

// Pod UIDs are RFC 4122 strings; the systemd driver writes them with '_' for '-'.
std::optional<std::string> normalize_pod_uid(std::string_view raw) {
  std::string uid(raw);
  std::replace(uid.begin(), uid.end(), '_', '-');
  if (uid.size() != 36) return std::nullopt;
  for (size_t i = 0; i < uid.size(); ++i) {
    const bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = uid[i];
    if (dash_pos != (c == '-')) return std::nullopt;
    if (!dash_pos && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return uid;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

struct ScopeRuntime {
  std::string_view prefix;
  std::string_view runtime;
};
// crio-conmon-<id>.scope is CRI-O's monitor process, never the container: it has no entry
// here and its "crio-conmon-" prefix fails the 64-hex check after "crio-".
constexpr std::array<ScopeRuntime, 4> kScopeRuntimes = {{
    {"cri-containerd-", "containerd"},
    {"crio-", "cri-o"},
    {"docker-", "docker"},
    {"libpod-", "podman"},
}};

// "<runtime>-<id>.scope" (systemd) or "crio-<id>" / "<id>" (cgroupfs).
std::optional<CgroupContainer> parse_container_leaf(std::string_view leaf, bool systemd) {
  std::string_view s = leaf;
  if (systemd && !consume_suffix(&s, ".scope")) return std::nullopt;
  for (const auto& rt : kScopeRuntimes) {
    std::string_view id = s;
    if (consume_prefix(&id, rt.prefix) && is_hex64(id)) {
      return CgroupContainer{std::string(rt.runtime), std::string(id), {}, {}};
    }
  }
  if (!systemd && is_hex64(s)) return CgroupContainer{"containerd", std::string(s), {}, {}};
  return std::nullopt;
}

constexpr std::array<std::string_view, 3> kQos = {"guaranteed", "burstable", "besteffort"};

}  // namespace

std::optional<CgroupContainer> parse_container_cgroup(std::string_view path) {
  const auto parts = split_path(path);
  // Find the kubepods root; everything before it is a parent hierarchy we do not care about.
  for (size_t k = 0; k < parts.size(); ++k) {
    std::string_view root = parts[k];
    const bool systemd_root = root == "kubepods.slice" || root.ends_with("-kubepods.slice");
    const bool cgroupfs_root = root == "kubepods";
    if (!systemd_root && !cgroupfs_root) continue;
    // Layout after the root: [qos level] pod level, container level, and nothing more.
    size_t i = k + 1;
    std::string qos;
    std::string pod_uid;
    if (i < parts.size()) {
      std::string_view p = parts[i];
      for (auto q : kQos) {
        if (cgroupfs_root ? p == q
                          : (p.ends_with(std::string("kubepods-") + std::string(q) + ".slice"))) {
          qos = std::string(q);
          ++i;
          break;
        }
      }
    }
    if (i >= parts.size()) return std::nullopt;
    {
      std::string_view p = parts[i];
      std::string_view raw;
      if (cgroupfs_root) {
        raw = p;
        if (!consume_prefix(&raw, "pod")) return std::nullopt;
      } else {
        if (!consume_suffix(&p, ".slice")) return std::nullopt;
        auto pos = p.rfind("-pod");
        if (pos == std::string_view::npos) return std::nullopt;
        raw = p.substr(pos + 4);
      }
      auto uid = normalize_pod_uid(raw);
      if (!uid) return std::nullopt;
      pod_uid = *uid;
      ++i;
    }
    // A process in the pod cgroup itself (or deeper than a container) is not a container.
    if (i + 1 != parts.size()) return std::nullopt;
    auto c = parse_container_leaf(parts[i], systemd_root);
    if (!c) return std::nullopt;
    c->pod_uid = std::move(pod_uid);
    c->qos = qos.empty() ? "guaranteed" : qos;
    return c;
  }
  // Containers outside Kubernetes, as Falco reports them (container.id set, no pod).
  if (parts.size() >= 2 && parts[parts.size() - 2] == "docker" && is_hex64(parts.back())) {
    return CgroupContainer{"docker", std::string(parts.back()), {}, {}};
  }
  if (!parts.empty()) {
    if (auto c = parse_container_leaf(parts.back(), true)) return c;
  }
  return std::nullopt;
}

}  // namespace riposte::detector
