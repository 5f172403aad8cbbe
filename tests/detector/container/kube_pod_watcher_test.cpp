// KubePodWatcher against a scripted Kubernetes API: list then watch from the list's
// resourceVersion, ADDED/MODIFIED/DELETED applied, 410 Gone (as an ERROR event or an HTTP
// status) answered by a new list, transport errors retried, a miss answered by a list, and
// the cache bounded.
#include "detector/container/kube_pod_watcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace riposte::detector {
namespace {

using nlohmann::json;

std::string id64(char c) { return std::string(64, c); }

json pod(const std::string& uid, const std::string& name, char container, const std::string& rv = "1") {
  return {{"metadata", {{"uid", uid}, {"name", name}, {"namespace", "shop"}, {"resourceVersion", rv}}},
          {"spec", {{"nodeName", "node-a"}, {"containers", {{{"name", "app"}, {"image", "httpd:2.4"}}}}}},
          {"status", {{"containerStatuses", {{{"name", "app"}, {"containerID", "containerd://" + id64(container)}}}}}}};
}

class FakeKube : public kube::KubeClient {
 public:
  struct Step {
    std::string line = {};  // a watch event line
    int end_status = 0;   // >0: the stream ends with this status
    bool fail = false;    // the stream fails (transport)
  };

  Result<kube::KubeResponse> request(const kube::KubeRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(r);
    json items = json::array();
    for (const auto& p : listed_) items.push_back(p);
    return kube::KubeResponse{200, json{{"kind", "PodList"}, {"metadata", {{"resourceVersion", list_rv_}}}, {"items", items}}.dump()};
  }

  Result<int> stream(const kube::KubeRequest& r, const std::function<bool(std::string_view)>& on_data) override {
    std::unique_lock<std::mutex> lock(mu_);
    watches_.push_back(r);
    cv_.notify_all();
    for (;;) {
      cv_.wait(lock, [this] { return cancelled_ || !script_.empty(); });
      if (cancelled_) return 200;
      Step s = script_.front();
      script_.pop_front();
      cv_.notify_all();
      if (s.fail) return Error{"connection reset"};
      if (s.end_status) return s.end_status;
      busy_ = true;
      lock.unlock();
      const bool more = on_data(s.line + "\n");
      lock.lock();
      busy_ = false;
      cv_.notify_all();
      if (!more) return 200;
    }
  }
  void cancel_streams() override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

  void set_list(std::vector<json> pods, std::string rv) {
    std::lock_guard<std::mutex> lock(mu_);
    listed_ = std::move(pods);
    list_rv_ = std::move(rv);
  }
  void event(const std::string& type, const json& obj) { push({json{{"type", type}, {"object", obj}}.dump()}); }
  void push(Step s) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(s));
    cv_.notify_all();
  }
  // Waits until the script is consumed and a watch is waiting for more (all applied).
  void drained(size_t watches) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return script_.empty() && !busy_ && watches_.size() >= watches; });
  }
  size_t lists() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  kube::KubeRequest watch(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    return watches_.at(i);
  }
  static std::string query(const kube::KubeRequest& r, const std::string& key) {
    for (const auto& [k, v] : r.query) {
      if (k == key) return v;
    }
    return "<none>";
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> listed_;
  std::string list_rv_ = "10";
  std::deque<Step> script_;
  std::vector<kube::KubeRequest> requests_, watches_;
  bool cancelled_ = false;
  bool busy_ = false;  // a popped event is being applied
};

PodWatcherOptions options() {
  PodWatcherOptions o;
  o.node_name = "node-a";
  o.backoff_initial = std::chrono::milliseconds(1);
  o.backoff_max = std::chrono::milliseconds(2);
  o.min_relist = std::chrono::hours(1);  // tests that want a miss list lower it
  return o;
}

const std::string kUidA = "aaaaaaaa-0000-4000-8000-000000000001";
const std::string kUidB = "bbbbbbbb-0000-4000-8000-000000000002";

