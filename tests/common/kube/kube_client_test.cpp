#include "common/kube/kube_client.h"

#include <gtest/gtest.h>

#include "tests/support/test_util.h"

namespace riposte::kube {
namespace {

TEST(ClassifyTest, SuccessIsNoError) {
  EXPECT_FALSE(classify({200, "{}"}).has_value());
  EXPECT_FALSE(classify({201, ""}).has_value());
  EXPECT_FALSE(classify({202, ""}).has_value());
}

TEST(ClassifyTest, StatusBodiesGiveKindMessageAndReason) {
  const std::string msg =
      "pods \"web-1\" is forbidden: User \"system:serviceaccount:shop:x\" cannot delete resource "
      "\"pods\" in API group \"\" in the namespace \"shop\"";
  auto err = classify({403, testing::status_body(403, "Forbidden", msg)});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, KubeError::kForbidden);
  EXPECT_EQ(err->status, 403);
  EXPECT_EQ(err->reason, "Forbidden");
  EXPECT_EQ(err->message, msg);
  EXPECT_EQ(err->describe(), "forbidden (403): " + msg);

  struct Case {
    int status;
    KubeError::Kind kind;
  };
  for (auto [status, kind] : {Case{404, KubeError::kNotFound}, Case{409, KubeError::kConflict},
                              Case{422, KubeError::kInvalid}, Case{400, KubeError::kInvalid},
                              Case{401, KubeError::kUnauthorized},
                              Case{429, KubeError::kTooManyRequests}, Case{500, KubeError::kServer},
                              Case{503, KubeError::kServer}, Case{410, KubeError::kOther}}) {
    auto e = classify({status, "{}"});
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->kind, kind) << status;
  }
}

TEST(ClassifyTest, StatusCausesAreKept) {
  auto body = nlohmann::json::parse(testing::status_body(429, "TooManyRequests", "Cannot evict"));
  body["details"] = {{"causes",
                      {{{"reason", "DisruptionBudget"}, {"message", "needs 2 healthy pods"}},
                       {{"reason", 7}},  // not a string: ignored, not thrown about
                       "junk"}}};
  auto err = classify({429, body.dump()});
  ASSERT_TRUE(err.has_value());
  ASSERT_EQ(err->causes.size(), 2u);
  EXPECT_EQ(err->causes[0].reason, "DisruptionBudget");
  EXPECT_EQ(err->causes[0].message, "needs 2 healthy pods");
  EXPECT_EQ(err->causes[1].reason, "");
  EXPECT_TRUE(err->has_cause(kDisruptionBudgetCause));
  EXPECT_FALSE(classify({429, "{}"})->has_cause(kDisruptionBudgetCause));
}

TEST(ClassifyTest, NonStatusBodyIsQuotedTruncated) {
  auto err = classify({502, std::string(1000, 'x')});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->kind, KubeError::kServer);
  EXPECT_EQ(err->message.size(), 256u);
  EXPECT_EQ(transport_error("boom").describe(), "transport error: boom");
}

TEST(ResourcePathTest, BuildsCoreGroupAndSubresourcePaths) {
  EXPECT_EQ(*resource_path({.resource = "pods", .namespace_ = "shop", .name = "web-1"}),
            "/api/v1/namespaces/shop/pods/web-1");
  EXPECT_EQ(*resource_path({.resource = "pods", .namespace_ = "shop"}),
            "/api/v1/namespaces/shop/pods");
  EXPECT_EQ(*resource_path({.resource = "nodes", .name = "n1"}), "/api/v1/nodes/n1");
  EXPECT_EQ(*resource_path({.group = "apps",
                            .resource = "deployments",
                            .namespace_ = "shop",
                            .name = "web",
                            .subresource = "scale"}),
            "/apis/apps/v1/namespaces/shop/deployments/web/scale");
}

TEST(ResourcePathTest, EscapesAndRefusesDotSegments) {
  EXPECT_EQ(*resource_path({.resource = "pods", .namespace_ = "a/b", .name = "x?y#z%"}),
            "/api/v1/namespaces/a%2Fb/pods/x%3Fy%23z%25");
  EXPECT_FALSE(resource_path({.resource = "pods", .namespace_ = "shop", .name = ".."}).ok());
  EXPECT_FALSE(resource_path({.resource = "pods", .namespace_ = ".", .name = "x"}).ok());
  EXPECT_FALSE(resource_path({.resource = "pods", .subresource = "eviction"}).ok());
  EXPECT_FALSE(resource_path({.resource = ""}).ok());
}

TEST(RequestTargetTest, EscapesQuery) {
  KubeRequest r{.method = "GET",
                .path = "/api/v1/pods",
                .query = {{"labelSelector", "app=web,tier in (a b)"}, {"limit", "5"}}};
  EXPECT_EQ(request_target(r),
            "/api/v1/pods?labelSelector=app%3Dweb%2Ctier%20in%20%28a%20b%29&limit=5");
  EXPECT_EQ(escape_component("é"), "%C3%A9");
}

}  // namespace
}  // namespace riposte::kube
