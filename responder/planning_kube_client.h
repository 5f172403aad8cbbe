// A KubeClient for planning without a cluster (`riposte playbook test`): reads are answered
// from the alert (its pod, with spec.nodeName from k8s.node.name or the alert's hostname and
// an owner chain Pod -> ReplicaSet -> Deployment guessed from the pod's name, as a
// Deployment names its pods), writes are recorded and answered 200. Run the engine in
// dry-run with it: actions then make the reads they need and report the exact writes they
// would send.
#pragma once

#include <mutex>
#include <vector>

#include "common/alert.h"
#include "common/kube/kube_client.h"

namespace riposte::responder {

class PlanningKubeClient : public kube::KubeClient {
 public:
  explicit PlanningKubeClient(const Alert& alert) : alert_(alert) {}
  Result<kube::KubeResponse> request(const kube::KubeRequest& request) override;
  // Every request seen, in order ("GET /api/v1/namespaces/shop/pods/web-1").
  std::vector<std::string> seen() const;

 private:
  Result<kube::KubeResponse> answer_get(const kube::KubeRequest& request) const;

  Alert alert_;
  mutable std::mutex mu_;
  std::vector<std::string> seen_;
};

}  // namespace riposte::responder
