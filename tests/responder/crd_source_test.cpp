// Playbook objects without a cluster: the list+watch loop against a scripted API (410 Gone as
// a status and as an ERROR event -> a new list, a broken stream -> the watch resumes from the
// last resourceVersion), the spec validated by the file loader with errors naming fields,
// status written only when it changes, and a namespaced Playbook confined to its namespace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/kube/list_watch.h"
#include "responder/crd/crd_playbook_source.h"
#include "responder/crd/playbook_object.h"
#include "responder/crd/playbook_status.h"
#include "responder/playbook/engine.h"
#include "responder/playbook_store.h"
#include "tests/support/test_util.h"

namespace riposte::responder::crd {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kPlaybooks[] = "/apis/riposte.dev/v1alpha1/playbooks";
constexpr char kClusterPlaybooks[] = "/apis/riposte.dev/v1alpha1/clusterplaybooks";

json object(const std::string& kind, const std::string& ns, const std::string& name,
            const json& spec, int64_t generation = 1, const std::string& rv = "10",
            const json& status = nullptr) {
  json md = {{"name", name}, {"uid", "uid-" + name}, {"generation", generation},
             {"resourceVersion", rv}};
  if (!ns.empty()) md["namespace"] = ns;
  json o = {{"apiVersion", "riposte.dev/v1alpha1"}, {"kind", kind}, {"metadata", md}, {"spec", spec}};
  if (!status.is_null()) o["status"] = status;
  return o;
}

json delete_any() {
  return {{"match", {{"rules", {"*"}}}}, {"steps", {{{"action", "pod.delete"}}}}};
}

// A scripted API server: lists answer from `lists`, each watch stream plays the next steps
// queued for its path, PATCHes are recorded.
class FakeApi : public kube::KubeClient {
 public:
  struct Step {
    std::string line = {};  // one watch event
    int end_status = 0;     // > 0: the stream ends with this status
    bool fail = false;      // the stream breaks (transport error)
  };

  Result<kube::KubeResponse> request(const kube::KubeRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(r);
    if (r.method == "PATCH") {
      patches_.push_back(r);
      cv_.notify_all();
      if (failing_patches_ > 0) {
        --failing_patches_;
        return kube::KubeResponse{403, "{}"};
      }
      return kube::KubeResponse{200, "{}"};
    }
    ++list_count_[r.path];
    cv_.notify_all();
    auto it = lists_.find(r.path);
    json items = it == lists_.end() ? json::array() : it->second.first;
    std::string rv = it == lists_.end() ? "1" : it->second.second;
    return kube::KubeResponse{200, json{{"metadata", {{"resourceVersion", rv}}}, {"items", items}}.dump()};
  }

  Result<int> stream(const kube::KubeRequest& r,
                     const std::function<bool(std::string_view)>& on_data) override {
    std::unique_lock<std::mutex> lock(mu_);
    watches_.push_back(r);
    cv_.notify_all();
    auto& script = scripts_[r.path];
    for (;;) {
      cv_.wait(lock, [&] { return cancelled_ || !script.empty(); });
      if (cancelled_) return 200;
      Step s = script.front();
      script.pop_front();
      if (s.fail) return Error{"connection reset"};
      if (s.end_status) return s.end_status;
      lock.unlock();
      const bool more = on_data(s.line + "\n");
      lock.lock();
      ++delivered_;
      cv_.notify_all();
      if (!more) return 200;
    }
  }

