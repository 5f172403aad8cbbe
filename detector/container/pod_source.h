// Where the detector learns which pod a pod UID is (name, namespace, labels) and what its
// containers are (name, image, privileged). The real source asks the Kubernetes API for the
// pods of this node; tests use a fake.
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
};

}  // namespace riposte::detector
