// Three nats-servers with JetStream clustered on loopback (routes between them), for tests of
// replicated (R3) streams and of losing a node. Each node is a NatsServer with its own name,
// store and ports.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/nats_server.h"

namespace riposte::testing {

class NatsCluster {
 public:
  // monitor: each node serves its HTTP monitor (/jsz: which node leads which stream).
  // shipped_auth: see NatsServerOptions.
  explicit NatsCluster(int nodes = 3, bool monitor = false, bool shipped_auth = false);
  // Starts every node; ADD_FAILURE()s and returns false when one does not come up.
  bool start();
  NatsServer& node(int i) { return *nodes_.at(static_cast<size_t>(i)); }
  int size() const { return static_cast<int>(nodes_.size()); }
  // Every node's client URL, comma-separated: what clients get so they fail over.
  std::string urls() const;
  // The node leading stream, from the running nodes' monitoring endpoint (/jsz; needs
  // monitor): its index, or -1 while there is none. *replicas: the stream's replica count.
  int stream_leader(const std::string& stream, int* replicas = nullptr);

 private:
  std::vector<std::unique_ptr<NatsServer>> nodes_;
};

}  // namespace riposte::testing
