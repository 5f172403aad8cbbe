// Playbook objects against the real kube-apiserver, watched with the responder's own
// ServiceAccount (so deploy/rbac/responder-clusterrole.yaml is tested too): creating,
// changing and deleting a Playbook changes what runs; an object the CRD schema accepts but
// riposte refuses gets Accepted=False saying why; the watch survives a kube-apiserver restart.
// Propagation times (object written -> in force in the engine) are printed, not asserted.
#include <gmock/gmock.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "responder/crd/crd_playbook_source.h"
#include "responder/playbook_store.h"
#include "tests/responder/cluster_fixture.h"
#include "tests/support/test_util.h"

namespace riposte::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

class CrdClusterTest : public ClusterFixture {
 protected:
  void SetUp() override {
    ClusterFixture::SetUp();
    if (HasFatalFailure()) return;
    const std::string src = std::getenv("RIPOSTE_SOURCE_DIR") ? std::getenv("RIPOSTE_SOURCE_DIR") : ".";
    int rc = 0;
    std::string out = kubectl(cluster_, "apply -f " + src + "/crds/playbooks.riposte.dev.yaml -f " +
                                            src + "/crds/clusterplaybooks.riposte.dev.yaml", &rc);
    ASSERT_EQ(rc, 0) << out;
    out = kubectl(cluster_, "wait --for=condition=Established crd/playbooks.riposte.dev "
                            "crd/clusterplaybooks.riposte.dev --timeout=60s", &rc);
    ASSERT_EQ(rc, 0) << out;
    store_ = std::make_unique<responder::PlaybookStore>(std::vector<std::string>{}, *responder_,
                                                        actions::Guardrails{}, nullptr);
    ASSERT_TRUE(store_->load().ok());
    responder::crd::CrdSourceOptions o;
    o.watch.watch_timeout_s = 30;  // resumes happen during the test too
    source_ = std::make_unique<responder::crd::CrdPlaybookSource>(
        *responder_, [this](auto pbs) { store_->set_object_playbooks(std::move(pbs)); }, o);
    source_->start();
    ASSERT_TRUE(source_->wait_synced(std::chrono::seconds(30)));
  }

  void TearDown() override {
    if (source_) source_->stop();
    ClusterFixture::TearDown();
  }

  std::string playbooks_path(const std::string& name = "") const {
    return "/apis/riposte.dev/v1alpha1/namespaces/" + ns_ + "/playbooks" + (name.empty() ? "" : "/" + name);
  }
  std::string engine_name(const std::string& name) const { return "Playbook/" + ns_ + "/" + name; }

  json playbook(const std::string& name, const json& spec) const {
    return {{"apiVersion", "riposte.dev/v1alpha1"}, {"kind", "Playbook"},
            {"metadata", {{"name", name}, {"namespace", ns_}}}, {"spec", spec}};
  }

  // The engine's playbook with that name, or nullptr.
  const playbook::Playbook* in_force(const playbook::Engine& engine,
                                     const std::string& name) const {
    for (const auto& pb : engine.playbooks()) {
      if (pb.name == engine_name(name)) return &pb;
    }
    return nullptr;
  }

  // Polls (every 5 ms) until pred holds for the engine in force; the time it took, or -1.
  int64_t until_engine(const std::function<bool(const playbook::Engine&)>& pred,
                       std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < limit) {
      if (pred(*store_->current())) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }

