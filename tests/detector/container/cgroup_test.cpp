#include "detector/container/cgroup.h"

#include <gtest/gtest.h>

namespace riposte::detector {
namespace {

const std::string kId = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
const std::string kUid = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const std::string kUidU = "8a1b2c3d_4e5f_4a6b_8c7d_9e0f1a2b3c4d";

struct Case {
  std::string path;
  std::string runtime;  // "" = not a container
  std::string pod_uid;
  std::string qos;
};

class CgroupParse : public ::testing::TestWithParam<Case> {};

TEST_P(CgroupParse, Shape) {
  const Case& c = GetParam();
  auto got = parse_container_cgroup(c.path);
  if (c.runtime.empty()) {
    EXPECT_FALSE(got.has_value()) << c.path << " taken for container " << got->id;
    return;
  }
  ASSERT_TRUE(got.has_value()) << c.path;
  EXPECT_EQ(got->id, kId);
  EXPECT_EQ(got->runtime, c.runtime);
  EXPECT_EQ(got->pod_uid, c.pod_uid);
  EXPECT_EQ(got->qos, c.qos);
}

INSTANTIATE_TEST_SUITE_P(
    Containers, CgroupParse,
    ::testing::Values(
        // cgroupfs driver
        Case{"/kubepods/besteffort/pod" + kUid + "/" + kId, "containerd", kUid, "besteffort"},
        Case{"/kubepods/burstable/pod" + kUid + "/" + kId, "containerd", kUid, "burstable"},
        Case{"/kubepods/pod" + kUid + "/" + kId, "containerd", kUid, "guaranteed"},
        Case{"/kubepods/besteffort/pod" + kUid + "/crio-" + kId, "cri-o", kUid, "besteffort"},
        // systemd driver, every runtime
        Case{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidU +
                 ".slice/cri-containerd-" + kId + ".scope",
             "containerd", kUid, "besteffort"},
        Case{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidU +
                 ".slice/crio-" + kId + ".scope",
             "cri-o", kUid, "burstable"},
        Case{"/kubepods.slice/kubepods-pod" + kUidU + ".slice/docker-" + kId + ".scope", "docker",
             kUid, "guaranteed"},
        Case{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidU +
                 ".slice/libpod-" + kId + ".scope",
             "podman", kUid, "besteffort"},
        // nested kubelet (kind) and a cgroup-namespace-relative prefix
        Case{"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
             "kubelet-kubepods-besteffort-pod" +
                 kUidU + ".slice/cri-containerd-" + kId + ".scope",
             "containerd", kUid, "besteffort"},
        Case{"/docker/0123/kubepods/besteffort/pod" + kUid + "/" + kId, "containerd", kUid,
             "besteffort"},
        // containers outside Kubernetes
        Case{"/docker/" + kId, "docker", "", ""},
        Case{"/system.slice/docker-" + kId + ".scope", "docker", "", ""},
        Case{"/machine.slice/libpod-" + kId + ".scope", "podman", "", ""}));

INSTANTIATE_TEST_SUITE_P(
    NotContainers, CgroupParse,
    ::testing::Values(
        Case{"/", "", "", ""}, Case{"", "", "", ""},
        Case{"/user.slice/user-0.slice/session-1.scope", "", "", ""},
        Case{"/system.slice/containerd.service", "", "", ""},
        Case{"/system.slice/kubelet.service", "", "", ""},
        // the QoS and pod levels themselves (pause process, kubelet accounting)
        Case{"/kubepods.slice", "", "", ""},
        Case{"/kubepods.slice/kubepods-besteffort.slice", "", "", ""},
        Case{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidU +
                 ".slice",
             "", "", ""},
        Case{"/kubepods/besteffort/pod" + kUid, "", "", ""},
        // CRI-O's monitor, not the container
        Case{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidU +
                 ".slice/crio-conmon-" + kId + ".scope",
             "", "", ""},
        // ids that are not 64 lowercase hex digits, malformed pod uids, extra levels
        Case{"/kubepods/besteffort/pod" + kUid + "/" + kId.substr(0, 63), "", "", ""},
        Case{"/kubepods/besteffort/pod" + kUid + "/" + std::string(64, 'G'), "", "", ""},
        Case{"/kubepods/besteffort/podnot-a-uid/" + kId, "", "", ""},
        Case{"/kubepods/besteffort/pod" + kUid + "/" + kId + "/extra", "", "", ""},
        Case{"/system.slice/docker-" + kId + ".service", "", "", ""},
        Case{"/docker/" + kId.substr(0, 12), "", "", ""}));

}  // namespace
}  // namespace riposte::detector
