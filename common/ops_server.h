// The operations HTTP endpoint every daemon serves for Kubernetes probes and Prometheus:
//   GET /livez   -> 200 "ok" while the process serves HTTP at all
//   GET /readyz  -> 200 when every check passes, else 503; kube-apiserver's verbose format
//   GET /metrics -> the registry in Prometheus text format 0.0.4
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/result.h"

namespace httplib {
class Server;
}

namespace riposte {

struct ReadyCheck {
  std::string name;
  bool ok = false;
  std::string detail;  // why it failed; shown after "failed: "
};

class OpsServer {
 public:
  // ready runs on every /readyz request (on an HTTP worker thread); keep it cheap.
  OpsServer(std::string host, int port, const Registry& registry,
            std::function<std::vector<ReadyCheck>()> ready);
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // One more GET route answering JSON (body() on an HTTP worker thread); before start().
  // The detector's Falco-compatible /versions, which falcoctl's follower reads.
  void serve_json(std::string path, std::function<std::string()> body);
  // Binds (port 0 picks a free port) and serves from a background thread.
  Status start();
  // The bound port once started.
  int port() const { return port_; }
  void stop();

  // The /readyz body and status for these checks; exposed for tests.
  static std::string readyz_body(const std::vector<ReadyCheck>& checks, bool* all_ok);

 private:
  std::string host_;
  int port_;
  const Registry& registry_;
  std::function<std::vector<ReadyCheck>()> ready_;
  std::vector<std::pair<std::string, std::function<std::string()>>> json_routes_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace riposte
