// Hot reload: a changed file takes over; an invalid one is refused and the last good set stays.
#include "responder/playbook_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/test_util.h"

namespace riposte::responder {
namespace {

constexpr char kGood[] = "name: %s\nmatch: {rules: '*'}\nsteps: [{action: pod.delete}]\n";

std::string good(const std::string& name) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kGood, name.c_str());
  return buf;
}

TEST(PlaybookStoreTest, ReloadsValidChangesAndKeepsTheLastGoodSet) {
  testing::TempDir dir;
  testing::MockKubeClient kube;
  Registry registry;
  ResponderMetrics metrics(&registry);
  dir.write("a.yaml", good("first"));
  PlaybookStore store({dir.path()}, kube, {}, &metrics);
  ASSERT_TRUE(store.load().ok());
  EXPECT_EQ(store.current()->playbooks().at(0).name, "first");
  EXPECT_FALSE(store.reload_if_changed());

  dir.write("a.yaml", "name: broken\nmatch: {rules: '*'}\nsteps: [{action: pod.nuke}]\n");
  EXPECT_FALSE(store.reload_if_changed());
  EXPECT_EQ(store.current()->playbooks().at(0).name, "first");
  EXPECT_EQ(registry.counter("riposte_responder_playbook_reloads_total", "", {{"outcome", "refused"}}).value(), 1);

  dir.write("a.yaml", good("second"));
  dir.write("b.yaml", good("third"));
  EXPECT_TRUE(store.reload_if_changed());
  ASSERT_EQ(store.current()->playbooks().size(), 2u);
  EXPECT_EQ(store.current()->playbooks().at(0).name, "second");
  EXPECT_EQ(store.generation(), 2u);

  // The watcher thread does the same by itself.
  store.watch(20);
  dir.write("c.yaml", good("fourth"));
  for (int i = 0; i < 500 && store.current()->playbooks().size() != 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(store.current()->playbooks().size(), 3u);
  store.stop();
}

}  // namespace
}  // namespace riposte::responder
