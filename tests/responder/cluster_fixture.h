// A test against the real kube-apiserver of the local control plane (deploy/local/cluster.sh,
// ctest fixture `cluster`): each test gets its own namespace, an admin client to set up and
// read back, and a client authenticated as riposte-responder, the ServiceAccount bound to
// exactly deploy/rbac/responder-clusterrole.yaml, to run actions with.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "responder/actions/action.h"
#include "tests/support/local_cluster.h"

namespace riposte::testing {

class ClusterFixture : public ::testing::Test {
 protected:
  using json = nlohmann::json;

  void SetUp() override;
  void TearDown() override;

  static std::unique_ptr<kube::HttpKubeClient> client(const kube::KubeConfig& c);

  // POSTs an object and returns what the server stored. Retries for a while on 403/404: a
  // fresh namespace's default ServiceAccount (which pod admission needs) appears only once
  // the controller-manager has created it.
  Result<json> create(const std::string& path, const json& body);
  // GET with the admin client: the object, or null on 404.
  json get(const std::string& path);
  int status_of(const std::string& path);
  bool gone_within(const std::string& path, std::chrono::seconds limit);
  // Polls pred (every 200 ms) until it holds or the limit passes.
  static bool eventually(const std::function<bool()>& pred,
                         std::chrono::seconds limit = std::chrono::seconds(60));

  std::string pod_path(const std::string& name) const {
    return "/api/v1/namespaces/" + ns_ + "/pods/" + name;
  }
  std::string apps_path(const std::string& resource, const std::string& name = "") const {
    return "/apis/apps/v1/namespaces/" + ns_ + "/" + resource + (name.empty() ? "" : "/" + name);
  }

  // A pod bound to `node` (default: the cluster's kwok node), so it is a realistic Running
  // pod; returns its uid.
  std::string create_pod(const std::string& name, const std::string& node = "",
                         const json& labels = {{"app", "web"}});
  // A Deployment of `replicas` pause pods, scheduled onto nodes labelled
  // riposte.dev/test-node=<node_label> when given.
  void create_deployment(const std::string& name, int replicas,
                         const std::string& node_label = "");
  // Names of the namespace's pods matching the label selector ("" for all) that are not
  // being deleted.
  std::vector<std::string> live_pods(const std::string& selector = "");
  // Waits until the Deployment reports `ready` ready replicas.
  bool deployment_ready(const std::string& name, int ready);

  // A second fake node managed by kwok (labelled riposte.dev/test-node=<name>), deleted in
  // TearDown, so node actions never touch the shared riposte-node-0.
  std::string create_node();

  // Runs an action as the responder's ServiceAccount (or `kube` when given).
  actions::ActionResult run(std::string_view action, const std::string& params_yaml,
                            const Alert& alert, bool dry_run = false,
                            kube::KubeClient* kube = nullptr);

  static std::string random_suffix();

  LocalCluster cluster_;
  kube::KubeConfig config_;
  std::unique_ptr<kube::HttpKubeClient> kube_;  // admin (system:masters)
  std::unique_ptr<kube::HttpKubeClient> responder_;  // riposte-responder's token
  kube::KubeConfig responder_config_;
  std::string ns_;
  std::vector<std::string> nodes_;  // created by create_node()
};

}  // namespace riposte::testing
