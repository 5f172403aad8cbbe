// End to end, as `make demo` does it: a shell with a terminal started inside a pod's
// container cgroup is seen by the eBPF detector, matched by "Terminal shell in container",
// published to JetStream, consumed by the responder, whose playbook deletes the pod through
// the API server; the ReplicaSet then replaces it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "common/alert.h"
#include "common/nats.h"
#include "tests/support/local_cluster.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte {
namespace {

using testing::env_or;
using testing::eventually;
using testing::trim;

using testing::kubectl;
using testing::LocalCluster;
using testing::Subprocess;

class SkeletonE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "loads eBPF and creates cgroups: run as root";
    ASSERT_TRUE(testing::load_local_cluster(&cluster_));
    src_ = env_or("RIPOSTE_SOURCE_DIR", ".");
    bin_ = env_or("RIPOSTE_BINARY_DIR", ".") + "/bin";
    ns_ = "e2e-" + std::to_string(getpid());
  }
  void TearDown() override {
    if (!ns_.empty()) kubectl(cluster_, "delete namespace " + ns_ + " --wait=false");
  }

  std::unique_ptr<Subprocess> start(const std::vector<std::string>& argv, const std::string& log,
                                    const std::string& ready_line) {
    auto p = Subprocess::spawn(argv, {{"KUBECONFIG", cluster_.kubeconfig}}, cluster_.dir + "/" + log);
    EXPECT_TRUE(p.ok()) << p.error();
    if (!p.ok()) return nullptr;
    auto proc = std::move(*p);
    const bool up = eventually(
        [&] { return testing::read_file(proc->log_path()).find(ready_line) != std::string::npos; },
        30000);
    EXPECT_TRUE(up) << argv[0] << " did not start:\n" << proc->log_tail();
    return up ? std::move(proc) : nullptr;
  }

  LocalCluster cluster_;
  std::string src_, bin_, ns_;
};

TEST_F(SkeletonE2E, ShellInPodIsDetectedAndPodDeleted) {
  // Watch the bus ourselves, to check what the detector published.
  auto conn = nats::Connection::connect({.url = cluster_.nats_url});
  ASSERT_TRUE(conn.ok()) << conn.error();
  std::mutex mu;
  std::vector<std::string> alerts;
  auto sub = (*conn)->subscribe(kAlertSubjects, "", [&](nats::Message&& m) {
    std::lock_guard<std::mutex> lock(mu);
    alerts.emplace_back(m.data());
  });
  ASSERT_TRUE(sub.ok()) << sub.error();

  auto detector = start({bin_ + "/riposte-detector", "--rules",
                         src_ + "/detector/default_rules/riposte_rules.yaml", "--nats",
                         cluster_.nats_url, "--node-name", cluster_.node_name, "--kubeconfig",
                         cluster_.kubeconfig, "--ops-addr", "127.0.0.1:0", "--log-level", "debug",
                          // the local cluster's NATS has no authentication yet
                          "--allow-unauthenticated-bus"},
                        "e2e-detector.log", "detector running");
  ASSERT_NE(detector, nullptr);
  auto responder = start({bin_ + "/riposte-responder", "--nats", cluster_.nats_url, "--playbooks",
                          src_ + "/playbooks", "--kubeconfig", cluster_.kubeconfig, "--ops-addr",
                          "127.0.0.1:0", "--log-level", "debug"},
                         "e2e-responder.log", "responder running");
  ASSERT_NE(responder, nullptr);

  int rc = 0;
  kubectl(cluster_, "create namespace " + ns_, &rc);
  ASSERT_EQ(rc, 0);
  std::string out = kubectl(cluster_, "-n " + ns_ + " create deployment web --image=nginx:1.27 --replicas=2", &rc);
  ASSERT_EQ(rc, 0) << out;
  out = kubectl(cluster_, "-n " + ns_ + " rollout status deployment/web --timeout=120s", &rc);
  ASSERT_EQ(rc, 0) << out;
  const std::string pod =
      trim(kubectl(cluster_, "-n " + ns_ + " get pods -l app=web -o jsonpath={.items[0].metadata.name}"));
  const std::string uid =
      trim(kubectl(cluster_, "-n " + ns_ + " get pod " + pod + " -o jsonpath={.metadata.uid}"));
  ASSERT_FALSE(pod.empty());
  ASSERT_EQ(uid.size(), 36u) << uid;
  std::string cid;
  for (char c : uid) {
    if (c != '-') cid.push_back(c);
  }
  cid = (cid + cid).substr(0, 64);  // 64 hex digits, unique to this pod

  const std::string shell = "RIPOSTE_LOCAL_DIR=" + cluster_.dir + " " + src_ +
                            "/deploy/local/pod-shell.sh --tty --pod-uid " + uid +
                            " --container-id " + cid + " -- /bin/sh -c 'echo pwned' >/dev/null";
  ASSERT_EQ(std::system(shell.c_str()), 0) << shell;

  // The alert: Falco JSON with the pod's identity.
  Alert alert;
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& a : alerts) {
          auto parsed = parse_alert(a);
          std::string name;
          if (parsed.ok() && parsed->field_string("k8s.pod.name", &name) && name == pod) {
            alert = *parsed;
            return true;
          }
        }
        return false;
      },
      20000))
      << "no alert for pod " << pod << "; detector log:\n"
      << detector->log_tail(8192);
  EXPECT_EQ(alert.rule, "Terminal shell in container");
  EXPECT_EQ(alert.priority, Priority::kNotice);
  EXPECT_EQ(alert.hostname, cluster_.node_name);
  EXPECT_EQ(alert.output_fields["k8s.ns.name"], ns_);
  EXPECT_EQ(alert.output_fields["container.id"], cid.substr(0, 12));
  EXPECT_EQ(alert.output_fields["proc.name"], "sh");
  EXPECT_EQ(alert.output_fields["user.name"], "root");
  EXPECT_TRUE(alert.output_fields["proc.tty"].is_number());
  EXPECT_NE(alert.output_fields["proc.tty"], 0);

  // The response: the pod is deleted through the API server...
  EXPECT_TRUE(eventually(
      [&] {
        int get_rc = 0;
        kubectl(cluster_, "-n " + ns_ + " get pod " + pod, &get_rc);
        return get_rc != 0;
      },
      30000))
      << "pod " << pod << " still exists; responder log:\n"
      << responder->log_tail(8192);
  // ...and the ReplicaSet replaces it.
  EXPECT_TRUE(eventually(
      [&] {
        std::string names = kubectl(cluster_, "-n " + ns_ + " get pods -l app=web -o "
                                              "jsonpath={.items[*].status.phase}");
        return names == "Running Running";
      },
      60000));
  const std::string log = testing::read_file(responder->log_path());
  EXPECT_NE(log.find("pod.delete"), std::string::npos) << log;
}

}  // namespace
}  // namespace riposte
