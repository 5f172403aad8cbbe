// The responder against the real kube-apiserver of the local control plane
// (deploy/local/cluster.sh, ctest fixture `cluster`): each test gets its own namespace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "responder/playbook/engine.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_util.h"
#include "tests/support/local_cluster.h"

namespace riposte::playbook {
namespace {

using actions::ActionResult;
using kube::KubeRequest;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;

const char kKillShell[] = R"(
name: kill-shell
match: {rules: ["Terminal shell in container"]}
steps: [{action: pod.delete, params: {grace_period_seconds: 0}}]
)";

std::string random_suffix() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 8; ++i) s += "0123456789abcdef"[rd() % 16];
  return s;
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::load_local_cluster(&cluster_));
    auto cfg = kube::load_kubeconfig(cluster_.kubeconfig);
    ASSERT_TRUE(cfg.ok()) << cfg.error();
    config_ = *cfg;
    kube_ = client(config_);
    ASSERT_NE(kube_, nullptr);
    ns_ = "riposte-rt-" + random_suffix();
    auto created =
        create("/api/v1/namespaces",
               {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}});
    ASSERT_TRUE(created.ok()) << created.error();
  }

  void TearDown() override {
    if (kube_ && !ns_.empty())
      (void)kube_->request({.method = "DELETE", .path = "/api/v1/namespaces/" + ns_});
  }

  static std::unique_ptr<kube::HttpKubeClient> client(const kube::KubeConfig& c) {
    kube::HttpClientOptions o;
    o.initial_backoff = std::chrono::milliseconds(50);
    auto cli = kube::HttpKubeClient::create(c, o);
    EXPECT_TRUE(cli.ok()) << cli.error();
    return cli.ok() ? std::move(*cli) : nullptr;
  }

  // POSTs an object and returns what the server stored. Retries for a while on 403/404: a
  // fresh namespace's default ServiceAccount (which pod admission needs) appears only once
  // the controller-manager has created it.
  Result<json> create(const std::string& path, const json& body) {
    std::string last;
    for (int i = 0; i < 100; ++i) {
      auto res = kube_->request({.method = "POST", .path = path, .body = body.dump()});
      if (!res) return Error{res.error()};
      auto err = kube::classify(*res);
      if (!err) return json::parse(res->body);
      last = err->describe();
      if (err->kind != kube::KubeError::kForbidden && err->kind != kube::KubeError::kNotFound)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return Error{"POST " + path + ": " + last};
  }

  std::string pod_path(const std::string& name) const {
    return "/api/v1/namespaces/" + ns_ + "/pods/" + name;
  }

  // A pod bound to kwok's fake node, so it is a realistic Running pod; returns its uid.
  std::string create_pod(const std::string& name) {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"labels", {{"app", "web"}}}}},
                {"spec",
                 {{"nodeName", cluster_.node_name},
                  {"containers", {{{"name", "app"}, {"image", "registry.k8s.io/pause:3.10"}}}}}}};
    auto created = create("/api/v1/namespaces/" + ns_ + "/pods", pod);
    EXPECT_TRUE(created.ok()) << created.error();
    return created.ok() ? (*created)["metadata"]["uid"].get<std::string>() : "";
  }

  int status_of(const std::string& path) {
    auto res = kube_->request({.method = "GET", .path = path});
    EXPECT_TRUE(res.ok()) << res.error();
    return res.ok() ? res->status : -1;
  }

  bool gone_within(const std::string& path, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (status_of(path) == 404) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  static std::vector<Playbook> playbooks() {
    auto r = parse_playbooks(kKillShell, "cluster_test.yaml");
    EXPECT_TRUE(r.ok()) << r.error_text();
    return r.playbooks;
  }

  ActionResult run(kube::KubeClient& kube, const Alert& alert, bool dry_run = false) {
    Engine engine(playbooks(), kube, {});
    RunOutcome out = engine.handle(alert, dry_run);
    EXPECT_EQ(out.playbooks.size(), 1u);
    if (out.playbooks.empty() || out.playbooks[0].steps.empty())
      return ActionResult::failed("no run");
    return out.playbooks[0].steps[0].result;
  }

  testing::LocalCluster cluster_;
  kube::KubeConfig config_;
  std::unique_ptr<kube::HttpKubeClient> kube_;
  std::string ns_;
};