  void cancel_streams() override {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

  void set_list(const std::string& path, std::vector<json> items, std::string rv) {
    std::lock_guard<std::mutex> lock(mu_);
    lists_[path] = {json(items), std::move(rv)};
  }
  void push(const std::string& path, Step s) {
    std::lock_guard<std::mutex> lock(mu_);
    scripts_[path].push_back(std::move(s));
    cv_.notify_all();
  }
  void event(const std::string& path, const std::string& type, const json& obj) {
    push(path, {json{{"type", type}, {"object", obj}}.dump()});
  }
  // Waits until pred holds (under the lock) or 30 s pass. Re-checked every 10 ms as well as
  // on notifications: not every change the predicates read notifies, and a loaded CI machine
  // can take seconds to schedule the source's thread.
  bool until(const std::function<bool()>& pred) {
    std::unique_lock<std::mutex> lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      cv_.wait_for(lock, std::chrono::milliseconds(10));
    }
    return true;
  }
  // Waits until every queued step of path was played.
  bool drained(const std::string& path) {
    return until([&] { return scripts_[path].empty() && !watches_.empty(); });
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::pair<json, std::string>> lists_;
  std::map<std::string, std::deque<Step>> scripts_;
  std::map<std::string, int> list_count_;
  std::vector<kube::KubeRequest> requests_, patches_, watches_;
  int delivered_ = 0;
  int failing_patches_ = 0;
  bool cancelled_ = false;
};

std::string query(const kube::KubeRequest& r, const std::string& key) {
  for (const auto& [k, v] : r.query) {
    if (k == key) return v;
  }
  return "";
}

kube::ListWatchOptions fast() {
  kube::ListWatchOptions o;
  o.backoff_initial = std::chrono::milliseconds(5);
  o.backoff_max = std::chrono::milliseconds(20);
  return o;
}

// --- the list+watch loop ---------------------------------------------------------------------

struct Seen {
  std::mutex mu;
  int lists = 0;
  std::vector<std::string> events;
};

std::unique_ptr<kube::ListWatch> watcher(FakeApi* api, Seen* seen) {
  kube::ListWatchHandlers h;
  h.on_list = [seen](std::vector<json> items) {
    std::lock_guard<std::mutex> lock(seen->mu);
    ++seen->lists;
    for (const auto& i : items) seen->events.push_back("LIST " + i["metadata"]["name"].get<std::string>());
  };
  h.on_event = [seen](const std::string& type, const json& obj) {
    std::lock_guard<std::mutex> lock(seen->mu);
    seen->events.push_back(type + " " + obj["metadata"]["name"].get<std::string>());
  };
  return std::make_unique<kube::ListWatch>(api, kPlaybooks, std::move(h), fast());
}

TEST(ListWatchTest, WatchesFromTheListsVersionAndResumesFromTheLastSeen) {
  FakeApi api;
  api.set_list(kPlaybooks, {object("Playbook", "shop", "a", delete_any())}, "100");
  Seen seen;
  auto lw = watcher(&api, &seen);
  api.event(kPlaybooks, "ADDED", object("Playbook", "shop", "b", delete_any(), 1, "101"));
  api.push(kPlaybooks, {json{{"type", "BOOKMARK"}, {"object", {{"metadata", {{"resourceVersion", "150"}}}}}}.dump()});
  api.push(kPlaybooks, {.fail = true});  // the connection breaks: resume, no list
  api.event(kPlaybooks, "DELETED", object("Playbook", "shop", "a", delete_any(), 1, "151"));
  lw->start();
  ASSERT_TRUE(api.drained(kPlaybooks));
  ASSERT_TRUE(api.until([&] { return api.delivered_ == 3; }));
  lw->stop();
  ASSERT_GE(api.watches_.size(), 2u);
  EXPECT_EQ(query(api.watches_[0], "resourceVersion"), "100");
  EXPECT_EQ(query(api.watches_[0], "allowWatchBookmarks"), "true");
  EXPECT_EQ(query(api.watches_[1], "resourceVersion"), "150");  // the bookmark's
  EXPECT_EQ(api.list_count_[kPlaybooks], 1);
  EXPECT_EQ(seen.events, (std::vector<std::string>{"LIST a", "ADDED b", "DELETED a"}));
  EXPECT_EQ(lw->stats().errors, 1u);
}

TEST(ListWatchTest, GoneListsAgainWhetherAStatusOrAnErrorEvent) {
  FakeApi api;
  api.set_list(kPlaybooks, {}, "5");
  Seen seen;
  auto lw = watcher(&api, &seen);
  api.push(kPlaybooks, {.end_status = 410});
  api.push(kPlaybooks, {json{{"type", "ERROR"}, {"object", {{"kind", "Status"}, {"code", 410}}}}.dump()});
  lw->start();
  ASSERT_TRUE(api.until([&] { return api.list_count_[kPlaybooks] == 3 && api.watches_.size() == 3; }));
  lw->stop();
  EXPECT_EQ(lw->stats().expired, 2u);
  EXPECT_EQ(seen.lists, 3);
}

TEST(ListWatchTest, RefusedWatchesBackOffAndRetry) {
  FakeApi api;
  Seen seen;
  auto lw = watcher(&api, &seen);
  api.push(kPlaybooks, {.end_status = 500});
  api.push(kPlaybooks, {.fail = true});
  lw->start();
  ASSERT_TRUE(api.until([&] { return api.watches_.size() == 3; }));
  lw->stop();
  EXPECT_EQ(lw->stats().errors, 2u);
  EXPECT_EQ(api.list_count_[kPlaybooks], 1);
}

// --- objects as playbooks ---------------------------------------------------------------------

TEST(PlaybookObjectTest, AValidObjectIsAPlaybookNamedAfterIt) {
  auto o = parse_object(object("Playbook", "shop", "kill-shell", delete_any(), 3), Kind::kPlaybook);
  ASSERT_TRUE(o.has_value());
  ASSERT_TRUE(o->accepted()) << ::testing::PrintToString(o->errors);
  EXPECT_EQ(o->playbook->name, "Playbook/shop/kill-shell");
  EXPECT_EQ(o->playbook->namespace_, "shop");
  EXPECT_EQ(o->generation, 3);
  auto c = parse_object(object("ClusterPlaybook", "", "isolate", delete_any()), Kind::kClusterPlaybook);
  ASSERT_TRUE(c && c->accepted());
  EXPECT_EQ(c->playbook->name, "ClusterPlaybook/isolate");
  EXPECT_EQ(c->playbook->namespace_, "");
}

TEST(PlaybookObjectTest, WhatTheSchemaAcceptsButTheLoaderRefusesNamesTheField) {
  // workload.restore is in the CRD's enum but riposte has no such action; the template names
  // a field the wrong way; `when` is a string in the CRD schema, a mapping for riposte.
  json spec = {{"match", {{"rules", {"*"}}, {"output_fields", {{"k8s.ns.name", {{"like", "x"}}}}}}},
               {"steps",
                {{{"action", "pod.annotate"},
                  {"params", {{"annotations", {{"riposte.dev/why", "{{ output_fields[k8s.pod.name] }}"}}}}}},
                 {{"action", "workload.restore"}},
                 {{"action", "pod.delete"}, {"when", "steps[0].status == \"succeeded\""}}}}};
  auto o = parse_object(object("ClusterPlaybook", "", "bad", spec), Kind::kClusterPlaybook);
  ASSERT_TRUE(o.has_value());
  EXPECT_FALSE(o->accepted());
  const std::string all = ::testing::PrintToString(o->errors);
  EXPECT_THAT(all, HasSubstr("spec.steps[1].action: unknown action \\\"workload.restore\\\""));
  EXPECT_THAT(all, HasSubstr("spec.steps[0].params.annotations[\\\"riposte.dev/why\\\"]: pod.annotate: "));
  EXPECT_THAT(all, HasSubstr("spec.steps[2].when: "));
  EXPECT_THAT(all, HasSubstr("spec.match.output_fields[\\\"k8s.ns.name\\\"]"));
}

TEST(PlaybookObjectTest, OnlyAClusterPlaybookMayEnforceOnHostProcesses) {
  json spec = {{"enforce", {{"mode", "kill"}, {"host", true}}},
               {"match", {{"rules", {"Terminal shell in container"}}}},
               {"steps", {{{"action", "pod.delete"}}}}};
  auto o = parse_object(object("Playbook", "shop", "stop-shell", spec), Kind::kPlaybook);
  ASSERT_TRUE(o.has_value());
  EXPECT_FALSE(o->accepted());
  EXPECT_THAT(::testing::PrintToString(o->errors), HasSubstr("spec.enforce.host: "));
  auto c = parse_object(object("ClusterPlaybook", "", "stop-shell", spec), Kind::kClusterPlaybook);
  ASSERT_TRUE(c && c->accepted()) << ::testing::PrintToString(c->errors);
  ASSERT_TRUE(c->playbook->enforce.has_value());
  EXPECT_TRUE(c->playbook->enforce->host);
}

TEST(PlaybookObjectTest, AnyTextSurvivesTheWayThroughTheLoader) {
  // Beyond the BMP (JSON's surrogate pairs), a line separator, quotes and backslashes.
  const std::string utf8 = "caf\u00e9 \U0001F600 \u2028 \"q\" \\u0041 \\ end";
  json spec = {{"description", utf8},
               {"match", {{"rules", {utf8}}}},
               {"steps", {{{"action", "pod.annotate"}, {"params", {{"annotations", {{"riposte.dev/why", utf8}}}}}}}}};
  auto o = parse_object(object("Playbook", "shop", "text", spec), Kind::kPlaybook);
  ASSERT_TRUE(o && o->accepted()) << ::testing::PrintToString(o->errors);
  EXPECT_EQ(o->playbook->description, utf8);
  EXPECT_EQ(o->playbook->steps[0].params["annotations"]["riposte.dev/why"].Scalar(), utf8);
}

TEST(PlaybookObjectTest, ANamespacedPlaybookCannotActOnNodes) {
  json spec = {{"match", {{"rules", {"*"}}}},
               {"steps", {{{"action", "node.cordon"}},
                          {{"action", "pod.label"}, {"params", {{"labels", {{"a", "b"}}}, {"level", "node"}}}}}}};
  auto o = parse_object(object("Playbook", "shop", "cordon", spec), Kind::kPlaybook);
  ASSERT_TRUE(o.has_value());
  EXPECT_FALSE(o->accepted());
  ASSERT_EQ(o->errors.size(), 2u);
  EXPECT_THAT(o->errors[0], HasSubstr("spec.steps[0].action: node.cordon acts on a node"));
  EXPECT_THAT(o->errors[1], HasSubstr("spec.steps[1].params.level"));
  // The same steps are fine cluster-wide.
  auto c = parse_object(object("ClusterPlaybook", "", "cordon", spec), Kind::kClusterPlaybook);
  EXPECT_TRUE(c && c->accepted()) << ::testing::PrintToString(c->errors);
}

TEST(PlaybookStatusTest, WrittenOnlyWhenItChanges) {
  auto o = *parse_object(object("Playbook", "shop", "a", delete_any(), 2, "7"), Kind::kPlaybook);
  auto patch = status_patch(o, "2026-01-01T00:00:00Z");
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ((*patch)["metadata"]["resourceVersion"], "7");
  EXPECT_EQ((*patch)["status"]["observedGeneration"], 2);
  const json& c = (*patch)["status"]["conditions"][0];
  EXPECT_EQ(c["type"], "Accepted");
  EXPECT_EQ(c["status"], "True");
  EXPECT_EQ(c["reason"], "Valid");
  // The object as our write left it: nothing to write.
  o.status = (*patch)["status"];
  EXPECT_FALSE(status_patch(o, "2026-01-01T00:00:05Z").has_value());
  // A new generation that is still valid: written, the transition time kept.
  o.generation = 3;
  auto again = status_patch(o, "2026-01-01T00:00:09Z");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)["status"]["conditions"][0]["lastTransitionTime"], "2026-01-01T00:00:00Z");
}

