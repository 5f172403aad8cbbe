#include "tests/support/nats_cluster.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace riposte::testing {

NatsCluster::NatsCluster(int nodes, bool monitor, bool shipped_auth) {
  std::vector<int> route_ports;
  for (int i = 0; i < nodes; ++i) route_ports.push_back(pick_free_port());
  std::string routes;
  for (int p : route_ports) routes += (routes.empty() ? "" : ", ") + std::string("nats-route://127.0.0.1:") + std::to_string(p);
  for (int i = 0; i < nodes; ++i) {
    NatsServerOptions o;
    o.name = "riposte-n" + std::to_string(i + 1);
    o.monitor = monitor;
    o.shipped_auth = shipped_auth;
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

int NatsCluster::stream_leader(const std::string& stream, int* replicas) {
  for (auto& n : nodes_) {
    if (!n->running() || n->monitor_port() == 0) continue;
    httplib::Client mon("127.0.0.1", n->monitor_port());
    auto res = mon.Get("/jsz?accounts=true&streams=true");
    if (!res || res->status != 200) continue;
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (!j.is_object()) continue;
    for (const auto& acct : j.value("account_details", nlohmann::json::array())) {
      for (const auto& s : acct.value("stream_detail", nlohmann::json::array())) {
        if (s.value("name", "") != stream || !s.contains("cluster")) continue;
        const auto& cl = s["cluster"];
        const std::string leader = cl.value("leader", "");
        if (leader.empty()) continue;
        // "replicas" lists the members other than the leader.
        if (replicas)
          *replicas = 1 + static_cast<int>(cl.value("replicas", nlohmann::json::array()).size());
        for (size_t i = 0; i < nodes_.size(); ++i) {
          if (nodes_[i]->name() == leader) return static_cast<int>(i);
        }
      }
    }
  }
  return -1;
}

}  // namespace riposte::testing