  // The Accepted condition once its observedGeneration is `generation`; null after 60 s.
  json accepted_condition(const std::string& name, int64_t generation) {
    json found;
    eventually([&] {
      json obj = get(playbooks_path(name));
      if (!obj.is_object() || !obj.contains("status")) return false;
      for (const auto& c : obj["status"].value("conditions", json::array())) {
        if (c.value("type", "") == "Accepted" && c.value("observedGeneration", 0) == generation) {
          found = c;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  static void report(const char* what, int64_t ms) {
    std::printf("[propagation] %s: %lld ms\n", what, static_cast<long long>(ms));
    std::fflush(stdout);
  }

  std::unique_ptr<responder::PlaybookStore> store_;
  std::unique_ptr<responder::crd::CrdPlaybookSource> source_;
};

const nlohmann::json kDryRunDelete = {{"dry_run", true},
                            {"match", {{"rules", {"Terminal shell in container"}}}},
                            {"steps", {{{"action", "pod.delete"}}}}};

TEST_F(CrdClusterTest, CreatingChangingAndDeletingAPlaybookChangesWhatRuns) {
  create_pod("web-1");
  const Alert alert = shell_alert(ns_, "web-1");
  const auto runs = [&](const playbook::Engine& e) {
    for (const auto* pb : e.matching(alert)) {
      if (pb->name == engine_name("kill-shell")) return true;
    }
    return false;
  };
  ASSERT_FALSE(runs(*store_->current()));

  ASSERT_TRUE(create(playbooks_path(), playbook("kill-shell", kDryRunDelete)).ok());
  const int64_t created_ms = until_engine(runs);
  ASSERT_GE(created_ms, 0) << "the created Playbook never came into force";
  report("create -> in force", created_ms);
  auto outcome = store_->current()->handle(alert);
  ASSERT_EQ(outcome.playbooks.size(), 1u);
  EXPECT_TRUE(outcome.playbooks[0].dry_run);
  ASSERT_EQ(outcome.playbooks[0].steps.size(), 1u);
  const auto& step = outcome.playbooks[0].steps[0].result;
  EXPECT_EQ(step.status, actions::ActionResult::kDryRun) << step.message;
  ASSERT_EQ(step.requests.size(), 1u);
  EXPECT_EQ(step.requests[0].str(), "DELETE /api/v1/namespaces/" + ns_ + "/pods/web-1");
  json cond = accepted_condition("kill-shell", 1);
  ASSERT_TRUE(cond.is_object());
  EXPECT_EQ(cond["status"], "True");
  EXPECT_EQ(cond["reason"], "Valid");

  // A hostile alert naming another namespace does not reach a namespaced Playbook.
  json hostile_spec = kDryRunDelete;
  hostile_spec["match"]["rules"] = {"*"};
  ASSERT_TRUE(create(playbooks_path(), playbook("any-rule", hostile_spec)).ok());
  ASSERT_GE(until_engine([&](const playbook::Engine& e) { return in_force(e, "any-rule") != nullptr; }), 0);
  for (const auto* pb : store_->current()->matching(shell_alert("default", "web-1"))) {
    EXPECT_EQ(pb->name.rfind("Playbook/" + ns_ + "/", 0), std::string::npos) << pb->name;
  }

  // Changed: the new steps run.
  const std::string patch = R"({"spec":{"steps":[{"action":"pod.annotate","params":{"annotations":{"riposte.dev/seen":"yes"}}}]}})";
  const auto t_change = Clock::now();
  auto changed = kube_->request({.method = "PATCH", .path = playbooks_path("kill-shell"), .body = patch,
                                 .content_type = "application/merge-patch+json"});
  ASSERT_TRUE(changed.ok() && changed->status == 200) << (changed.ok() ? changed->body : changed.error());
  ASSERT_GE(until_engine([&](const playbook::Engine& e) {
              auto* pb = in_force(e, "kill-shell");
              return pb && pb->steps.at(0).action == "pod.annotate";
            }), 0);
  report("change -> in force",
         std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t_change).count());
  outcome = store_->current()->handle(alert);
  bool annotated = false;
  for (const auto& p : outcome.playbooks) {
    if (p.playbook != engine_name("kill-shell")) continue;
    ASSERT_EQ(p.steps.size(), 1u);
    EXPECT_EQ(p.steps[0].action, "pod.annotate");
    ASSERT_EQ(p.steps[0].result.requests.size(), 1u);
    EXPECT_EQ(p.steps[0].result.requests[0].method, "PATCH");
    annotated = true;
  }
  EXPECT_TRUE(annotated);
  EXPECT_EQ(accepted_condition("kill-shell", 2).value("status", ""), "True");

  // Deleted: no longer runs.
  const auto t_delete = Clock::now();
  auto deleted = kube_->request({.method = "DELETE", .path = playbooks_path("kill-shell")});
  ASSERT_TRUE(deleted.ok() && deleted->status == 200);
  ASSERT_GE(until_engine([&](const playbook::Engine& e) { return !runs(e); }), 0);
  report("delete -> out of force",
         std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t_delete).count());
}

TEST_F(CrdClusterTest, WhatTheSchemaAcceptsButRiposteRefusesIsReportedInStatus) {
  // params are free-form for the API server; pod.delete has no "grace" param. The template
  // names a field without quotes. Both pass the API server's validation.
  json spec = {{"match", {{"rules", {"*"}}}},
               {"steps", {{{"action", "pod.annotate"},
                           {"params", {{"annotations", {{"riposte.dev/why", "{{ output_fields[k8s.pod.name] }}"}}}}}},
                          {{"action", "pod.delete"}, {"params", {{"grace", 5}}}}}}};
  ASSERT_TRUE(create(playbooks_path(), playbook("refused", spec)).ok());
  ASSERT_TRUE(create(playbooks_path(), playbook("fine", kDryRunDelete)).ok());
  json cond = accepted_condition("refused", 1);
  ASSERT_TRUE(cond.is_object());
  EXPECT_EQ(cond["status"], "False");
  EXPECT_EQ(cond["reason"], "Invalid");
  const std::string message = cond.value("message", "");
  std::printf("[status] Accepted=False message: %s\n", message.c_str());
  EXPECT_THAT(message, HasSubstr("spec.steps[1].params"));
  EXPECT_THAT(message, HasSubstr("unknown param \"grace\""));
  EXPECT_THAT(message, HasSubstr("spec.steps[0].params.annotations[\"riposte.dev/why\"]"));
  EXPECT_EQ(accepted_condition("fine", 1).value("status", ""), "True");
  ASSERT_GE(until_engine([&](const playbook::Engine& e) { return in_force(e, "fine") != nullptr; }), 0);
  EXPECT_EQ(in_force(*store_->current(), "refused"), nullptr);
  // Its status is not rewritten over and over by our own watch events. (The counter moves
  // just after the server answered our write, possibly after the GET above saw it.)
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t writes = source_->status_writes();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(source_->status_writes(), writes);
}

TEST_F(CrdClusterTest, TheWatchSurvivesAnApiServerRestart) {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  const auto before = source_->stats(responder::crd::Kind::kPlaybook);
  const auto t0 = Clock::now();
  const std::string cmd = "RIPOSTE_LOCAL_DIR='" + cluster_.dir + "' '" + src +
                          "/deploy/local/cluster.sh' restart-apiserver 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[1024];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << out;
  std::printf("%s[restart] kube-apiserver down and up in %lld ms\n", out.c_str(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()));

  // Right after a restart the API server can answer 403 for a moment (its authorizer's caches
  // are still filling); this test is about the watch, so the create is tried until it lands.
  ASSERT_TRUE(eventually(
      [&] {
        auto st = create(playbooks_path(), playbook("after-restart", kDryRunDelete));
        return st.ok() || st.error().find("AlreadyExists") != std::string::npos;
      },
      std::chrono::seconds(30)));
  const int64_t ms = until_engine([&](const playbook::Engine& e) {
    return in_force(e, "after-restart") != nullptr;
  }, std::chrono::seconds(90));
  ASSERT_GE(ms, 0) << "a Playbook created after the restart never came into force";
  report("after an API server restart, create -> in force", ms);
  EXPECT_EQ(accepted_condition("after-restart", 1).value("status", ""), "True");
  const auto after = source_->stats(responder::crd::Kind::kPlaybook);
  EXPECT_GT(after.watches, before.watches);
  std::printf("[restart] playbooks watch: lists %llu -> %llu, watches %llu -> %llu, expired %llu, errors %llu\n",
              (unsigned long long)before.lists, (unsigned long long)after.lists,
              (unsigned long long)before.watches, (unsigned long long)after.watches,
              (unsigned long long)after.expired, (unsigned long long)after.errors);
}

}  // namespace
}  // namespace riposte::testing
