// `riposte container thaw` (the undo of container.freeze outside the UI; the UI's undo builds
// the same request with thaw_request and ask_node) against a node agent over a real
// nats-server with riposte's shipped users and subject rights: the CLI speaks as the
// responder, the agent answers as the detector. The agent's host is a fake that records its
// effects (the real cgroup thaw is node_actions_e2e_test's, on the real node): the thaw
// reaches exactly the named container, a namespace the CLI is told to protect is refused by
// the node, dry-run sends nothing, and the detector's user cannot ask for node actions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <mutex>

#include "common/metrics.h"
#include "detector/node_agent/nats_endpoint.h"
#include "detector/node_agent/node_agent.h"
#include "tests/support/nats_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte {
namespace {

using ::testing::HasSubstr;

const std::string kCid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kPodUid = "11111111-2222-3333-4444-555555555555";

// One container with one process; thaw and freeze are recorded, nothing else is expected.
class RecordingHost : public detector::NodeHost {
 public:
  std::optional<detector::ProcessFacts> process(pid_t) override { return std::nullopt; }
  std::vector<detector::ProcessFacts> container_processes(const std::string& id) override {
    if (kCid.compare(0, id.size(), id) != 0) return {};
    detector::ProcessFacts f;
    f.pid = 4242;
    f.ppid = 100;
    f.start_ticks = 5000;
    f.comm = "sh";
    f.container = detector::CgroupContainer{"containerd", kCid, kPodUid, "besteffort"};
    f.freezer_cgroup = "/kubepods/besteffort/pod" + kPodUid + "/" + kCid;
    return {f};
  }
  Status kill_process(pid_t, uint64_t) override { return record("kill"); }
  Status freeze(const detector::ProcessFacts&) override { return record("freeze"); }
  Status thaw(const detector::ProcessFacts& m) override {
    return record("thaw " + m.container->id.substr(0, 12));
  }
  Status kill_container(const detector::ProcessFacts&) override { return record("kill"); }
  nlohmann::json capture(const detector::ProcessFacts&) override { return nullptr; }

  std::vector<std::string> effects() {
    std::lock_guard lock(mu_);
    return effects_;
  }

 private:
  Status record(std::string what) {
    std::lock_guard lock(mu_);
    effects_.push_back(std::move(what));
    return {};
  }
  std::mutex mu_;
  std::vector<std::string> effects_;
};

class OnePod : public detector::PodSource {
 public:
  std::optional<detector::PodRecord> lookup(const std::string& uid) override {
    if (uid != kPodUid) return std::nullopt;
    auto pod = std::make_shared<detector::PodInfo>();
    pod->uid = uid;
    pod->name = "web-1";
    pod->ns = "shop";
    return detector::PodRecord{pod, {}};
  }
};

TEST(ContainerThawTest, TheCliThawsExactlyThatContainerThroughItsNode) {
  testing::NatsServer srv({.shipped_auth = true});
  ASSERT_TRUE(srv.start());
  auto detector_conn =
      nats::Connection::connect(testing::shipped_auth_options(srv.url(), "riposte-detector"));
  ASSERT_TRUE(detector_conn.ok()) << detector_conn.error();
  RecordingHost host;
  OnePod pods;
  Registry registry;
  detector::NodeAgentOptions o;
  o.node = "node-a";
  o.rate_per_second = 100;
  o.self = 999;
  detector::NodeAgent agent(o, &host, &pods, &registry);
  auto endpoint = detector::NodeActionEndpoint::start(detector_conn->get(), &agent, "node-a");
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();

  const char* bin = std::getenv("RIPOSTE_BINARY_DIR");
  ASSERT_NE(bin, nullptr);
  const std::string dir = testing::make_temp_dir("container-thaw");
  int n = 0;
  auto thaw = [&](const std::string& user, const std::vector<std::string>& extra,
                  std::string* out) {
    std::vector<std::string> argv = {std::string(bin) + "/bin/riposte",
                                     "container",
                                     "thaw",
                                     "--node",
                                     "node-a",
                                     "--container-id",
                                     kCid.substr(0, 12),
                                     "--nats",
                                     srv.url(),
                                     "--timeout-seconds",
                                     "5"};
    for (const auto& f : testing::shipped_auth_flags(user)) argv.push_back(f);
    for (const auto& f : extra) argv.push_back(f);
    const std::string log = dir + "/thaw-" + std::to_string(++n) + ".log";
    auto p = testing::Subprocess::spawn(argv, {}, log);
    int status = -1;
    if (!p.ok() || !(*p)->wait_exit(60000, &status)) return -1;
    *out = testing::read_file(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string out;
  // Dry-run: the exact request, nothing sent.
  EXPECT_EQ(thaw("riposte-responder", {"--dry-run"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("REQUEST riposte.node.node-a.action"));
  EXPECT_THAT(out, HasSubstr("\"action\":\"container.thaw\""));
  EXPECT_THAT(out, HasSubstr("dry-run: would ask for container.thaw on node node-a"));
  // The node refuses a namespace the operator protects (its answer proves it was asked).
  EXPECT_EQ(thaw("riposte-responder", {"--protected-namespace", "shop"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("skipped: node node-a: namespace shop is protected"));
  EXPECT_TRUE(host.effects().empty());
  // The detector's user may not ask for node actions: nothing reaches the node.
  EXPECT_EQ(thaw("riposte-detector", {}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("failed: container.thaw on node node-a"));
  EXPECT_TRUE(host.effects().empty());
  // The thaw, as the responder.
  EXPECT_EQ(thaw("riposte-responder", {}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("succeeded: node node-a"));
  EXPECT_EQ(host.effects(), std::vector<std::string>{"thaw " + kCid.substr(0, 12)});
}

}  // namespace
}  // namespace riposte
