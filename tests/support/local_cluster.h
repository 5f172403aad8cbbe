// Access to the local control plane started by deploy/local/cluster.sh (the ctest fixture
// `cluster`): reads $RIPOSTE_LOCAL_DIR/env. Tests that need it fail loudly when it is absent.
#pragma once

#include <map>
#include <string>

namespace riposte::testing {

struct LocalCluster {
  std::string dir;         // RIPOSTE_LOCAL_DIR
  std::string kubeconfig;  // admin kubeconfig
  std::string server;      // https://127.0.0.1:PORT
  std::string ca_file;
  std::string nats_url;
  std::string node_name;
  std::map<std::string, std::string> env;
};

// Fails the current test (ADD_FAILURE) and returns false when the cluster is not up.
bool load_local_cluster(LocalCluster* out);

// Runs `kubectl <args>` against the cluster; returns stdout, sets *rc.
std::string kubectl(const LocalCluster& c, const std::string& args, int* rc = nullptr);

// Creates namespace ns and waits for its default ServiceAccount (pods are refused until the
// controller-manager made it); "" on success, else why not.
std::string create_namespace(const LocalCluster& c, const std::string& ns);

}  // namespace riposte::testing
