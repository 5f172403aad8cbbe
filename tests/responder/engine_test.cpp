#include "responder/playbook/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/support/test_util.h"

namespace riposte::playbook {
namespace {

using actions::ActionResult;
using kube::KubeRequest;
using ::testing::_;
using ::testing::AllOf;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::InSequence;
using testing::respond;
using ::testing::Return;
using testing::status_body;
using ::testing::StrictMock;

constexpr char kPodPath[] = "/api/v1/namespaces/shop/pods/web-1";

std::vector<Playbook> load(const std::string& yaml, const actions::ActionRegistry& registry =
                                                        actions::ActionRegistry::builtin()) {
  auto r = parse_playbooks(yaml, "test.yaml", registry);
  EXPECT_TRUE(r.ok()) << r.error_text();
  return std::move(r.playbooks);
}

const char kKillShell[] = R"(
name: kill-shell
match: {rules: ["Terminal shell in container"], priority: ">=Notice"}
steps: [{action: pod.delete, params: {grace_period_seconds: 0}}]
)";

auto delete_of(const std::string& path) {
  return AllOf(Field(&KubeRequest::method, "DELETE"), Field(&KubeRequest::path, path));
}

TEST(EngineTest, DeletesThePodNamedByTheAlert) {
  StrictMock<testing::MockKubeClient> kube;
  EXPECT_CALL(
      kube,
      request(AllOf(delete_of(kPodPath),
                    Field(&KubeRequest::body,
                          R"({"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0})"))))
      .WillOnce(Return(respond(200, R"({"kind":"Pod"})")));
  Engine engine(load(kKillShell), kube, {});
  RunOutcome out = engine.handle(testing::shell_alert());
  ASSERT_EQ(out.playbooks.size(), 1u);
  EXPECT_FALSE(out.failed());
  const auto& pb = out.playbooks[0];
  EXPECT_EQ(pb.playbook, "kill-shell");
  EXPECT_FALSE(pb.dry_run);
  ASSERT_EQ(pb.steps.size(), 1u);
  const ActionResult& r = pb.steps[0].result;
  EXPECT_EQ(r.status, ActionResult::kSucceeded);
  EXPECT_EQ(r.message, "deleted pod shop/web-1");
  EXPECT_EQ(r.targets, std::vector<std::string>{"pods/shop/web-1"});
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0].str(), std::string("DELETE ") + kPodPath);
}

TEST(EngineTest, DryRunSendsNothingButReportsTheExactRequest) {
  StrictMock<testing::MockKubeClient> kube;
  EXPECT_CALL(kube, request(_)).Times(0);
  Engine engine(load(kKillShell), kube, {});
  RunOutcome out = engine.handle(testing::shell_alert(), /*force_dry_run=*/true);
  ASSERT_EQ(out.playbooks.size(), 1u);
  EXPECT_TRUE(out.playbooks[0].dry_run);
  const ActionResult& r = out.playbooks[0].steps[0].result;
  EXPECT_EQ(r.status, ActionResult::kDryRun);
  EXPECT_EQ(r.message, "would delete pod shop/web-1");
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0].str(), "DELETE /api/v1/namespaces/shop/pods/web-1");
  EXPECT_EQ(r.requests[0].body,
            R"({"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0})");

  // The same through the playbook's own dry_run.
  Engine dry(load(R"(
name: kill-shell
dry_run: true
match: {rules: "*"}
steps: [{action: pod.delete}]
)"),
             kube, {});
  out = dry.handle(testing::shell_alert());
  EXPECT_EQ(out.playbooks[0].steps[0].result.status, ActionResult::kDryRun);
  EXPECT_EQ(out.playbooks[0].steps[0].result.requests[0].body,
            R"({"apiVersion":"v1","kind":"DeleteOptions"})");
}

TEST(EngineTest, NonMatchingAlertRunsNothing) {
  StrictMock<testing::MockKubeClient> kube;
  Engine engine(load(kKillShell), kube, {});
  Alert other = testing::shell_alert();
  other.rule = "Read sensitive file untrusted";
  EXPECT_FALSE(engine.handle(other).matched());
  Alert low = testing::shell_alert();
  low.priority = Priority::kDebug;
  EXPECT_FALSE(engine.handle(low).matched());
}

TEST(EngineTest, ResponsesBecomeResults) {
  StrictMock<testing::MockKubeClient> kube;
  const std::string forbidden =
      "pods \"web-1\" is forbidden: User \"system:serviceaccount:riposte:responder\" cannot delete "
      "resource \"pods\" in API group \"\" in the namespace \"shop\"";
  {
    InSequence seq;
    EXPECT_CALL(kube, request(_))
        .WillOnce(Return(respond(404, status_body(404, "NotFound", "gone"))));
    EXPECT_CALL(kube, request(_))
        .WillOnce(Return(respond(403, status_body(403, "Forbidden", forbidden))));
    EXPECT_CALL(kube, request(_))
        .WillOnce(Return(Result<kube::KubeResponse>(Error{"connection refused"})));
    EXPECT_CALL(kube, request(_))
        .WillOnce(Return(respond(409, status_body(409, "Conflict", "uid"))));
  }
  Engine engine(load(kKillShell), kube, {});
  auto step = [&] {
    return engine.handle(testing::shell_alert()).playbooks.at(0).steps.at(0).result;
  };

  ActionResult r = step();
  EXPECT_EQ(r.status, ActionResult::kSucceeded);
  EXPECT_EQ(r.message, "pod shop/web-1 already gone");

  r = step();
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_EQ(r.message, "deleting pod shop/web-1: forbidden (403): " + forbidden);
  EXPECT_FALSE(r.retryable);

  r = step();
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_EQ(r.message, "deleting pod shop/web-1: connection refused");
  EXPECT_TRUE(r.retryable);

  // 409 without a uid precondition is a real conflict.
  r = step();
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_THAT(r.message, HasSubstr("conflict (409)"));
}

