#include "detector/container/pod_parse.h"

#include <nlohmann/json.hpp>

namespace riposte::detector {

std::string strip_runtime_prefix(const std::string& container_id) {
  auto pos = container_id.find("://");
  return pos == std::string::npos ? container_id : container_id.substr(pos + 3);
}

std::optional<PodRecord> parse_pod(const nlohmann::json& item) {
  if (!item.is_object()) return std::nullopt;
  const auto& meta = item.value("metadata", nlohmann::json::object());
  auto pod = std::make_shared<PodInfo>();
  pod->uid = meta.value("uid", "");
  pod->name = meta.value("name", "");
  pod->ns = meta.value("namespace", "");
  if (pod->uid.empty()) return std::nullopt;
  if (auto labels = meta.find("labels"); labels != meta.end() && labels->is_object()) {
    for (const auto& [k, v] : labels->items()) {
      if (v.is_string()) pod->labels.emplace_back(k, v.get<std::string>());
    }
  }
  PodRecord rec;
  rec.pod = pod;
  const auto& spec = item.value("spec", nlohmann::json::object());
  const auto& status = item.value("status", nlohmann::json::object());
  std::unordered_map<std::string, std::string> ids;
  for (const char* key : {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
    if (auto cs = status.find(key); cs != status.end() && cs->is_array()) {
      for (const auto& s : *cs) {
        ids[s.value("name", "")] = strip_runtime_prefix(s.value("containerID", ""));
      }
    }
  }
  for (const char* key : {"containers", "initContainers", "ephemeralContainers"}) {
    if (auto cs = spec.find(key); cs != spec.end() && cs->is_array()) {
      for (const auto& c : *cs) {
        PodContainer pc;
        pc.name = c.value("name", "");
        pc.image = c.value("image", "");
        if (auto sc = c.find("securityContext"); sc != c.end() && sc->is_object()) {
          pc.privileged = sc->value("privileged", false);
        }
        pc.id = ids[pc.name];
        rec.containers.push_back(std::move(pc));
      }
    }
  }
  return rec;
}

PodList parse_pod_list(const std::string& body) {
  PodList out;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("items") || !j["items"].is_array()) return out;
  out.ok = true;
  if (auto meta = j.find("metadata"); meta != j.end() && meta->is_object()) {
    out.resource_version = meta->value("resourceVersion", "");
  }
  for (const auto& item : j["items"]) {
    if (auto rec = parse_pod(item)) out.pods.emplace(rec->pod->uid, std::move(*rec));
  }
  return out;
}

}  // namespace riposte::detector
