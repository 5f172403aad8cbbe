// The node agent's decisions (detector/node_agent/node_agent.h) with a fake node: which
// requests act, which are refused and why, and that a refused one never reaches an effect.
// Every request is audited (the counter by action and outcome).
#include "detector/node_agent/node_agent.h"

#include <gtest/gtest.h>

#include <map>

#include "detector/state/pidfd.h"

namespace riposte::detector {
namespace {

constexpr int64_t kBootToWall = 1'700'000'000'000'000'000;
const std::string kCid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kOtherCid = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const std::string kPodUid = "11111111-2222-3333-4444-555555555555";
constexpr pid_t kSelf = 999;

// Wall time (ns) of a start at `ticks` since boot, as an alert's proc.pid.ts says it.
int64_t wall_of_ticks(uint64_t ticks) {
  return kBootToWall + static_cast<int64_t>(ticks * (1000000000ull / sysconf(_SC_CLK_TCK)));
}

class FakeHost : public NodeHost {
 public:
  std::optional<ProcessFacts> process(pid_t pid) override {
    auto it = procs.find(pid);
    if (it == procs.end()) return std::nullopt;
    return it->second;
  }
  std::vector<ProcessFacts> container_processes(const std::string& id) override {
    std::vector<ProcessFacts> out;
    for (const auto& [pid, p] : procs) {
      if (p.container && p.container->id.compare(0, id.size(), id) == 0) out.push_back(p);
    }
    return out;
  }
  Status kill_process(pid_t pid, uint64_t start) override {
    effects.push_back("kill " + std::to_string(pid) + "@" + std::to_string(start));
    return {};
  }
  Status freeze(const ProcessFacts& m) override { return effect("freeze", m); }
  Status thaw(const ProcessFacts& m) override { return effect("thaw", m); }
  Status kill_container(const ProcessFacts& m) override { return effect("kill-container", m); }
  nlohmann::json capture(const ProcessFacts& p) override {
    effects.push_back("capture " + std::to_string(p.pid));
    return {{"process", {{"pid", p.pid}}}};
  }

  ProcessFacts& add(pid_t pid, uint64_t ticks, const std::string& cid) {
    ProcessFacts f;
    f.pid = pid;
    f.ppid = 100;
    f.start_ticks = ticks;
    f.comm = "sh";
    if (!cid.empty()) {
      f.container = CgroupContainer{"containerd", cid, kPodUid, "besteffort"};
      f.freezer_cgroup = "/kubepods/besteffort/pod" + kPodUid + "/" + cid;
    }
    return procs[pid] = f;
  }

  std::map<pid_t, ProcessFacts> procs;
  std::vector<std::string> effects;

 private:
  Status effect(const char* what, const ProcessFacts& m) {
    effects.push_back(std::string(what) + " " + m.container->id.substr(0, 12));
    return {};
  }
};

class FakePods : public PodSource {
 public:
  std::optional<PodRecord> lookup(const std::string& uid) override {
    if (uid != kPodUid || ns.empty()) return std::nullopt;
    auto pod = std::make_shared<PodInfo>();
    pod->uid = uid;
    pod->name = "web-1";
    pod->ns = ns;
    return PodRecord{pod, {}};
  }
  std::string ns = "shop";
};

class NodeAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.add(4242, 5000, kCid);
    host_.add(77, 300, "");  // a host process
    host_.add(kSelf, 200, "");
  }

  NodeAgent& agent(double rate = 100) {
    NodeAgentOptions o;
    o.node = "node-a";
    o.protected_namespaces = {"kube-system"};
    o.rate_per_second = rate;
    o.boot_to_wall_ns = kBootToWall;
    o.self = kSelf;
    agent_ = std::make_unique<NodeAgent>(o, &host_, &pods_, &registry_);
    return *agent_;
  }

  static NodeActionRequest request(NodeAction action, pid_t pid = 4242, uint64_t ticks = 5000) {
    NodeActionRequest q;
    q.id = "run-1/0";
    q.action = action;
    q.node = "node-a";
    q.pid = pid;
    if (pid != 0) q.start_time_ns = wall_of_ticks(ticks);
    q.container_id = pid == 4242 || pid == 0 ? kCid.substr(0, 12) : "";
    return q;
  }

  double count(const char* action, const char* outcome) {
    return registry_
        .counter("riposte_detector_node_actions_total", "",
                 {{"action", action}, {"outcome", outcome}})
        .value();
  }

