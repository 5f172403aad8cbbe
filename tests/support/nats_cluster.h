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
  explicit NatsCluster(int nodes = 3);
  // Starts every node; ADD_FAILURE()s and returns false when one does not come up.
  bool start();
  NatsServer& node(int i) { return *nodes_.at(static_cast<size_t>(i)); }
  int size() const { return static_cast<int>(nodes_.size()); }
  // Every node's client URL, comma-separated: what clients get so they fail over.
  std::string urls() const;

 private:
  std::vector<std::unique_ptr<NatsServer>> nodes_;
};

}  // namespace riposte::testing
