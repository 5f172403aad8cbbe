#include "detector/node_agent/node_agent.h"

#include <algorithm>

#include "common/log.h"
#include "detector/state/pidfd.h"

namespace riposte::detector {
namespace {

// The alert's times are the detector's wall clock (boot time + an offset measured at start):
// back in /proc's ticks they may differ by one tick from one detector run to the next.
constexpr uint64_t kTickSlack = 1;

NodeActionReply reply(const NodeActionRequest& q, NodeActionReply::Outcome o, std::string reason) {
  NodeActionReply r;
  r.id = q.id;
  r.outcome = o;
  r.reason = std::move(reason);
  return r;
}

uint64_t wall_to_ticks(int64_t wall_ns, int64_t boot_to_wall_ns) {
  const int64_t boot = wall_ns - boot_to_wall_ns;
  return boot > 0 ? boot_ns_to_ticks(static_cast<uint64_t>(boot)) : 0;
}

bool is_container_action(NodeAction a) {
  return a == NodeAction::kContainerKill || a == NodeAction::kContainerFreeze ||
         a == NodeAction::kContainerThaw;
}

bool same_container(const std::string& full_id, const std::string& asked) {
  return !asked.empty() && full_id.compare(0, asked.size(), asked) == 0;
}

}  // namespace

struct NodeAgent::Target {
  std::optional<ProcessFacts> process;  // the request's pid, checked
  ProcessFacts member;                  // a process of the container (container actions)
  std::string container;                // 12-digit id, "" on the host
  std::string ns, pod;                  // the pod this node resolved
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    if (process) out.push_back("pid " + std::to_string(process->pid));
    if (!container.empty()) out.push_back("container " + container);
    if (!pod.empty()) out.push_back("pods/" + ns + "/" + pod);
    return out;
  }
};

NodeAgent::NodeAgent(NodeAgentOptions options, NodeHost* host, PodSource* pods, Registry* registry)
    : options_(std::move(options)),
      host_(host),
      pods_(pods),
      registry_(registry),
      tokens_(std::max(1.0, options_.rate_per_second)),
      refilled_(std::chrono::steady_clock::now()) {
  if (auto self = host_->process(options_.self); self && self->container) {
    self_container_ = self->container->id;
  }
}

std::string NodeAgent::handle_json(std::string_view request) {
  auto q = parse_node_action_request(request);
  if (!q) {
    NodeActionReply r;
    r.outcome = NodeActionReply::kRefused;
    r.reason = "malformed request: " + q.error();
    // The id, when there is one to echo, helps the sender match the refusal.
    auto j = nlohmann::json::parse(request, nullptr, false);
    if (j.is_object() && j.contains("id") && j["id"].is_string() &&
        j["id"].get_ref<const std::string&>().size() <= 512) {
      r.id = j["id"].get<std::string>();
    }
    audit(nullptr, "malformed", r);
    return to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return to_json(handle(*q)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

NodeActionReply NodeAgent::handle(const NodeActionRequest& q) {
  std::lock_guard lock(mu_);
  NodeActionReply r = decide(q);
  audit(&q, node_action_name(q.action), r);
  return r;
}

NodeActionReply NodeAgent::decide(const NodeActionRequest& q) {
  if (q.node != options_.node) {
    return reply(q, NodeActionReply::kRefused,
                 "the request is for node " + q.node + ", this is " + options_.node);
  }
  Target t;
  if (q.pid != 0) {
    t.process = host_->process(static_cast<pid_t>(q.pid));
    if (!t.process) {
      return reply(q, NodeActionReply::kRefused,
                   "no process " + std::to_string(q.pid) + " on this node");
    }
    if (std::string why = check_process(q, *t.process); !why.empty()) {
      return reply(q, NodeActionReply::kRefused, why);
    }
    if (t.process->container) t.member = *t.process;
    if (!q.container_id.empty() &&
        (!t.process->container || !same_container(t.process->container->id, q.container_id))) {
      return reply(q, NodeActionReply::kRefused,
                   "process " + std::to_string(q.pid) + " is not in container " + q.container_id);
    }
  } else {
    auto members = host_->container_processes(q.container_id);
    if (members.empty()) {
      return reply(q, NodeActionReply::kRefused,
                   "no container " + q.container_id + " on this node");
    }
    t.member = members.front();
  }
  if (std::string why = check_scope(q, &t); !why.empty()) {
    return reply(q, NodeActionReply::kRefused, why);
  }
  if (q.dry_run) {
    NodeActionReply r =
        reply(q, NodeActionReply::kDryRun, "would " + std::string(node_action_name(q.action)));
    r.targets = t.names();
    return r;
  }
  if (!take_token()) {
    return reply(q, NodeActionReply::kRefused,
                 "rate limit: more than " + std::to_string(options_.rate_per_second) +
                     " node actions per second");
  }
  NodeActionReply r = act(q, t);
  r.targets = t.names();
  return r;
}

std::string NodeAgent::check_process(const NodeActionRequest& q, const ProcessFacts& p) const {
  const std::string pid = std::to_string(q.pid);
  if (q.start_time_ns != 0) {
    const uint64_t want = wall_to_ticks(q.start_time_ns, options_.boot_to_wall_ns);
    const uint64_t diff = p.start_ticks > want ? p.start_ticks - want : want - p.start_ticks;
    if (p.start_ticks == 0 || diff > kTickSlack) {
      return "process " + pid + " is another process than the alert's (started at tick " +
             std::to_string(p.start_ticks) + ", the alert's at tick " + std::to_string(want) +
             "): its pid was reused";
    }
  }
  if (q.started_before_ns != 0) {
    const uint64_t bound = wall_to_ticks(q.started_before_ns, options_.boot_to_wall_ns);
    if (p.start_ticks == 0 || p.start_ticks > bound + kTickSlack) {
      return "process " + pid + " started after the alert (tick " + std::to_string(p.start_ticks) +
             " > " + std::to_string(bound) + "): its pid was reused";
    }
  }
  return "";
}

std::string NodeAgent::check_scope(const NodeActionRequest& q, Target* t) {
  const bool host_target = t->process ? !t->process->container : false;
  if (t->process && (t->process->pid == options_.self || t->process->pid == 1 ||
                     t->process->pid == 2 || t->process->ppid == 2)) {
    return "process " + std::to_string(t->process->pid) +
           " is the detector, init or a kernel thread: never acted on";
  }
  if (host_target) {
    if (is_container_action(q.action)) {
      return "process " + std::to_string(t->process->pid) + " is not in a container";
    }
    if (!q.allow_host) {
      return "process " + std::to_string(t->process->pid) +
             " is a host process (outside containers): the playbook must say allow_host";
    }
    return "";
  }
  const CgroupContainer& c = *t->member.container;
  t->container = c.id.substr(0, 12);
  if (!self_container_.empty() && c.id == self_container_) {
    return "container " + t->container + " is the detector's own: never acted on";
  }
  std::optional<PodRecord> pod;
  if (pods_ != nullptr)
    pod = c.pod_uid.empty() ? pods_->lookup_container(c.id) : pods_->lookup(c.pod_uid);
  if (!pod || !pod->pod) {
    return "the pod of container " + t->container +
           " is unknown to this node: its namespace cannot be checked";
  }
  t->ns = pod->pod->ns;
  t->pod = pod->pod->name;
  const auto& asked = q.protected_namespaces;
  if (options_.protected_namespaces.contains(t->ns) ||
      std::find(asked.begin(), asked.end(), t->ns) != asked.end()) {
    return "namespace " + t->ns + " is protected";
  }
  const auto& allowed = q.allowed_namespaces;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), t->ns) == allowed.end()) {
    return "namespace " + t->ns + " is not among the allowed ones";
  }
  return "";
}