// --- the source: objects -> the engine, status --------------------------------------------------

struct Sink {
  std::mutex mu;
  std::vector<std::vector<std::string>> sets;  // the names handed over, each time
  void operator()(std::vector<playbook::Playbook> pbs) {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> names;
    for (const auto& p : pbs) names.push_back(p.name);
    sets.push_back(names);
  }
  std::vector<std::string> last() {
    std::lock_guard<std::mutex> lock(mu);
    return sets.empty() ? std::vector<std::string>{} : sets.back();
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return sets.size();
  }
};

CrdSourceOptions source_options() {
  CrdSourceOptions o;
  o.watch = fast();
  return o;
}

TEST(CrdPlaybookSourceTest, AnInvalidObjectIsNotInForceAndBreaksNothingElse) {
  FakeApi api;
  json bad = {{"match", {{"rules", {"*"}}}}, {"steps", {{{"action", "workload.restore"}}}}};
  api.set_list(kPlaybooks, {object("Playbook", "shop", "good", delete_any()),
                            object("Playbook", "shop", "bad", bad)}, "20");
  api.set_list(kClusterPlaybooks, {object("ClusterPlaybook", "", "everywhere", delete_any())}, "20");
  Sink sink;
  CrdPlaybookSource source(api, std::ref(sink), source_options());
  source.start();
  ASSERT_TRUE(source.wait_synced(std::chrono::seconds(30)));
  ASSERT_TRUE(api.until([&] { return api.patches_.size() == 3; }));
  EXPECT_EQ(sink.last(), (std::vector<std::string>{"ClusterPlaybook/everywhere", "Playbook/shop/good"}));
  EXPECT_EQ(source.verdicts().at("Playbook/shop/bad"), false);
  bool saw_refusal = false;
  for (const auto& p : api.patches_) {
    if (p.path == "/apis/riposte.dev/v1alpha1/namespaces/shop/playbooks/bad/status") {
      auto body = json::parse(p.body);
      const json& c = body["status"]["conditions"][0];
      EXPECT_EQ(c["status"], "False");
      EXPECT_EQ(c["reason"], "Invalid");
      EXPECT_THAT(c["message"].get<std::string>(), HasSubstr("spec.steps[0].action: unknown action \"workload.restore\""));
      EXPECT_EQ(p.content_type, "application/merge-patch+json");
      saw_refusal = true;
    }
  }
  EXPECT_TRUE(saw_refusal);
  source.stop();
}

