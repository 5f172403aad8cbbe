#include "tests/support/nats_cluster.h"

namespace riposte::testing {

NatsCluster::NatsCluster(int nodes) {
  std::vector<int> route_ports;
  for (int i = 0; i < nodes; ++i) route_ports.push_back(pick_free_port());
  std::string routes;
  for (int p : route_ports) routes += (routes.empty() ? "" : ", ") + std::string("nats-route://127.0.0.1:") + std::to_string(p);
  for (int i = 0; i < nodes; ++i) {
    NatsServerOptions o;
    o.name = "riposte-n" + std::to_string(i + 1);
    o.config = "cluster {\n  name: riposte\n  listen: 127.0.0.1:" +
               std::to_string(route_ports[static_cast<size_t>(i)]) + "\n  routes: [" + routes +
               "]\n}\n";
    nodes_.push_back(std::make_unique<NatsServer>(o));
  }
}

bool NatsCluster::start() {
  for (auto& n : nodes_) {
    if (!n->start()) return false;
  }
  return true;
}

std::string NatsCluster::urls() const {
  std::string out;
  for (const auto& n : nodes_) out += (out.empty() ? "" : ",") + n->url();
  return out;
}

}  // namespace riposte::testing