  // Refused, with `why` in the reason, nothing done, and counted.
  void expect_refused(const NodeActionRequest& q, const std::string& why) {
    const double before = count(std::string(node_action_name(q.action)).c_str(), "refused");
    NodeActionReply r = agent_->handle(q);
    EXPECT_EQ(r.outcome, NodeActionReply::kRefused) << r.reason;
    EXPECT_NE(r.reason.find(why), std::string::npos) << r.reason;
    EXPECT_EQ(r.id, q.id);
    EXPECT_EQ(host_.effects, std::vector<std::string>{});
    EXPECT_EQ(count(std::string(node_action_name(q.action)).c_str(), "refused"), before + 1);
  }

  FakeHost host_;
  FakePods pods_;
  Registry registry_;
  std::unique_ptr<NodeAgent> agent_;
};

TEST_F(NodeAgentTest, KillsTheAlertsProcessByPidAndStartTime) {
  NodeActionReply r = agent().handle(request(NodeAction::kProcessKill));
  EXPECT_EQ(r.outcome, NodeActionReply::kDone) << r.reason;
  EXPECT_EQ(host_.effects, std::vector<std::string>{"kill 4242@5000"});
  EXPECT_EQ(r.targets,
            (std::vector<std::string>{"pid 4242", "container 0123456789ab", "pods/shop/web-1"}));
  EXPECT_EQ(count("process.kill", "done"), 1);
}

TEST_F(NodeAgentTest, AReusedPidIsRefusedNeverHit) {
  agent();
  // The pid now belongs to a process that started 3 ticks after the alert's.
  expect_refused(request(NodeAction::kProcessKill, 4242, 4997), "its pid was reused");
  // Without proc.pid.ts: the alert's time bounds the start; this process started after it.
  NodeActionRequest q = request(NodeAction::kProcessKill);
  q.start_time_ns = 0;
  q.started_before_ns = wall_of_ticks(4000);
  expect_refused(q, "started after the alert");
  // One tick of slack either way (the wall clock offset is measured per detector run).
  q.started_before_ns = wall_of_ticks(4999);
  EXPECT_EQ(agent_->handle(q).outcome, NodeActionReply::kDone);
  EXPECT_EQ(agent_->handle(request(NodeAction::kProcessKill, 4242, 5001)).outcome,
            NodeActionReply::kDone);
}

TEST_F(NodeAgentTest, ForeignUnknownAndMismatchedTargetsAreRefused) {
  agent();
  NodeActionRequest q = request(NodeAction::kProcessKill);
  q.node = "node-b";
  expect_refused(q, "for node node-b, this is node-a");
  expect_refused(request(NodeAction::kProcessKill, 31337), "no process 31337 on this node");
  q = request(NodeAction::kContainerFreeze);
  q.container_id = kOtherCid.substr(0, 12);  // the alert's container is not the pid's
  expect_refused(q, "is not in container fedcba987654");
  q = request(NodeAction::kContainerFreeze, 0);
  q.container_id = kOtherCid;
  expect_refused(q, "no container " + kOtherCid + " on this node");
}

TEST_F(NodeAgentTest, MalformedRequestsAreRefusedAndAudited) {
  agent();
  for (
      const char* bad :
      {"not json", R"({"id":"m1","action":"process.kill","node":"node-a","pid":4242})",
       R"({"id":"m2","action":"container.kill","node":"node-a","container_id":"0123456789ab","cgroup_path":"/sys/fs/cgroup"})"}) {
    auto reply = parse_node_action_reply(agent_->handle_json(bad));
    ASSERT_TRUE(reply.ok()) << reply.error();
    EXPECT_EQ(reply->outcome, NodeActionReply::kRefused);
    EXPECT_NE(reply->reason.find("malformed request"), std::string::npos) << reply->reason;
  }
  EXPECT_EQ(count("malformed", "refused"), 3);
  EXPECT_EQ(host_.effects, std::vector<std::string>{});
}

