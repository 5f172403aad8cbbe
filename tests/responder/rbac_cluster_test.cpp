// deploy/rbac/responder-clusterrole.yaml is least privilege: what no action needs is refused
// with a message naming the verb and the resource, through an action as through the client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "responder/actions/kube_call.h"
#include "tests/responder/cluster_fixture.h"
#include "tests/support/test_util.h"

namespace riposte::actions {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class RbacClusterTest : public testing::ClusterFixture {};

// An action riposte does not ship and the role does not cover: deleting the Deployment that
// runs the alert's pod.
class DeleteWorkload final : public Action {
 public:
  std::string_view name() const override { return "test.delete-deployment"; }
  std::vector<ParamError> validate(const YAML::Node&) const override { return {}; }
  ActionResult execute(ActionContext& ctx) const override {
    ActionResult r;
    std::string ns;
    ctx.alert.field_string("k8s.ns.name", &ns);
    auto sent = write(ctx, &r, "DELETE",
                      {.group = "apps", .resource = "deployments", .namespace_ = ns, .name = "web"},
                      "");
    if (sent && !sent->ok()) fail(&r, "deleting deployment web", *sent->error);
    return r;
  }
};

TEST_F(RbacClusterTest, AnActionOutsideTheRoleIsForbiddenNamingVerbAndResource) {
  create_deployment("web", 1);
  Alert alert = testing::shell_alert(ns_, "web-1");
  YAML::Node params;
  Guardrails guardrails;
  ActionContext ctx{alert, params, *responder_, guardrails, false, "rbac-test"};
  ActionResult r = DeleteWorkload().execute(ctx);
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_FALSE(r.retryable);
  EXPECT_THAT(r.message,
              AllOf(HasSubstr("forbidden (403)"),
                    HasSubstr("User \"system:serviceaccount:riposte:riposte-responder\""),
                    HasSubstr("cannot delete resource \"deployments\" in API group \"apps\"")));
  EXPECT_EQ(status_of(apps_path("deployments", "web")), 200);
}

TEST_F(RbacClusterTest, WhatNoActionNeedsIsRefused) {
  struct Case {
    std::string method, path, verb_and_resource;
  };
  const std::vector<Case> cases = {
      {"GET", "/api/v1/namespaces/" + ns_ + "/secrets", "cannot list resource \"secrets\""},
      {"GET", "/api/v1/namespaces/" + ns_ + "/configmaps", "cannot list resource \"configmaps\""},
      {"POST", "/api/v1/namespaces/" + ns_ + "/pods", "cannot create resource \"pods\""},
      {"DELETE", "/api/v1/nodes/" + cluster_.node_name, "cannot delete resource \"nodes\""},
      {"DELETE", "/api/v1/namespaces/" + ns_, "cannot delete resource \"namespaces\""},
      {"POST", "/api/v1/namespaces/" + ns_ + "/pods/web-1/exec",
       "cannot create resource \"pods/exec\""},
      {"PUT", "/apis/apps/v1/namespaces/" + ns_ + "/deployments/web/scale",
       "cannot update resource \"deployments/scale\""},
      {"GET", "/apis/networking.k8s.io/v1/namespaces/" + ns_ + "/networkpolicies",
       "cannot list resource \"networkpolicies\""},
      // Playbook objects: read and status only; their specs are not the responder's to change.
      {"PUT", "/apis/riposte.dev/v1alpha1/namespaces/" + ns_ + "/playbooks/x",
       "cannot update resource \"playbooks\" in API group \"riposte.dev\""},
      {"POST", "/apis/riposte.dev/v1alpha1/clusterplaybooks",
       "cannot create resource \"clusterplaybooks\" in API group \"riposte.dev\""},
  };
  for (const auto& c : cases) {
    auto res = responder_->request({.method = c.method, .path = c.path, .body = "{}"});
    ASSERT_TRUE(res.ok()) << res.error();
    auto err = kube::classify(*res);
    ASSERT_TRUE(err.has_value()) << c.method << " " << c.path;
    EXPECT_EQ(err->kind, kube::KubeError::kForbidden) << c.method << " " << c.path;
    EXPECT_THAT(err->message, HasSubstr(c.verb_and_resource)) << c.method << " " << c.path;
  }
  // And what the actions need is there (the action tests prove it in use).
  auto res = responder_->request({.method = "GET", .path = "/api/v1/nodes/" + cluster_.node_name});
  ASSERT_TRUE(res.ok()) << res.error();
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace riposte::actions
