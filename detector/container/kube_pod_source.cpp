#include "detector/container/kube_pod_source.h"

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace riposte::detector {
namespace {

std::string strip_runtime_prefix(const std::string& container_id) {
  // "containerd://<id>", "cri-o://<id>", "docker://<id>"
  auto pos = container_id.find("://");
  return pos == std::string::npos ? container_id : container_id.substr(pos + 3);
}

}  // namespace

std::unordered_map<std::string, PodRecord> parse_pod_list(const std::string& body) {
  std::unordered_map<std::string, PodRecord> out;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("items") || !j["items"].is_array()) return out;
  for (const auto& item : j["items"]) {
    const auto& meta = item.value("metadata", nlohmann::json::object());
    auto pod = std::make_shared<PodInfo>();
    pod->uid = meta.value("uid", "");
    pod->name = meta.value("name", "");
    pod->ns = meta.value("namespace", "");
    if (pod->uid.empty()) continue;
    if (auto labels = meta.find("labels"); labels != meta.end() && labels->is_object()) {
      for (const auto& [k, v] : labels->items()) {
        if (v.is_string()) pod->labels.emplace_back(k, v.get<std::string>());
      }
    }
    PodRecord rec;
    rec.pod = pod;
    const auto& spec = item.value("spec", nlohmann::json::object());
    std::unordered_map<std::string, std::string> ids;
    const auto& status = item.value("status", nlohmann::json::object());
    for (const char* key : {"containerStatuses", "initContainerStatuses"}) {
      if (auto cs = status.find(key); cs != status.end() && cs->is_array()) {
        for (const auto& s : *cs) {
          ids[s.value("name", "")] = strip_runtime_prefix(s.value("containerID", ""));
        }
      }
    }
    for (const char* key : {"containers", "initContainers"}) {
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
    out.emplace(pod->uid, std::move(rec));
  }
  return out;
}

KubePodSource::KubePodSource(kube::KubeClient* client, std::string node_name,
                             Clock::duration min_relist)
    : client_(client), node_name_(std::move(node_name)), min_relist_(min_relist) {}

std::optional<PodRecord> KubePodSource::lookup(const std::string& pod_uid) {
  if (auto it = pods_.find(pod_uid); it != pods_.end()) return it->second;
  if (Clock::now() - last_list_ < min_relist_) return std::nullopt;
  relist();
  if (auto it = pods_.find(pod_uid); it != pods_.end()) return it->second;
  return std::nullopt;
}

void KubePodSource::relist() {
  last_list_ = Clock::now();
  kube::KubeRequest req{.method = "GET", .path = "/api/v1/pods"};
  if (!node_name_.empty()) req.query.emplace_back("fieldSelector", "spec.nodeName=" + node_name_);
  auto resp = client_->request(req);
  if (!resp) {
    log::warn("pod list failed", {{"error", resp.error()}});
    return;
  }
  if (auto err = kube::classify(*resp)) {
    log::warn("pod list failed", {{"error", err->describe()}});
    return;
  }
  pods_ = parse_pod_list(resp->body);
  log::debug("pods listed", {{"node", node_name_}, {"pods", pods_.size()}});
}

}  // namespace riposte::detector