TEST_F(ClusterTest, PodDeleteThroughTheEngineRemovesThePod) {
  std::string uid = create_pod("web-1");
  ASSERT_FALSE(uid.empty());
  ASSERT_EQ(status_of(pod_path("web-1")), 200);
  Alert alert = testing::shell_alert(ns_, "web-1");
  alert.output_fields["k8s.pod.uid"] = uid;

  ActionResult r = run(*kube_, alert);
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "deleted pod " + ns_ + "/web-1");
  EXPECT_TRUE(gone_within(pod_path("web-1"), std::chrono::seconds(30)));

  // Redelivered alert: the pod is already gone, which is success.
  r = run(*kube_, alert);
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "pod " + ns_ + "/web-1 already gone");
}

TEST_F(ClusterTest, DryRunLeavesThePod) {
  ASSERT_FALSE(create_pod("web-1").empty());
  ActionResult r = run(*kube_, testing::shell_alert(ns_, "web-1"), /*dry_run=*/true);
  EXPECT_EQ(r.status, ActionResult::kDryRun) << r.message;
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0].str(), "DELETE " + pod_path("web-1"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(status_of(pod_path("web-1")), 200);
}

TEST_F(ClusterTest, StaleUidLeavesTheSuccessorPod) {
  ASSERT_FALSE(create_pod("db-0").empty());
  Alert alert = testing::shell_alert(ns_, "db-0");
  alert.output_fields["k8s.pod.uid"] = "00000000-0000-4000-8000-000000000000";  // an older pod's
  ActionResult r = run(*kube_, alert);
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_THAT(r.message, HasSubstr("a newer pod has its name"));
  EXPECT_EQ(status_of(pod_path("db-0")), 200);
}

TEST_F(ClusterTest, WrongCaFailsClosed) {
  kube::KubeConfig wrong = config_;
  wrong.ca_pem = testing::make_ca("not-the-cluster-ca").cert_pem;
  wrong.ca_origin = "a CA that did not sign the API server's certificate";
  auto cli = client(wrong);
  ASSERT_NE(cli, nullptr);
  auto res = cli->request({.method = "GET", .path = "/api"});
  ASSERT_FALSE(res.ok());
  EXPECT_THAT(res.error(), AllOf(HasSubstr("certificate verification failed"),
                                 HasSubstr("did not sign the API server")));
  // The same through an action: a failed step, the pod untouched.
  ASSERT_FALSE(create_pod("web-1").empty());
  ActionResult r = run(*cli, testing::shell_alert(ns_, "web-1"));
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_THAT(r.message, HasSubstr("certificate verification failed"));
  EXPECT_EQ(status_of(pod_path("web-1")), 200);
}

TEST_F(ClusterTest, ServiceAccountWithoutRightsIsForbidden) {
  ASSERT_FALSE(create_pod("web-1").empty());
  ASSERT_TRUE(
      create(
          "/api/v1/namespaces/" + ns_ + "/serviceaccounts",
          {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "no-rights"}}}})
          .ok());
  auto token = create("/api/v1/namespaces/" + ns_ + "/serviceaccounts/no-rights/token",
                      {{"apiVersion", "authentication.k8s.io/v1"},
                       {"kind", "TokenRequest"},
                       {"spec", {{"expirationSeconds", 600}}}});
  ASSERT_TRUE(token.ok()) << token.error();
  kube::KubeConfig sa = config_;
  sa.client_cert_pem.clear();
  sa.client_key_pem.clear();
  sa.token = (*token)["status"]["token"].get<std::string>();
  auto cli = client(sa);
  ASSERT_NE(cli, nullptr);

  ActionResult r = run(*cli, testing::shell_alert(ns_, "web-1"));
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_THAT(r.message, AllOf(HasSubstr("forbidden (403)"),
                               HasSubstr("system:serviceaccount:" + ns_ + ":no-rights"),
                               HasSubstr("cannot delete resource \"pods\"")));
  EXPECT_EQ(status_of(pod_path("web-1")), 200);

  // A token the server does not know is unauthorized, not forbidden.
  sa.token = "not-a-token";
  auto res = client(sa)->request({.method = "GET", .path = pod_path("web-1")});
  ASSERT_TRUE(res.ok()) << res.error();
  auto err = kube::classify(*res);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, kube::KubeError::kUnauthorized);
}

}  // namespace
}  // namespace riposte::playbook