TEST(EngineTest, UidPreconditionProtectsASuccessorPod) {
  StrictMock<testing::MockKubeClient> kube;
  const std::string uid = "0f8e4b4c-7a4b-4c39-9a4e-0123456789ab";
  EXPECT_CALL(kube,
              request(Field(&KubeRequest::body,
                            R"({"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0,)"
                            R"("preconditions":{"uid":")" +
                                uid + R"("}})")))
      .WillOnce(Return(respond(409, status_body(409, "Conflict", "Precondition failed: UID"))));
  Engine engine(load(kKillShell), kube, {});
  Alert a = testing::shell_alert();
  a.output_fields["k8s.pod.uid"] = uid;
  ActionResult r = engine.handle(a).playbooks.at(0).steps.at(0).result;
  EXPECT_EQ(r.status, ActionResult::kSucceeded);
  EXPECT_THAT(r.message, HasSubstr("a newer pod has its name"));
}

TEST(EngineTest, FailedStepStopsThePlaybookUnlessContinueOnError) {
  const char* two_steps = R"(
name: p
match: {rules: "*"}
steps:
  - {action: pod.delete, continue_on_error: %s}
  - {action: pod.delete}
)";
  for (bool cont : {false, true}) {
    StrictMock<testing::MockKubeClient> kube;
    EXPECT_CALL(kube, request(_))
        .Times(cont ? 2 : 1)
        .WillRepeatedly(Return(respond(500, status_body(500, "InternalError", "etcd down"))));
    char yaml[256];
    std::snprintf(yaml, sizeof yaml, two_steps, cont ? "true" : "false");
    Engine engine(load(yaml), kube, {});
    RunOutcome out = engine.handle(testing::shell_alert());
    EXPECT_TRUE(out.failed());
    EXPECT_TRUE(out.retryable());  // a 500
    EXPECT_TRUE(to_json(out)["playbooks"][0]["steps"][0]["retryable"].get<bool>());
    EXPECT_TRUE(out.playbooks[0].failed);
    EXPECT_EQ(out.playbooks[0].steps.size(), cont ? 2u : 1u);
  }
}

TEST(EngineTest, RunsEveryMatchingPlaybookInOrderAndAppliesGuardrails) {
  StrictMock<testing::MockKubeClient> kube;
  EXPECT_CALL(kube, request(delete_of("/api/v1/namespaces/billing/pods/web-1")))
      .WillOnce(Return(respond(200)));
  Engine engine(load(R"(
- {name: first, match: {rules: "Terminal*"}, steps: [{action: pod.delete}]}
- {name: never, match: {rules: "Other"}, steps: [{action: pod.delete}]}
- {name: second, dry_run: true, match: {rules: "*"}, steps: [{action: pod.delete}]}
)"),
                kube, {});
  RunOutcome out = engine.handle(testing::shell_alert("billing"));
  ASSERT_EQ(out.playbooks.size(), 2u);
  EXPECT_EQ(out.playbooks[0].playbook, "first");
  EXPECT_EQ(out.playbooks[0].steps[0].result.status, ActionResult::kSucceeded);
  EXPECT_EQ(out.playbooks[1].playbook, "second");
  EXPECT_EQ(out.playbooks[1].steps[0].result.status, ActionResult::kDryRun);

  // Guardrails: protected namespace, nothing sent, not a failure.
  out = engine.handle(testing::shell_alert("kube-system"));
  ASSERT_EQ(out.playbooks.size(), 2u);
  EXPECT_EQ(out.playbooks[0].steps[0].result.status, ActionResult::kSkipped);
  EXPECT_FALSE(out.failed());

  nlohmann::json j = to_json(out);
  EXPECT_EQ(j["playbooks"][0]["steps"][0]["status"], "skipped");
  EXPECT_EQ(j["playbooks"][0]["steps"][0]["targets"][0], "pods/kube-system/web-1");
}

// An action that throws, to check one bad action cannot take the responder down.
class ThrowingAction : public actions::Action {
 public:
  std::string_view name() const override { return "test.throw"; }
  std::vector<actions::ParamError> validate(const YAML::Node&) const override { return {}; }
  ActionResult execute(actions::ActionContext&) const override {
    throw std::runtime_error("kaboom");
  }
};

TEST(EngineTest, ThrowingActionIsAFailedStep) {
  actions::ActionRegistry registry;
  registry.add(std::make_unique<ThrowingAction>());
  EXPECT_THROW(registry.add(std::make_unique<ThrowingAction>()), std::logic_error);
  StrictMock<testing::MockKubeClient> kube;
  Engine engine(load("name: t\nmatch: {rules: '*'}\nsteps: [{action: test.throw}]\n", registry),
                kube, {});
  ActionResult r = engine.handle(testing::shell_alert()).playbooks.at(0).steps.at(0).result;
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_EQ(r.message, "internal error: kaboom");
}

}  // namespace
}  // namespace riposte::playbook
