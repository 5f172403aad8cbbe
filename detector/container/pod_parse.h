// v1 Pod JSON -> PodRecord (name, namespace, labels, containers with runtime ids, images and
// privileged flags), for pod lists and watch events alike.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "detector/container/pod_source.h"

namespace riposte::detector {

// nullopt when the object has no uid.
std::optional<PodRecord> parse_pod(const nlohmann::json& pod);

struct PodList {
  bool ok = false;  // the body was a list
  std::unordered_map<std::string, PodRecord> pods;  // by UID
  std::string resource_version;  // metadata.resourceVersion, where a watch starts
};
PodList parse_pod_list(const std::string& body);

// "containerd://<id>" -> "<id>"
std::string strip_runtime_prefix(const std::string& container_id);

}  // namespace riposte::detector
