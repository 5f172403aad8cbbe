// CgroupControl on a cgroup tree made of plain files (the kernel's is exercised by
// tests/e2e/node_actions_e2e_test.cpp): which hierarchy serves a container, that nothing but a
// container's own cgroup is ever written, and how mount points are found.
#include "detector/node_agent/cgroup_control.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/subprocess.h"

namespace riposte::detector {
namespace {

namespace fs = std::filesystem;

const std::string kPath =
    "/kubepods/besteffort/pod11111111-2222-3333-4444-555555555555/"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class CgroupControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::make_temp_dir("cgroups");
    fs::create_directories(root_ + "/freezer" + kPath);
    fs::create_directories(root_ + "/unified" + kPath);
    std::ofstream(root_ + "/freezer" + kPath + "/freezer.state") << "THAWED\n";
    std::ofstream(root_ + "/freezer" + kPath + "/cgroup.procs") << "";
    std::ofstream(root_ + "/unified" + kPath + "/cgroup.freeze") << "0\n";
    std::ofstream(root_ + "/unified" + kPath + "/cgroup.events") << "populated 1\nfrozen 1\n";
  }
  std::string read(const std::string& rel) {
    std::ifstream in(root_ + rel);
    std::string s;
    std::getline(in, s);
    return s;
  }
  std::string root_;
};

TEST_F(CgroupControlTest, TheV1FreezerServesWhereItHoldsTheContainer) {
  CgroupControl c({root_ + "/freezer", root_ + "/unified"});
  ASSERT_TRUE(c.freeze(kPath, kPath).ok());
  EXPECT_EQ(read("/freezer" + kPath + "/freezer.state"), "FROZEN");
  EXPECT_EQ(read("/unified" + kPath + "/cgroup.freeze"), "0");  // untouched
}

TEST_F(CgroupControlTest, V2WhereThereIsNoV1Freezer) {
  CgroupControl c({"", root_ + "/unified"});
  Status st = c.freeze(kPath, kPath);
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(read("/unified" + kPath + "/cgroup.freeze"), "1");
}

TEST_F(CgroupControlTest, OnlyAContainersOwnCgroupIsEverWritten) {
  CgroupControl c({root_ + "/freezer", root_ + "/unified"});
  const std::string pod = kPath.substr(0, kPath.rfind('/'));
  for (const std::string& path : {pod, std::string("/kubepods"), std::string("/"), kPath + "/../..",
                                  std::string("/..") + kPath}) {
    Status st = c.freeze(path, path);
    EXPECT_FALSE(st.ok()) << path;
    EXPECT_NE(st.error().find("not a container's"), std::string::npos) << st.error();
  }
  EXPECT_EQ(read("/freezer" + kPath + "/freezer.state"), "THAWED");
}

TEST(FindCgroupMounts, TheHostsWritableHierarchiesNotARuntimesView) {
  const std::string dir = testing::make_temp_dir("mountinfo");
  std::ofstream(dir + "/mountinfo")
      << "30 25 0:26 /kubepods/x /sys/fs/cgroup/freezer ro,nosuid - cgroup cgroup rw,freezer\n"
         "31 25 0:27 / /sys/fs/cgroup/unified ro,nosuid - cgroup2 cgroup2 rw\n"
         "40 38 0:26 / /host/sys/fs/cgroup/freezer rw,nosuid - cgroup cgroup rw,freezer\n"
         "41 38 0:27 / /host/sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n"
         "42 38 0:28 / /host/sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids\n";
  CgroupMounts m = find_cgroup_mounts(dir + "/mountinfo");
  EXPECT_EQ(m.freezer, "/host/sys/fs/cgroup/freezer");
  EXPECT_EQ(m.unified, "/host/sys/fs/cgroup/unified");
}

}  // namespace
}  // namespace riposte::detector
