// Access to the local control plane started by deploy/local/cluster.sh (the ctest fixture
// `cluster`): reads $RIPOSTE_LOCAL_DIR/env. Tests that need it fail loudly when it is absent.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/nats.h"

namespace riposte::testing {

struct LocalCluster {
  std::string dir;         // RIPOSTE_LOCAL_DIR
  std::string kubeconfig;  // admin kubeconfig
  std::string server;      // https://127.0.0.1:PORT
  std::string ca_file;
  std::string nats_url;  // tls://: the shipped NATS configuration (deploy/local/cluster.sh)
  std::string nats_ca;   // verifies the NATS server's certificate
  std::string nats_tls_hostname;  // the certificate's name, when the URL's host is not it
  std::string node_name;
  std::map<std::string, std::string> env;

  // The shipped NATS identity of a component ("detector" or "responder"): its user, its
  // password file from the cluster's state dir, the CA. As daemon flags, and as the options
  // of a connection with exactly that component's rights.
  std::vector<std::string> nats_flags(const std::string& component) const;
  nats::Options nats_options(const std::string& component, const std::string& name) const;
};

// Fails the current test (ADD_FAILURE) and returns false when the cluster is not up.
bool load_local_cluster(LocalCluster* out);

// Runs `kubectl <args>` against the cluster; returns stdout, sets *rc.
std::string kubectl(const LocalCluster& c, const std::string& args, int* rc = nullptr);

// Creates namespace ns and waits for its default ServiceAccount (pods are refused until the
// controller-manager made it); "" on success, else why not.
std::string create_namespace(const LocalCluster& c, const std::string& ns);

}  // namespace riposte::testing
