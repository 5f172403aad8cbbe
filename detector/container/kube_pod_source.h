// PodSource over the Kubernetes API: on a miss, lists the pods of this node (one request
// answers every pod the node runs) and indexes them by UID. Lists are spaced by
// min_relist so a stream of execs from an unknown pod cannot hammer the API server.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

#include "common/kube/kube_client.h"
#include "detector/container/pod_source.h"

namespace riposte::detector {

class KubePodSource final : public PodSource {
 public:
  using Clock = std::chrono::steady_clock;
  KubePodSource(kube::KubeClient* client, std::string node_name,
                Clock::duration min_relist = std::chrono::milliseconds(500));

  std::optional<PodRecord> lookup(const std::string& pod_uid) override;

 private:
  void relist();

  kube::KubeClient* client_;
  std::string node_name_;
  Clock::duration min_relist_;
  Clock::time_point last_list_{};
  std::unordered_map<std::string, PodRecord> pods_;
};

// Parses a v1 PodList body into records keyed by UID (exposed for tests).
std::unordered_map<std::string, PodRecord> parse_pod_list(const std::string& body);

}  // namespace riposte::detector