TEST_F(NodeAgentTest, HostProcessesOnlyWhenThePlaybookSaysSoAndNeverTheDetectorOrInit) {
  agent();
  expect_refused(request(NodeAction::kProcessKill, 77, 300), "host process");
  expect_refused(request(NodeAction::kContainerFreeze, 77, 300), "not in a container");
  NodeActionRequest q = request(NodeAction::kProcessKill, kSelf, 200);
  q.allow_host = true;
  expect_refused(q, "the detector");
  host_.add(1, 1, "");
  q = request(NodeAction::kProcessKill, 1, 1);
  q.allow_host = true;
  expect_refused(q, "init");
  q = request(NodeAction::kProcessKill, 77, 300);
  q.allow_host = true;
  EXPECT_EQ(agent_->handle(q).outcome, NodeActionReply::kDone);
  EXPECT_EQ(host_.effects, std::vector<std::string>{"kill 77@300"});
}

TEST_F(NodeAgentTest, NeverTheDetectorsOwnContainer) {
  host_.add(kSelf, 200, kCid);  // the detector runs in the target container
  agent();
  expect_refused(request(NodeAction::kContainerKill), "the detector's own");
}

TEST_F(NodeAgentTest, NamespacesTheNodeResolvesAreGuarded) {
  agent();
  pods_.ns = "kube-system";  // the node's own protected list
  expect_refused(request(NodeAction::kContainerKill), "namespace kube-system is protected");
  pods_.ns = "payments";  // the responder's list, in the request
  NodeActionRequest q = request(NodeAction::kContainerKill);
  q.protected_namespaces = {"payments"};
  expect_refused(q, "namespace payments is protected");
  q = request(NodeAction::kContainerKill);
  q.allowed_namespaces = {"shop"};
  expect_refused(q, "not among the allowed");
  pods_.ns.clear();  // not known (yet): the namespace cannot be checked
  expect_refused(request(NodeAction::kContainerKill), "unknown to this node");
}

TEST_F(NodeAgentTest, DryRunResolvesAndChecksButDoesNothing) {
  agent();
  NodeActionRequest q = request(NodeAction::kContainerKill);
  q.dry_run = true;
  NodeActionReply r = agent_->handle(q);
  EXPECT_EQ(r.outcome, NodeActionReply::kDryRun) << r.reason;
  EXPECT_EQ(r.targets.size(), 3u);
  EXPECT_EQ(host_.effects, std::vector<std::string>{});
  pods_.ns = "kube-system";
  expect_refused(q, "protected");  // a dry run is refused where the real one would be
}

TEST_F(NodeAgentTest, ContainerActionsByContainerIdAlone) {
  agent();
  for (NodeAction a :
       {NodeAction::kContainerFreeze, NodeAction::kContainerThaw, NodeAction::kContainerKill}) {
    EXPECT_EQ(agent_->handle(request(a, 0)).outcome, NodeActionReply::kDone);
  }
  EXPECT_EQ(host_.effects, (std::vector<std::string>{"freeze 0123456789ab", "thaw 0123456789ab",
                                                     "kill-container 0123456789ab"}));
}

TEST_F(NodeAgentTest, ForensicsCarriesTheNodesIdentityOfTheContainerAndPod) {
  NodeActionReply r = agent().handle(request(NodeAction::kForensicsCapture));
  ASSERT_EQ(r.outcome, NodeActionReply::kDone) << r.reason;
  EXPECT_EQ(r.detail["process"]["pid"], 4242);
  EXPECT_EQ(r.detail["container"], "0123456789ab");
  EXPECT_EQ(r.detail["container_full_id"], kCid);
  EXPECT_EQ(r.detail["pod"]["namespace"], "shop");
  EXPECT_EQ(r.detail["pod"]["name"], "web-1");
}

TEST_F(NodeAgentTest, RateLimitedBeyondTheBurst) {
  agent(0.01);  // a burst of one, then one per 100 s
  EXPECT_EQ(agent_->handle(request(NodeAction::kContainerFreeze)).outcome, NodeActionReply::kDone);
  NodeActionRequest dry = request(NodeAction::kContainerThaw);
  dry.dry_run = true;  // dry runs and refusals take no token
  EXPECT_EQ(agent_->handle(dry).outcome, NodeActionReply::kDryRun);
  NodeActionReply r = agent_->handle(request(NodeAction::kContainerFreeze));
  EXPECT_EQ(r.outcome, NodeActionReply::kRefused);
  EXPECT_NE(r.reason.find("rate limit"), std::string::npos) << r.reason;
  EXPECT_EQ(host_.effects.size(), 1u);
}

}  // namespace
}  // namespace riposte::detector
