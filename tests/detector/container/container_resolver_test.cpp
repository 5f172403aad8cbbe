#include "detector/container/container_resolver.h"

#include <gtest/gtest.h>

#include "detector/container/pod_parse.h"

namespace riposte::detector {
namespace {

const std::string kId = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
const std::string kUid = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const std::string kPath = "/kubepods/besteffort/pod" + kUid + "/" + kId;

class FakePods : public PodSource {
 public:
  std::optional<PodRecord> lookup(const std::string& uid) override {
    ++lookups;
    if (!known || uid != kUid) return std::nullopt;
    auto pod = std::make_shared<PodInfo>();
    pod->uid = uid;
    pod->name = "web-1";
    pod->ns = "shop";
    PodRecord rec{pod, {{kId, "nginx", "registry.local:5000/shop/nginx:1.27@sha256:ab", true}}};
    return rec;
  }
  bool known = true;
  int lookups = 0;
};

TEST(ContainerResolver, HostProcessesHaveNoContainer) {
  FakePods pods;
  ContainerResolver r(&pods);
  EXPECT_EQ(r.resolve("/user.slice/session-1.scope", ""), nullptr);
  EXPECT_EQ(r.resolve("/", "/"), nullptr);
  EXPECT_EQ(pods.lookups, 0);
}

TEST(ContainerResolver, FillsPodAndImageAndCaches) {
  FakePods pods;
  ContainerResolver r(&pods);
  auto c = r.resolve(kPath, "");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->id, kId.substr(0, 12));
  EXPECT_EQ(c->full_id, kId);
  EXPECT_EQ(c->name, "nginx");
  EXPECT_EQ(c->image_repository, "registry.local:5000/shop/nginx");
  EXPECT_EQ(c->image_tag, "1.27");
  EXPECT_TRUE(c->privileged);
  ASSERT_NE(c->pod, nullptr);
  EXPECT_EQ(c->pod->name, "web-1");
  EXPECT_EQ(c->pod->ns, "shop");
  EXPECT_EQ(r.resolve(kPath, "").get(), c.get());
  EXPECT_EQ(pods.lookups, 1);
}

TEST(ContainerResolver, KeepsTheStartTimeOfTheFirstResolution) {
  FakePods pods;
  ContainerResolver r(&pods);
  EXPECT_EQ(r.resolve(kPath, "", 1234)->start_ns, 1234u);
  EXPECT_EQ(r.resolve(kPath, "", 9999)->start_ns, 1234u);
}

TEST(ContainerResolver, UsesV1PathWhenV2IsNotAContainer) {
  FakePods pods;
  ContainerResolver r(&pods);
  auto c = r.resolve("/", kPath);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->full_id, kId);
}

TEST(ContainerResolver, UnknownPodIsRetriedAfterBackoff) {
  FakePods pods;
  pods.known = false;
  ContainerResolver r(&pods, 16, std::chrono::milliseconds(0));
  auto c = r.resolve(kPath, "");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->pod, nullptr);  // container known, pod not yet
  pods.known = true;
  c = r.resolve(kPath, "");
  ASSERT_NE(c->pod, nullptr);
  EXPECT_EQ(c->pod->name, "web-1");
}

TEST(PodParse, ParsesPodList) {
  auto list = parse_pod_list(R"({"kind":"PodList","metadata":{"resourceVersion":"77"},"items":[{
    "metadata":{"name":"web-1","namespace":"shop","uid":")" + kUid + R"(","labels":{"app":"web"}},
    "spec":{"nodeName":"n","containers":[{"name":"nginx","image":"nginx:1.27",
      "securityContext":{"privileged":true}},{"name":"side","image":"busybox"}]},
    "status":{"containerStatuses":[{"name":"nginx","containerID":"containerd://)" + kId + R"("}]}}]})");
  ASSERT_TRUE(list.ok);
  EXPECT_EQ(list.resource_version, "77");
  ASSERT_EQ(list.pods.count(kUid), 1u);
  const auto& rec = list.pods[kUid];
  EXPECT_EQ(rec.pod->name, "web-1");
  ASSERT_EQ(rec.pod->labels.size(), 1u);
  EXPECT_EQ(rec.pod->labels[0].second, "web");
  ASSERT_EQ(rec.containers.size(), 2u);
  EXPECT_EQ(rec.containers[0].id, kId);
  EXPECT_TRUE(rec.containers[0].privileged);
  EXPECT_EQ(rec.containers[1].id, "");
  EXPECT_FALSE(parse_pod_list("not json").ok);
}

}  // namespace
}  // namespace riposte::detector