TEST(CrdPlaybookSourceTest, StatusIsWrittenOnceNotForItsOwnEcho) {
  FakeApi api;
  api.set_list(kPlaybooks, {object("Playbook", "shop", "a", delete_any(), 1, "30")}, "30");
  Sink sink;
  CrdPlaybookSource source(api, std::ref(sink), source_options());
  source.start();
  ASSERT_TRUE(api.until([&] { return api.patches_.size() == 1; }));
  ASSERT_TRUE(source.wait_synced(std::chrono::seconds(30)));
  const size_t published = sink.count();
  // The MODIFIED event our write causes carries the status we wrote.
  json written = json::parse(api.patches_[0].body)["status"];
  api.event(kPlaybooks, "MODIFIED", object("Playbook", "shop", "a", delete_any(), 1, "31", written));
  ASSERT_TRUE(api.drained(kPlaybooks));
  ASSERT_TRUE(api.until([&] { return api.delivered_ == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(api.patches_.size(), 1u);
  EXPECT_EQ(sink.count(), published);  // the echo changed nothing in force either
  // A spec change (new generation) that breaks it: out of force, status rewritten.
  json bad = {{"match", {{"rules", {"*"}}}}, {"steps", {{{"action", "workload.restore"}}}}};
  api.event(kPlaybooks, "MODIFIED", object("Playbook", "shop", "a", bad, 2, "32", written));
  ASSERT_TRUE(api.until([&] { return api.patches_.size() == 2; }));
  EXPECT_EQ(sink.last(), std::vector<std::string>{});
  // Deleted: nothing left, nothing written.
  api.event(kPlaybooks, "DELETED", object("Playbook", "shop", "a", bad, 2, "33"));
  ASSERT_TRUE(api.until([&] { return api.delivered_ == 3; }));
  source.stop();
  EXPECT_EQ(api.patches_.size(), 2u);
  EXPECT_TRUE(source.verdicts().empty());
}

// What --dry-run gives: the objects are in force (a dry run shows what they would do), the
// cluster is not written to, status included.
TEST(CrdPlaybookSourceTest, WithoutStatusWritesObjectsAreInForceAndNothingIsPatched) {
  FakeApi api;
  json bad = {{"match", {{"rules", {"*"}}}}, {"steps", {{{"action", "workload.restore"}}}}};
  api.set_list(kPlaybooks, {object("Playbook", "shop", "good", delete_any()),
                            object("Playbook", "shop", "bad", bad)}, "20");
  api.set_list(kClusterPlaybooks, {}, "20");
  Sink sink;
  CrdSourceOptions options = source_options();
  options.write_status = false;
  CrdPlaybookSource source(api, std::ref(sink), options);
  source.start();
  ASSERT_TRUE(source.wait_synced(std::chrono::seconds(30)));
  EXPECT_TRUE(riposte::testing::eventually(
      [&] { return sink.last() == std::vector<std::string>{"Playbook/shop/good"}; }));
  EXPECT_EQ(source.verdicts().at("Playbook/shop/bad"), false);
  source.stop();
  EXPECT_TRUE(api.patches_.empty());
}

TEST(CrdPlaybookSourceTest, ARelistAfterGoneDropsWhatWasDeletedMeanwhile) {
  FakeApi api;
  api.set_list(kPlaybooks, {object("Playbook", "shop", "a", delete_any()),
                            object("Playbook", "shop", "b", delete_any())}, "40");
  Sink sink;
  CrdPlaybookSource source(api, std::ref(sink), source_options());
  source.start();
  ASSERT_TRUE(source.wait_synced(std::chrono::seconds(30)));
  ASSERT_TRUE(api.until([&] { return api.patches_.size() == 2; }));
  api.set_list(kPlaybooks, {object("Playbook", "shop", "b", delete_any())}, "90");
  api.push(kPlaybooks, {.end_status = 410});
  ASSERT_TRUE(api.until([&] { return api.list_count_[kPlaybooks] == 2; }));
  EXPECT_TRUE(riposte::testing::eventually([&] { return sink.last() == std::vector<std::string>{"Playbook/shop/b"}; }));
  source.stop();
}

TEST(CrdPlaybookSourceTest, AFailedStatusWriteIsTriedAgainWithTheNextEvent) {
  FakeApi api;
  api.failing_patches_ = 1;  // e.g. the RBAC cache of a restarted API server still cold
  api.set_list(kPlaybooks, {object("Playbook", "shop", "a", delete_any(), 1, "50")}, "50");
  Sink sink;
  CrdPlaybookSource source(api, std::ref(sink), source_options());
  source.start();
  // The retry rides on the next list or event of either kind: the ClusterPlaybook list may
  // come after the Playbook list and retry at once, so only the total is fixed.
  ASSERT_TRUE(source.wait_synced(std::chrono::seconds(30)));
  ASSERT_TRUE(api.until([&] { return !api.patches_.empty(); }));
  api.event(kPlaybooks, "ADDED", object("Playbook", "shop", "b", delete_any(), 1, "51"));
  ASSERT_TRUE(api.until([&] { return api.patches_.size() == 3; }));
  source.stop();
  EXPECT_EQ(source.status_writes(), 2u);
  EXPECT_NE(api.patches_[1].path.find("/playbooks/"), std::string::npos);
}

// --- confinement: a namespaced Playbook in the engine ---------------------------------------------

TEST(NamespaceConfinementTest, AHostileAlertNamingAnotherNamespaceGetsNothing) {
  testing::MockKubeClient kube;  // any request would fail the test (no expectations)
  EXPECT_CALL(kube, request(::testing::_)).Times(0);
  auto o = parse_object(object("Playbook", "shop", "kill", delete_any()), Kind::kPlaybook);
  ASSERT_TRUE(o && o->accepted());
  playbook::Engine engine({*o->playbook}, kube, {});
  const Alert hostile = testing::shell_alert("payments", "api-1");
  EXPECT_TRUE(engine.matching(hostile).empty());
  // Even run directly (past matching), the guardrails keep it in its namespace.
  auto out = engine.run(engine.playbooks()[0], hostile, /*force_dry_run=*/true);
  ASSERT_EQ(out.steps.size(), 1u);
  EXPECT_EQ(out.steps[0].result.status, actions::ActionResult::kSkipped);
  EXPECT_THAT(out.steps[0].result.message, HasSubstr("outside the playbook's own namespace \"shop\""));
  EXPECT_TRUE(out.steps[0].result.requests.empty());
  // Its own namespace: matched, planned.
  const Alert own = testing::shell_alert("shop", "web-1");
  ASSERT_EQ(engine.matching(own).size(), 1u);
  auto mine = engine.run(engine.playbooks()[0], own, /*force_dry_run=*/true);
  EXPECT_EQ(mine.steps[0].result.status, actions::ActionResult::kDryRun);
}

TEST(NamespaceConfinementTest, NodesAreOutOfReachAtRunTimeToo) {
  actions::Guardrails g;
  EXPECT_TRUE(g.check_cluster_scoped("node n").ok());
  g.confined_to = "shop";
  EXPECT_FALSE(g.check_cluster_scoped("node n").ok());
  EXPECT_TRUE(g.check_namespace("shop").ok());
  EXPECT_FALSE(g.check_namespace("payments").ok());
}

TEST(PlaybookStoreObjectsTest, ObjectsRunAfterFilesAndFilesStay) {
  testing::TempDir dir;
  testing::MockKubeClient kube;
  dir.write("a.yaml", "name: from-file\nmatch: {rules: '*'}\nsteps: [{action: pod.delete}]\n");
  PlaybookStore store({dir.path()}, kube, {}, nullptr);
  ASSERT_TRUE(store.load().ok());
  auto o = parse_object(object("ClusterPlaybook", "", "obj", delete_any()), Kind::kClusterPlaybook);
  store.set_object_playbooks({*o->playbook});
  ASSERT_EQ(store.current()->playbooks().size(), 2u);
  EXPECT_EQ(store.current()->playbooks()[1].name, "ClusterPlaybook/obj");
  store.set_object_playbooks({});
  ASSERT_EQ(store.current()->playbooks().size(), 1u);
  // Objects alone (no files) make a valid set too.
  PlaybookStore only_objects({}, kube, {}, nullptr);
  ASSERT_TRUE(only_objects.load().ok());
  only_objects.set_object_playbooks({*o->playbook});
  EXPECT_EQ(only_objects.current()->playbooks().size(), 1u);
}

}  // namespace
}  // namespace riposte::responder::crd
