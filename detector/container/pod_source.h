// Where the detector learns which pod a pod UID is (name, namespace, labels) and what its
// containers are (name, image, privileged). The real source watches the pods of this node in
// the Kubernetes API (kube_pod_watcher.h); tests use a fake. Implementations are called from
// the event thread and must be thread-safe against their own background updates.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "detector/event/event.h"

namespace riposte::detector {

struct PodContainer {
  std::string id;  // 64 hex digits from status.containerStatuses[].containerID; may be empty
  std::string name;
  std::string image;
  bool privileged = false;
};

struct PodRecord {
  std::shared_ptr<const PodInfo> pod;
  std::vector<PodContainer> containers;
};

class PodSource {
 public:
  virtual ~PodSource() = default;
  // nullopt when the pod is unknown (yet): callers may ask again later.
  virtual std::optional<PodRecord> lookup(const std::string& pod_uid) = 0;
  // The pod running a container, by its 64-hex runtime id (for cgroup layouts that carry no
  // pod UID). nullopt when unknown.
  virtual std::optional<PodRecord> lookup_container(const std::string& /*container_id*/) {
    return std::nullopt;
  }
};

}  // namespace riposte::detector
