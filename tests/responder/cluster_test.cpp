// The responder's engine against the real kube-apiserver of the local control plane
// (deploy/local/cluster.sh, ctest fixture `cluster`): each test gets its own namespace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "responder/playbook/engine.h"
#include "tests/responder/cluster_fixture.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_util.h"

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

// The engine with the shipped-style playbook, against the real API server.
class ClusterTest : public testing::ClusterFixture {
 protected:
  static std::vector<Playbook> playbooks() {
    auto r = parse_playbooks(kKillShell, "cluster_test.yaml");
    EXPECT_TRUE(r.ok()) << r.error_text();
    return r.playbooks;
  }

  ActionResult run_playbook(kube::KubeClient& kube, const Alert& alert, bool dry_run = false) {
    Engine engine(playbooks(), kube, {});
    RunOutcome out = engine.handle(alert, dry_run);
    EXPECT_EQ(out.playbooks.size(), 1u);
    if (out.playbooks.empty() || out.playbooks[0].steps.empty())
      return ActionResult::failed("no run");
    return out.playbooks[0].steps[0].result;
  }
};

TEST_F(ClusterTest, PodDeleteThroughTheEngineRemovesThePod) {
  std::string uid = create_pod("web-1");
  ASSERT_FALSE(uid.empty());
  ASSERT_EQ(status_of(pod_path("web-1")), 200);
  Alert alert = testing::shell_alert(ns_, "web-1");
  alert.output_fields["k8s.pod.uid"] = uid;

  ActionResult r = run_playbook(*kube_, alert);
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "deleted pod " + ns_ + "/web-1");
  EXPECT_TRUE(gone_within(pod_path("web-1"), std::chrono::seconds(30)));

  // Redelivered alert: the pod is already gone, which is success.
  r = run_playbook(*kube_, alert);
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.message, "pod " + ns_ + "/web-1 already gone");
}

TEST_F(ClusterTest, DryRunLeavesThePod) {
  ASSERT_FALSE(create_pod("web-1").empty());
  ActionResult r = run_playbook(*kube_, testing::shell_alert(ns_, "web-1"), /*dry_run=*/true);
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
  ActionResult r = run_playbook(*kube_, alert);
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
  ActionResult r = run_playbook(*cli, testing::shell_alert(ns_, "web-1"));
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

  ActionResult r = run_playbook(*cli, testing::shell_alert(ns_, "web-1"));
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
