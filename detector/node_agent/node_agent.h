// Node-local actions (issue 17): the detector kills, freezes, thaws or captures a process or
// container of its own node when the responder asks (common/node_action.h). Every request
// is audited (a log line and riposte_detector_node_actions_total{action,outcome}) and checked
// against what this node knows, never against what the request claims:
//   - the node: a request for another node is refused;
//   - the process: by host pid and start time, so a reused pid is refused, never hit;
//   - the container: the one whose cgroup holds the process (or, without a pid, the cgroup
//     named by container_id found among this node's processes), resolved here;
//   - guardrails: never the detector itself, never pid 1 or a kernel thread, never a host
//     process unless the request says allow_host (the playbook's explicit choice), never in a
//     protected namespace (this node's own list plus the request's) or outside the allowed
//     ones; the namespace is that of the pod this node resolves for the container (unknown
//     pod: refused); at most `rate` effects per second; dry_run resolves and checks all of
//     this, then only says what it would do.
#pragma once

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "common/metrics.h"
#include "common/node_action.h"
#include "detector/container/pod_source.h"
#include "detector/node_agent/node_host.h"

namespace riposte::detector {

struct NodeAgentOptions {
  std::string node;                                         // this node's name
  std::set<std::string, std::less<>> protected_namespaces;  // refused whatever the request says
  // Effects (not dry runs, not refusals) per second; the burst is as many (at least one).
  double rate_per_second = 20;
  int64_t boot_to_wall_ns = 0;  // CLOCK_REALTIME - CLOCK_BOOTTIME
  pid_t self = 0;               // this detector's pid
};

class NodeAgent {
 public:
  // pods may be null (no Kubernetes): then every container action is refused (its namespace
  // cannot be checked).
  NodeAgent(NodeAgentOptions options, NodeHost* host, PodSource* pods, Registry* registry);

  // Thread-safe; one request at a time.
  NodeActionReply handle(const NodeActionRequest& request);
  // A raw request off the bus: a malformed one is refused (and audited) like any other.
  std::string handle_json(std::string_view request);

 private:
  struct Target;
  NodeActionReply decide(const NodeActionRequest& q);
  NodeActionReply act(const NodeActionRequest& q, const Target& t);
  std::string check_process(const NodeActionRequest& q, const ProcessFacts& p) const;
  std::string check_scope(const NodeActionRequest& q, Target* t);
  bool take_token();
  void audit(const NodeActionRequest* q, std::string_view action, const NodeActionReply& r);

  NodeAgentOptions options_;
  NodeHost* host_;
  PodSource* pods_;
  Registry* registry_;
  std::string self_container_;  // the detector's own container id, "" on the host
  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point refilled_;
};

}  // namespace riposte::detector
