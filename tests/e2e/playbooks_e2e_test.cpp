// The shipped playbooks (playbooks/), from alert to cluster state: riposte-responder runs them
// against the local control plane (fixture `cluster`) for alerts put on its NATS JetStream;
// the test then reads the cluster back. The chat webhook is a local HTTP server.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/alert.h"
#include "common/nats.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/support/local_cluster.h"
#include "tests/support/test_util.h"

namespace riposte::testing {
namespace {

constexpr char kPlaceholderUrl[] = "https://hooks.slack.com/services/REPLACE/WITH/YOURS";

class PlaybooksE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(load_local_cluster(&cluster_));
    ns_ = "pb-e2e-" + std::to_string(getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : ns_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ns_ = ns_.substr(0, 63);
    while (!ns_.empty() && ns_.back() == '-') ns_.pop_back();
    int rc = 0;
    kubectl(cluster_, "create namespace " + ns_, &rc);
    ASSERT_EQ(rc, 0);

    hook_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      hooks_.push_back(req.body);
      res.set_content("ok", "text/plain");
    });
    hook_port_ = hook_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(hook_port_, 0);
    hook_thread_ = std::thread([this] { hook_.listen_after_bind(); });

    // The shipped playbooks, with the chat webhook pointed at this test.
    dir_ = make_temp_dir("riposte-playbooks-e2e");
    const std::string src = std::string(std::getenv("RIPOSTE_SOURCE_DIR")) + "/playbooks";
    for (const auto& e : std::filesystem::directory_iterator(src)) {
      std::string text = read_file(e.path());
      for (size_t at; (at = text.find(kPlaceholderUrl)) != std::string::npos;) {
        text.replace(at, std::strlen(kPlaceholderUrl),
                     "http://127.0.0.1:" + std::to_string(hook_port_) + "/hook");
      }
      std::ofstream(dir_ + "/" + e.path().filename().string()) << text;
    }
    const char* bin = std::getenv("RIPOSTE_BINARY_DIR");
    // The responder and the alert publisher use the shipped NATS users (TLS, passwords,
    // per-component subject rights), as deployed.
    std::vector<std::string> argv = {std::string(bin ? bin : ".") + "/bin/riposte-responder",
                                     "--playbooks",
                                     dir_,
                                     "--kubeconfig",
                                     cluster_.kubeconfig,
                                     "--durable",
                                     "e2e-" + ns_,
                                     "--ops-addr",
                                     "127.0.0.1:0",
                                     "--replica-name",
                                     ns_};
    const auto nats_flags = cluster_.nats_flags("responder");
    argv.insert(argv.end(), nats_flags.begin(), nats_flags.end());
    auto p = Subprocess::spawn(argv, {}, dir_ + "/responder.log");
    ASSERT_TRUE(p.ok()) << p.error();
    responder_ = std::move(*p);
    ASSERT_TRUE(eventually(
        [&] { return read_file(responder_->log_path()).find("responder running") != std::string::npos; },
        30000))
        << responder_->log_tail();
    auto c = nats::Connection::connect(cluster_.nats_options("detector", "playbooks-e2e"));
    ASSERT_TRUE(c.ok()) << c.error();
    conn_ = std::move(*c);
  }

  void TearDown() override {
    if (responder_) {
      responder_->stop();
      if (HasFailure()) std::cerr << "responder log:\n" << responder_->log_tail(16384);
    }
    hook_.stop();
    if (hook_thread_.joinable()) hook_thread_.join();
    if (!ns_.empty()) kubectl(cluster_, "delete namespace " + ns_ + " --wait=false");
    if (!cordoned_.empty()) kubectl(cluster_, "uncordon " + cordoned_);
  }

  // A Deployment with two ready pods; returns the first pod's name and uid.
  std::pair<std::string, std::string> deployment(const std::string& name, const std::string& image) {
    int rc = 0;
    std::string out = kubectl(cluster_, "-n " + ns_ + " create deployment " + name +
                                            " --image=" + image + " --replicas=2", &rc);
    EXPECT_EQ(rc, 0) << out;
    out = kubectl(cluster_, "-n " + ns_ + " rollout status deployment/" + name + " --timeout=120s", &rc);
    EXPECT_EQ(rc, 0) << out;
    const std::string pod = trim(kubectl(
        cluster_, "-n " + ns_ + " get pods -l app=" + name + " -o jsonpath={.items[0].metadata.name}"));
    const std::string uid = trim(kubectl(cluster_, "-n " + ns_ + " get pod " + pod + " -o jsonpath={.metadata.uid}"));
    return {pod, uid};
  }

  void alert(const std::string& rule, Priority p, const std::string& pod, const std::string& uid,
             const std::string& image) {
    Alert a = numbered_alert(0);
    a.rule = rule;
    a.priority = p;
    a.output = rule + " (pod=" + pod + " image=" + image + ")";
    a.output_fields["k8s.ns.name"] = ns_;
    a.output_fields["k8s.pod.name"] = pod;
    a.output_fields["k8s.pod.uid"] = uid;
    a.output_fields["container.image.repository"] = image;
    publish_until_stored(*conn_, a);
  }

  std::string get(const std::string& what, const std::string& jsonpath) {
    return trim(kubectl(cluster_, "-n " + ns_ + " get " + what + " -o 'jsonpath={" + jsonpath + "}'"));
  }

  bool hooked(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& h : hooks_) {
      if (h.find(text) != std::string::npos) return true;
    }
    return false;
  }

  LocalCluster cluster_;
  std::string ns_, dir_, cordoned_;
  std::unique_ptr<Subprocess> responder_;
  std::unique_ptr<nats::Connection> conn_;
  httplib::Server hook_;
  int hook_port_ = 0;
  std::thread hook_thread_;
  std::mutex mu_;
  std::vector<std::string> hooks_;
};

