// Node-local actions on the responder's side (responder/actions/node_local_actions.cpp) with a
// fake node: the request built from the alert, guardrails and dry-run before anything is
// sent, the node's answer mapped to the step's status and kept for the audit record.
#include "responder/actions/node_local_actions.h"

#include <gtest/gtest.h>

#include <optional>

#include "responder/actions/node_agent_client.h"
#include "responder/playbook/engine.h"
#include "tests/responder/action_test_util.h"

namespace riposte::testing {
namespace {

using actions::ActionResult;

const std::string kCid = "0123456789ab";

class FakeNode : public actions::NodeAgentClient {
 public:
  Result<NodeActionReply> call(const NodeActionRequest& q, std::chrono::milliseconds) override {
    sent.push_back(q);
    if (!answer) return Error{"no responders"};
    NodeActionReply r = *answer;
    r.id = q.id;
    return r;
  }
  std::optional<NodeActionReply> answer;
  std::vector<NodeActionRequest> sent;
};

Alert node_alert() {
  Alert a = shell_alert();
  a.hostname = "node-a";
  a.time_ns = 1'700'000'000'500'000'000;
  a.output_fields["proc.pid"] = 4242;
  a.output_fields["container.id"] = kCid;
  return a;
}

class NodeLocalActions : public ::testing::Test {
 protected:
  ActionResult run(std::string_view name, const Alert& alert, const std::string& params = "{}",
                   bool dry_run = false, actions::Guardrails guardrails = {}) {
    YAML::Node p = YAML::Load(params);
    EXPECT_EQ(param_errors(name, params), std::vector<std::string>{}) << name;
    actions::ActionContext ctx{alert, p, api_, guardrails, dry_run, "pb", "run-1/0", &node_};
    return action(name).execute(ctx);
  }
  static NodeActionReply reply(NodeActionReply::Outcome o, std::string reason) {
    NodeActionReply r;
    r.outcome = o;
    r.reason = std::move(reason);
    r.targets = {"pid 4242"};
    return r;
  }
  FakeApi api_;
  FakeNode node_;
};

TEST_F(NodeLocalActions, AskTheAlertsNodeAboutTheAlertsProcessAndContainer) {
  node_.answer = reply(NodeActionReply::kDone, "killed process 4242");
  Alert a = node_alert();
  a.output_fields["proc.pid.ts"] = int64_t{1'700'000'000'100'000'000};
  ActionResult r = run("process.kill", a);
  EXPECT_EQ(r.status, ActionResult::kSucceeded) << r.message;
  ASSERT_EQ(node_.sent.size(), 1u);
  const NodeActionRequest& q = node_.sent[0];
  EXPECT_EQ(q.action, NodeAction::kProcessKill);
  EXPECT_EQ(q.node, "node-a");
  EXPECT_EQ(q.id, "run-1/0");  // the step's key: the node's log line names the run
  EXPECT_EQ(q.pid, 4242);
  EXPECT_EQ(q.start_time_ns, 1'700'000'000'100'000'000);
  EXPECT_EQ(q.started_before_ns, 0);
  EXPECT_EQ(q.container_id, kCid);
  EXPECT_FALSE(q.allow_host);
  EXPECT_FALSE(q.protected_namespaces.empty());  // the responder's, for the node to apply
  EXPECT_EQ(r.message, "node node-a: killed process 4242");
  EXPECT_EQ(r.reply["outcome"], "done");
  EXPECT_EQ(api_.calls.size(), 0u);  // no Kubernetes request
}

TEST_F(NodeLocalActions, WithoutProcPidTsTheAlertsTimeBoundsTheStart) {
  node_.answer = reply(NodeActionReply::kDone, "ok");
  run("process.kill", node_alert());
  ASSERT_EQ(node_.sent.size(), 1u);
  EXPECT_EQ(node_.sent[0].start_time_ns, 0);
  EXPECT_EQ(node_.sent[0].started_before_ns, node_alert().time_ns);
}

TEST_F(NodeLocalActions, RefusalsFailuresAndSilenceMapToStepStatuses) {
  node_.answer = reply(NodeActionReply::kRefused, "process 4242 is another process");
  ActionResult r = run("container.freeze", node_alert());
  EXPECT_EQ(r.status, ActionResult::kSkipped);
  EXPECT_EQ(r.reply["reason"], "process 4242 is another process");
  node_.answer = reply(NodeActionReply::kFailed, "freezer busy");
  r = run("container.freeze", node_alert());
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_FALSE(r.retryable);
  node_.answer.reset();  // nobody answers: asking again later may work
  r = run("container.freeze", node_alert());
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.message.find("no responders"), std::string::npos) << r.message;
}

TEST_F(NodeLocalActions, NothingIsSentForUnusableAlertsProtectedNamespacesOrDryRuns) {
  node_.answer = reply(NodeActionReply::kDone, "ok");
  Alert a = node_alert();
  a.hostname = "node-a.*";  // would widen the subject
  EXPECT_EQ(run("process.kill", a).status, ActionResult::kFailed);
  a = node_alert();
  a.output_fields["proc.pid"] = "4242; rm -rf /";
  EXPECT_EQ(run("process.kill", a).status, ActionResult::kFailed);
  a = node_alert();
  a.output_fields["container.id"] = "host";
  EXPECT_EQ(run("container.kill", a).status, ActionResult::kFailed);
  a = node_alert();
  a.output_fields.erase("proc.pid");
  EXPECT_EQ(run("forensics.capture", a).status, ActionResult::kFailed);
  a = node_alert();
  a.output_fields["k8s.ns.name"] = "kube-system";
  EXPECT_EQ(run("container.kill", a).status, ActionResult::kSkipped);
  ActionResult dry = run("container.kill", node_alert(), "{}", true);
  EXPECT_EQ(dry.status, ActionResult::kDryRun);
  ASSERT_EQ(dry.requests.size(), 1u);
  EXPECT_EQ(dry.requests[0].path, "riposte.node.node-a.action");
  EXPECT_EQ(node_.sent.size(), 0u);
}

TEST_F(NodeLocalActions, ParamsAreCheckedAtLoad) {
  EXPECT_EQ(param_errors("process.kill", "{allow_host: true, timeout_seconds: 2}"),
            std::vector<std::string>{});
  EXPECT_FALSE(param_errors("container.kill", "{allow_host: true}").empty());
  EXPECT_FALSE(param_errors("container.freeze", "{timeout_seconds: 90}").empty());
  EXPECT_FALSE(param_errors("forensics.capture", "{pid: 1}").empty());
}

TEST_F(NodeLocalActions, ANamespacedPlaybookConfinesTheNodeToItsNamespace) {
  node_.answer = reply(NodeActionReply::kDone, "ok");
  actions::Guardrails g;
  g.confined_to = "shop";
  run("container.freeze", node_alert(), "{}", false, g);
  ASSERT_EQ(node_.sent.size(), 1u);
  EXPECT_EQ(node_.sent[0].allowed_namespaces, std::vector<std::string>{"shop"});
}

TEST_F(NodeLocalActions, TheNodesReplyIsInTheRunsAuditRecord) {
  node_.answer = reply(NodeActionReply::kDone, "captured process 4242");
  node_.answer->detail = {{"exe_sha256", "ab"}};
  playbook::StepOutcome s;
  s.action = "forensics.capture";
  s.result = run("forensics.capture", node_alert());
  const nlohmann::json j = playbook::to_json(s);
  EXPECT_EQ(j["reply"]["detail"]["exe_sha256"], "ab");
  EXPECT_EQ(playbook::step_from_json(j).result.reply, s.result.reply);  // resumed runs keep it
}

// The undo of a freeze: the thaw of the container the recorded request froze, on its node,
// with today's guardrails, and nothing else (the process may be gone since).
TEST_F(NodeLocalActions, AFreezeIsUndoneByAThawOfTheRecordedContainer) {
  node_.answer = reply(NodeActionReply::kDone, "frozen");
  ActionResult frozen = run("container.freeze", node_alert());
  ASSERT_EQ(frozen.status, ActionResult::kSucceeded) << frozen.message;
  actions::Guardrails g;
  g.protected_namespaces = {"kube-system", "vault"};
  auto q = actions::thaw_request(frozen.requests.at(0).body, g, false);
  ASSERT_TRUE(q.ok()) << q.error();
  EXPECT_EQ(q->action, NodeAction::kContainerThaw);
  EXPECT_EQ(q->node, "node-a");
  EXPECT_EQ(q->container_id, kCid);
  EXPECT_EQ(q->pid, 0);
  EXPECT_NE(q->id, node_.sent.at(0).id);
  EXPECT_EQ(q->protected_namespaces, (std::vector<std::string>{"kube-system", "vault"}));

  node_.answer = reply(NodeActionReply::kDone, "thawed");
  ActionResult thawed = actions::ask_node(&node_, *q, std::chrono::seconds(1));
  EXPECT_EQ(thawed.status, ActionResult::kSucceeded) << thawed.message;
  ASSERT_EQ(node_.sent.size(), 2u);
  EXPECT_EQ(node_.sent[1].action, NodeAction::kContainerThaw);
  // Dry-run: recorded, not sent.
  q->dry_run = true;
  EXPECT_EQ(actions::ask_node(&node_, *q, std::chrono::seconds(1)).status, ActionResult::kDryRun);
  EXPECT_EQ(node_.sent.size(), 2u);
  // Only a recorded freeze of a container is undone.
  node_.answer = reply(NodeActionReply::kDone, "killed");
  ActionResult killed = run("process.kill", node_alert());
  EXPECT_FALSE(actions::thaw_request(killed.requests.at(0).body, g, false).ok());
  EXPECT_FALSE(actions::thaw_request("{\"action\":", g, false).ok());
}

}  // namespace
}  // namespace riposte::testing