TEST(KubePodWatcher, ListsThenWatchesFromTheListVersion) {
  FakeKube kube;
  kube.set_list({pod(kUidA, "web-1", 'a')}, "10");
  KubePodWatcher w(&kube, options());
  w.start();
  kube.drained(1);
  EXPECT_TRUE(w.synced());
  auto watch = kube.watch(0);
  EXPECT_EQ(FakeKube::query(watch, "fieldSelector"), "spec.nodeName=node-a");
  EXPECT_EQ(FakeKube::query(watch, "resourceVersion"), "10");
  EXPECT_EQ(FakeKube::query(watch, "watch"), "1");
  EXPECT_EQ(FakeKube::query(watch, "allowWatchBookmarks"), "true");

  auto a = w.lookup(kUidA);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->pod->name, "web-1");
  ASSERT_EQ(a->containers.size(), 1u);
  EXPECT_EQ(a->containers[0].id, id64('a'));
  EXPECT_EQ(a->containers[0].image, "httpd:2.4");

  kube.event("ADDED", pod(kUidB, "web-2", 'b', "11"));
  kube.event("MODIFIED", pod(kUidA, "web-1-renamed", 'c', "12"));
  kube.drained(1);
  ASSERT_TRUE(w.lookup_container(id64('b')).has_value());
  EXPECT_EQ(w.lookup_container(id64('b'))->pod->name, "web-2");
  EXPECT_FALSE(w.lookup_container(id64('a')).has_value()) << "old container id unindexed";
  EXPECT_EQ(w.lookup_container(id64('c'))->pod->name, "web-1-renamed");

  kube.event("DELETED", pod(kUidB, "web-2", 'b', "13"));
  kube.push({.end_status = 200});  // the server ends the watch: resume from the last version
  kube.drained(2);
  EXPECT_FALSE(w.lookup_container(id64('b')).has_value());
  EXPECT_EQ(FakeKube::query(kube.watch(1), "resourceVersion"), "13");
  EXPECT_EQ(kube.lists(), 1u);
  EXPECT_EQ(w.stats().pods, 1u);
}

TEST(KubePodWatcher, GoneMeansListAgain) {
  FakeKube kube;
  kube.set_list({pod(kUidA, "web-1", 'a')}, "10");
  KubePodWatcher w(&kube, options());
  w.start();
  kube.drained(1);
  // The watch cache no longer has our version: an ERROR event with a 410 Status.
  kube.set_list({pod(kUidB, "web-2", 'b')}, "50");
  kube.event("ERROR", {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}});
  kube.drained(2);
  EXPECT_EQ(kube.lists(), 2u);
  EXPECT_EQ(FakeKube::query(kube.watch(1), "resourceVersion"), "50");
  EXPECT_FALSE(w.lookup_container(id64('a')).has_value()) << "a relist replaces the cache";
  EXPECT_TRUE(w.lookup_container(id64('b')).has_value());
  // ... or the same as an HTTP status.
  kube.set_list({pod(kUidA, "web-1", 'a')}, "60");
  kube.push({.end_status = 410});
  kube.drained(3);
  EXPECT_EQ(kube.lists(), 3u);
  EXPECT_EQ(FakeKube::query(kube.watch(2), "resourceVersion"), "60");
}

TEST(KubePodWatcher, TransportErrorsAreRetried) {
  FakeKube kube;
  KubePodWatcher w(&kube, options());
  w.start();
  kube.drained(1);
  kube.push({.fail = true});
  kube.push({.fail = true});
  kube.drained(3);
  kube.event("ADDED", pod(kUidA, "web-1", 'a', "20"));
  kube.drained(3);
  EXPECT_TRUE(w.lookup_container(id64('a')).has_value());
  EXPECT_EQ(w.stats().errors, 2u);
  EXPECT_EQ(kube.lists(), 1u) << "a broken watch resumes; only 410 relists";
}

TEST(KubePodWatcher, MissIsAnsweredByAListAtMostOncePerInterval) {
  FakeKube kube;
  auto o = options();
  o.min_relist = std::chrono::hours(1);
  KubePodWatcher w(&kube, o);
  w.start();
  kube.drained(1);
  // The pod exists in the API, but the watch has not delivered it (yet).
  kube.set_list({pod(kUidA, "web-1", 'a')}, "30");
  auto a = w.lookup(kUidA);
  ASSERT_TRUE(a.has_value()) << "list on miss";
  EXPECT_EQ(a->pod->name, "web-1");
  EXPECT_EQ(kube.lists(), 2u);
  EXPECT_FALSE(w.lookup(kUidB).has_value());
  EXPECT_EQ(kube.lists(), 2u) << "rate limited";
  EXPECT_EQ(w.stats().miss_lists, 1u);
}

TEST(KubePodWatcher, CacheIsBounded) {
  FakeKube kube;
  auto o = options();
  o.max_pods = 2;
  KubePodWatcher w(&kube, o);
  w.start();
  kube.drained(1);
  for (char c : {'1', '2', '3'}) {
    kube.event("ADDED", pod(std::string("cccccccc-0000-4000-8000-00000000000") + c, std::string("p") + c, c));
  }
  kube.drained(1);
  EXPECT_EQ(w.stats().pods, 2u);
  EXPECT_FALSE(w.lookup_container(id64('1')).has_value()) << "oldest dropped";
  EXPECT_TRUE(w.lookup_container(id64('3')).has_value());
}

}  // namespace
}  // namespace riposte::detector