TEST_F(PlaybooksE2E, TerminalShellKillsThePod) {
  auto [pod, uid] = deployment("web", "nginx:1.27");
  alert("Terminal shell in container", Priority::kNotice, pod, uid, "docker.io/library/nginx");
  EXPECT_TRUE(eventually([&] { return get("pod " + pod + " --ignore-not-found", ".metadata.uid") != uid; }, 60000))
      << "pod " << pod << " still there";
}

TEST_F(PlaybooksE2E, PackageManagementScalesTheDeploymentToZero) {
  auto [pod, uid] = deployment("pm", "debian:12");
  alert("Launch Package Management Process in Container", Priority::kError, pod, uid, "docker.io/library/debian");
  EXPECT_TRUE(eventually([&] { return get("deployment pm", ".spec.replicas") == "0"; }, 60000));
  EXPECT_EQ(get("deployment pm", ".metadata.annotations.riposte\\.dev/previous-replicas"), "2");
  // Error is at least Warning: the team heard of it too.
  EXPECT_TRUE(eventually([&] { return hooked("Launch Package Management Process in Container"); }, 30000));
}

TEST_F(PlaybooksE2E, WriteBelowEtcScalesOnlyHttpd) {
  auto nginx = deployment("nginx", "nginx:1.27");
  auto httpd = deployment("httpd", "httpd:2.4");
  alert("Write below etc", Priority::kError, nginx.first, nginx.second, "docker.io/library/nginx");
  alert("Write below etc", Priority::kError, httpd.first, httpd.second, "docker.io/library/httpd");
  EXPECT_TRUE(eventually([&] { return get("deployment httpd", ".spec.replicas") == "0"; }, 60000));
  // Both alerts were handled (both notified); only the httpd one scaled.
  EXPECT_TRUE(eventually([&] { return hooked("pod=" + nginx.first) || hooked(nginx.first); }, 30000));
  EXPECT_EQ(get("deployment nginx", ".spec.replicas"), "2");
}

TEST_F(PlaybooksE2E, KernelModuleIsolatesThePodAndCordonsItsNode) {
  auto [pod, uid] = deployment("km", "busybox:1.36");
  const std::string node = get("pod " + pod, ".spec.nodeName");
  ASSERT_FALSE(node.empty());
  cordoned_ = node;  // uncordoned in TearDown whatever happens
  alert("Linux Kernel Module Injection Detected", Priority::kCritical, pod, uid, "docker.io/library/busybox");
  EXPECT_TRUE(eventually([&] { return trim(kubectl(cluster_, "get node " + node + " -o jsonpath={.spec.unschedulable}")) == "true"; }, 60000));
  EXPECT_TRUE(eventually([&] { return !get("networkpolicies", ".items[*].metadata.name").empty(); }, 30000));
  EXPECT_EQ(get("pod " + pod, ".metadata.labels.riposte\\.dev/isolated"), uid);
}

TEST_F(PlaybooksE2E, WarningAnnotatesThePodAndNotifies) {
  auto [pod, uid] = deployment("quiet", "nginx:1.27");
  alert("Unexpected outbound connection", Priority::kWarning, pod, uid, "docker.io/library/nginx");
  EXPECT_TRUE(eventually([&] { return get("pod " + pod, ".metadata.annotations.riposte\\.dev/alert-rule") == "Unexpected outbound connection"; }, 60000));
  EXPECT_EQ(get("pod " + pod, ".metadata.annotations.riposte\\.dev/alert-priority"), "Warning");
  EXPECT_TRUE(eventually([&] { return hooked("Unexpected outbound connection"); }, 30000));
  // Below Warning: nothing.
  alert("Some notice", Priority::kNotice, pod, uid, "docker.io/library/nginx");
  alert("Unexpected outbound connection 2", Priority::kWarning, pod, uid, "docker.io/library/nginx");
  EXPECT_TRUE(eventually([&] { return hooked("Unexpected outbound connection 2"); }, 30000));
  EXPECT_FALSE(hooked("Some notice"));
}

}  // namespace
}  // namespace riposte::testing