NodeActionReply NodeAgent::act(const NodeActionRequest& q, const Target& t) {
  auto done = [&](Status st, std::string what) {
    return st.ok() ? reply(q, NodeActionReply::kDone, std::move(what))
                   : reply(q, NodeActionReply::kFailed, st.error());
  };
  const std::string container = "container " + t.container;
  switch (q.action) {
    case NodeAction::kProcessKill:
      return done(host_->kill_process(t.process->pid, t.process->start_ticks),
                  "killed process " + std::to_string(t.process->pid));
    case NodeAction::kContainerKill:
      return done(host_->kill_container(t.member), "killed every process of " + container);
    case NodeAction::kContainerFreeze:
      return done(host_->freeze(t.member), "froze " + container);
    case NodeAction::kContainerThaw:
      return done(host_->thaw(t.member), "thawed " + container);
    case NodeAction::kForensicsCapture: {
      NodeActionReply r =
          reply(q, NodeActionReply::kDone, "captured process " + std::to_string(t.process->pid));
      r.detail = host_->capture(*t.process);
      r.detail["container"] = t.container.empty() ? nlohmann::json() : nlohmann::json(t.container);
      if (!t.container.empty()) {
        r.detail["container_full_id"] = t.member.container->id;
        r.detail["runtime"] = t.member.container->runtime;
        r.detail["pod"] = {
            {"namespace", t.ns}, {"name", t.pod}, {"uid", t.member.container->pod_uid}};
      }
      return r;
    }
  }
  return reply(q, NodeActionReply::kFailed, "unknown action");
}

bool NodeAgent::take_token() {
  const auto now = std::chrono::steady_clock::now();
  const double rate = options_.rate_per_second;
  tokens_ = std::min(std::max(1.0, rate),
                     tokens_ + rate * std::chrono::duration<double>(now - refilled_).count());
  refilled_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void NodeAgent::audit(const NodeActionRequest* q, std::string_view action,
                      const NodeActionReply& r) {
  registry_
      ->counter(
          "riposte_detector_node_actions_total",
          "Node action requests, by action and outcome (done, dry_run, refused, failed)",
          {{"action", std::string(action)}, {"outcome", std::string(outcome_name(r.outcome))}})
      .inc();
  nlohmann::json f = {{"id", r.id},
                      {"action", action},
                      {"outcome", outcome_name(r.outcome)},
                      {"reason", r.reason},
                      {"targets", r.targets}};
  if (q != nullptr) {
    f["pid"] = q->pid;
    f["container_id"] = q->container_id;
    f["playbook"] = q->playbook;
  }
  const bool acted = r.outcome == NodeActionReply::kDone || r.outcome == NodeActionReply::kDryRun;
  (acted ? log::info : log::warn)("node action", f);
}

}  // namespace riposte::detector
