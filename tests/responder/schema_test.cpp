// The playbook schema beyond the basics: tags, output_fields tests, templates, when, stop,
// cooldown, timeouts; every mistake reported with its position.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "responder/playbook/duration.h"
#include "responder/playbook/engine.h"
#include "responder/playbook/playbook.h"
#include "responder/playbook/template.h"
#include "tests/support/test_util.h"

namespace riposte::playbook {
namespace {

using actions::ActionResult;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Return;
using ::testing::StrictMock;

std::vector<std::string> diagnostics(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(d.str());
  return out;
}

Playbook one(const std::string& yaml) {
  auto r = parse_playbooks(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return r.playbooks.empty() ? Playbook{} : r.playbooks[0];
}

Alert httpd_alert() {
  Alert a = testing::shell_alert();
  a.rule = "Write below etc";
  a.priority = Priority::kError;
  a.tags = {"filesystem", "mitre_persistence", "container"};
  a.output_fields["container.image.repository"] = "docker.io/library/httpd";
  a.output_fields["fd.name"] = "/etc/passwd";
  a.output_fields["proc.pid"] = 4242;
  a.output_fields["user.name"] = "www-data";
  a.output_fields["proc.name"] = "httpd";
  return a;
}

TEST(MatchSchemaTest, OutputFieldTests) {
  Playbook pb = one(R"(
name: p
match:
  rules: "*"
  output_fields:
    k8s.ns.name: shop
    container.image.repository: {glob: "*httpd*"}
    user.name: {"!=": root, in: [www-data, apache]}
    fd.name: {regex: "^/etc/(passwd|shadow)$", exists: true}
    proc.pid: {"=": "4242"}
    k8s.pod.labels: {exists: false}
    proc.name: {not_in: [sh, bash]}
    k8s.pod.name: {not_in: [debug]}
steps: [{action: pod.delete}]
)");
  ASSERT_EQ(pb.match.output_fields.size(), 10u);
  Alert a = httpd_alert();
  EXPECT_TRUE(pb.match.matches(a));
  for (auto [field, value] : std::vector<std::pair<std::string, nlohmann::ordered_json>>{
           {"k8s.ns.name", "other"},
           {"container.image.repository", "nginx"},
           {"user.name", "root"},
           {"user.name", "nobody"},
           {"fd.name", "/etc/hosts"},
           {"proc.pid", 1},
           {"k8s.pod.labels", "app=web"},
           {"proc.name", "bash"},
           {"proc.name", "sh"}}) {
    Alert b = httpd_alert();
    b.output_fields[field] = value;
    EXPECT_FALSE(pb.match.matches(b)) << field << "=" << value;
  }
  Alert absent = httpd_alert();  // not_in, like !=, holds for an absent field
  absent.output_fields.erase("proc.name");
  EXPECT_TRUE(pb.match.matches(absent));
  absent.output_fields.erase("fd.name");
  EXPECT_FALSE(pb.match.matches(absent));
  Alert null_field = httpd_alert();
  null_field.output_fields["container.image.repository"] = nullptr;
  EXPECT_FALSE(pb.match.matches(null_field));
}

TEST(MatchSchemaTest, TagsAllOfOneSetOrAnyOfSeveral) {
  Playbook all = one("name: p\nmatch: {rules: '*', tags: [filesystem, container]}\nsteps: [{action: pod.delete}]\n");
  Playbook any = one("name: p\nmatch: {rules: '*', tags: [[network, container], [mitre_persistence]]}\nsteps: [{action: pod.delete}]\n");
  Alert a = httpd_alert();
  EXPECT_TRUE(all.match.matches(a));
  EXPECT_TRUE(any.match.matches(a));
  a.tags = {"filesystem"};
  EXPECT_FALSE(all.match.matches(a));
  EXPECT_FALSE(any.match.matches(a));
  a.tags = {"network", "container"};
  EXPECT_TRUE(any.match.matches(a));
}

TEST(MatchSchemaTest, RegexIsSafeOnHostileInput) {
  Playbook pb = one("name: p\nmatch: {rules: '*', output_fields: {proc.cmdline: {regex: '(a+)+b'}}}\nsteps: [{action: pod.delete}]\n");
  Alert a = httpd_alert();
  a.output_fields["proc.cmdline"] = std::string(100000, 'a');
  EXPECT_FALSE(pb.match.matches(a));
  a.output_fields["proc.cmdline"] = std::string("x\0b", 3);
  EXPECT_FALSE(pb.match.matches(a));
}

TEST(PlaybookSchemaTest, EveryMistakeHasItsPosition) {
  auto r = parse_playbooks(R"(name: p
cooldown: 5 minutes
stop: perhaps
match:
  rules: "*"
  tags: [[a], b]
  output_fields:
    a: {like: x}
    b: {regex: "("}
    c: [x]
    d: {in: []}
steps:
  - name: first
    action: pod.delete
    timeout: 10
  - action: pod.annotate
    when: {steps: {later: succeeded, first: done}}
    params: {annotations: {a: "{{ output_fields[k8s.pod.name] }}", b: "{{ nope }}", c: "{{ rule"}}
  - name: first
    action: pod.delete
    when: [x]
)",
                           "bad.yaml");
  EXPECT_THAT(
      diagnostics(r),
      ElementsAre(
          "bad.yaml:3:7: error: \"stop\" must be true or false",
          "bad.yaml:2:11: error: \"cooldown\": bad duration \"5 minutes\": expected e.g. 250ms, "
          "30s, 5m, 1h or 1m30s",
          "bad.yaml:6:15: error: \"tags\" mixes sets and single tags: use [[a, b], [c]] or [a, b]",
          "bad.yaml:8:9: error: unknown key \"like\" in output_fields[\"a\"] (expected one of: =, "
          "!=, in, not_in, glob, regex, exists)",
          HasSubstr("bad.yaml:9:16: error: bad regex \"(\": "),
          "bad.yaml:10:8: error: output_fields[\"c\"] must be a value or a mapping with one of =, "
          "!=, in, not_in, glob, regex, exists",
          "bad.yaml:11:13: error: \"in\" is empty",
          "bad.yaml:15:14: error: \"timeout\": bad duration \"10\": expected e.g. 250ms, 30s, 5m, "
          "1h or 1m30s",
          "bad.yaml:17:20: error: \"when\" refers to \"later\", which is not an earlier step's "
          "name",
          "bad.yaml:17:45: error: unknown step status \"done\" (expected succeeded, failed, "
          "skipped or dry-run)",
          HasSubstr("bad.yaml:18:31: error: pod.annotate: template: expected output_fields['KEY']"),
          HasSubstr("bad.yaml:18:71: error: pod.annotate: template: unknown variable \"nope\""),
          HasSubstr("bad.yaml:18:88: error: pod.annotate: template: \"{{\" at offset 0 has no"),
          "bad.yaml:19:11: error: duplicate step name \"first\"",
          "bad.yaml:21:11: error: \"when\" must be a mapping"));
  EXPECT_TRUE(r.playbooks.empty());
}

TEST(PlaybookSchemaTest, ParsesStopCooldownTimeoutAndWhen) {
  Playbook pb = one(R"(
name: p
stop: true
cooldown: {period: 1m30s, key: "{{ output_fields['k8s.ns.name'] }}"}
match: {rules: "*"}
steps:
  - {name: kill, action: pod.delete, timeout: 250ms}
  - action: pod.delete
    continue_on_error: true
    when: {priority: ">=Error", steps: {kill: [failed, skipped]}}
)");
  EXPECT_TRUE(pb.stop);
  ASSERT_TRUE(pb.cooldown.has_value());
  EXPECT_EQ(pb.cooldown->period_ms, 90000);
  EXPECT_EQ(*cooldown_target(*pb.cooldown, testing::shell_alert()), "shop");
  ASSERT_EQ(pb.steps.size(), 2u);
  EXPECT_EQ(pb.steps[0].name, "kill");
  EXPECT_EQ(pb.steps[0].timeout_ms, 250);
  ASSERT_TRUE(pb.steps[1].when.has_value());
  EXPECT_EQ(pb.steps[1].when->steps[0].index, 0u);
  EXPECT_THAT(pb.steps[1].when->steps[0].any_of,
              ElementsAre(ActionResult::kFailed, ActionResult::kSkipped));

  Cooldown per_pod{60000, std::nullopt};
  EXPECT_EQ(*cooldown_target(per_pod, testing::shell_alert()), "pod/shop/web-1");
}

TEST(DurationTest, Parses) {
  EXPECT_EQ(*parse_duration_ms("250ms"), 250);
  EXPECT_EQ(*parse_duration_ms("1h2m3s"), 3723000);
  for (const char* bad : {"", "5", "m", "1d", "-1s", "0s", "1000000000s", "9999h"}) {
    EXPECT_FALSE(parse_duration_ms(bad).ok()) << bad;
  }
}

TEST(TemplateTest, RendersAlertFieldsAndRefusesUndefinedOnes) {
  Alert a = httpd_alert();
  a.hostname = "node-1";
  auto t = Template::parse(
      "{{ rule }}/{{priority}} on {{ output_fields['k8s.pod.name'] }} pid "
      "{{ output_fields[\"proc.pid\"] }} tags {{ tags }} host {{ hostname }}");
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(*t->render(a),
            "Write below etc/Error on web-1 pid 4242 tags filesystem,mitre_persistence,container "
            "host node-1");
  auto missing = Template::parse("{{ output_fields['k8s.node.name'] }}");
  ASSERT_TRUE(missing.ok());
  auto r = missing->render(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "template: alert field \"k8s.node.name\" is undefined");
  a.output_fields["k8s.node.name"] = nullptr;
  EXPECT_FALSE(missing->render(a).ok());
}

TEST(EngineSchemaTest, TemplatedParamsAreRenderedAndCheckedPerAlert) {
  StrictMock<testing::MockKubeClient> kube;
  Engine engine(
      {one(R"(
name: p
match: {rules: "*"}
steps:
  - action: pod.annotate
    params: {annotations: {riposte.dev/rule: "{{ rule }}", riposte.dev/user: "{{ output_fields['user.name'] }}"}}
)")},
      kube, {});
  Alert a = httpd_alert();
  auto out = engine.handle(a, /*force_dry_run=*/true);
  const auto& step = out.playbooks.at(0).steps.at(0);
  EXPECT_EQ(step.result.status, ActionResult::kDryRun) << step.result.message;
  ASSERT_EQ(step.result.requests.size(), 1u);
  EXPECT_THAT(step.result.requests[0].body, HasSubstr("\"riposte.dev/user\":\"www-data\""));
  EXPECT_THAT(step.result.requests[0].body, HasSubstr("\"riposte.dev/rule\":\"Write below etc\""));

  a.output_fields.erase("user.name");
  out = engine.handle(a, true);
  const auto& failed = out.playbooks.at(0).steps.at(0);
  EXPECT_EQ(failed.result.status, ActionResult::kFailed);
  EXPECT_FALSE(failed.result.retryable);
  EXPECT_THAT(failed.result.message, HasSubstr("alert field \"user.name\" is undefined"));
}

TEST(EngineSchemaTest, WhenAndStop) {
  StrictMock<testing::MockKubeClient> kube;
  EXPECT_CALL(kube, request(_)).WillOnce(Return(testing::respond(404, testing::status_body(404, "NotFound", "gone"))));
  auto loaded = parse_playbooks(R"(
- name: first
  stop: true
  match: {rules: "*"}
  steps:
    - {name: kill, action: pod.delete}
    - {name: on-error, action: pod.delete, when: {steps: {kill: failed}}}
    - {name: on-ok, action: pod.delete, when: {steps: {kill: succeeded}, priority: Emergency}}
- name: never-after-stop
  match: {rules: "*"}
  steps: [{action: pod.delete}]
)",
                                "t.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.error_text();
  Engine engine(std::move(loaded.playbooks), kube, {});
  auto out = engine.handle(httpd_alert());
  ASSERT_EQ(out.playbooks.size(), 1u);
  const auto& steps = out.playbooks[0].steps;
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].result.status, ActionResult::kSucceeded);
  EXPECT_EQ(steps[1].result.status, ActionResult::kSkipped);
  EXPECT_EQ(steps[1].result.message, "\"when\" does not hold");
  EXPECT_EQ(steps[2].result.status, ActionResult::kSkipped);  // priority is Error
}

// An action slower than its step's timeout: its request goes out after the deadline.
class SlowAction : public actions::Action {
 public:
  std::string_view name() const override { return "test.slow"; }
  std::vector<actions::ParamError> validate(const YAML::Node&) const override { return {}; }
  ActionResult execute(actions::ActionContext& ctx) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto r = ctx.kube.request({.method = "DELETE", .path = "/api/v1/namespaces/shop/pods/web-1"});
    return r ? ActionResult{} : ActionResult::failed(r.error());
  }
};

// Refuses, as the real client does, a request whose deadline has passed.
class DeadlineKube : public kube::KubeClient {
 public:
  Result<kube::KubeResponse> request(const kube::KubeRequest& r) override {
    deadline = r.deadline;
    if (r.deadline != std::chrono::steady_clock::time_point{} &&
        r.deadline <= std::chrono::steady_clock::now()) {
      return Error{"step deadline passed"};
    }
    return kube::KubeResponse{200, "{}"};
  }
  std::chrono::steady_clock::time_point deadline;
};

TEST(EngineSchemaTest, StepTimeoutIsARetryableFailure) {
  static actions::ActionRegistry* registry = [] {
    auto* r = new actions::ActionRegistry();
    r->add(std::make_unique<SlowAction>());
    return r;
  }();
  DeadlineKube kube;
  auto loaded = parse_playbooks("name: t\nmatch: {rules: '*'}\nsteps: [{action: test.slow, timeout: 10ms}]\n",
                                "t.yaml", *registry);
  ASSERT_TRUE(loaded.ok()) << loaded.error_text();
  Engine engine(std::move(loaded.playbooks), kube, {});
  auto r = engine.handle(httpd_alert()).playbooks.at(0).steps.at(0).result;
  EXPECT_EQ(r.status, ActionResult::kFailed);
  EXPECT_TRUE(r.retryable);
  EXPECT_THAT(r.message, HasSubstr("timed out after 10 ms"));
  // The step's request carried its deadline, and the step returned only once its action had:
  // nothing of it is left running.
  EXPECT_NE(kube.deadline, std::chrono::steady_clock::time_point{});
}

}  // namespace
}  // namespace riposte::playbook

namespace riposte::playbook {
namespace {

// yaml-cpp 0.7 never returns on these (found by fuzzing the loader): refused up front.
TEST(PlaybookSchemaTest, LineStartingWithACommaIsRefusedBeforeYamlCppLoopsOnIt) {
  auto r = parse_playbooks("- name: a\n  match: {rules: x}\n, stop: true\n", "c.yaml");
  EXPECT_THAT(diagnostics(r),
              ElementsAre(HasSubstr("c.yaml:3:1: error: unexpected token outside of any collection")));
  // Where a bracket inside a plain scalar would fool a bracket count (also found by fuzzing).
  r = parse_playbooks(" \x89{:\n,", "d.yaml");
  EXPECT_THAT(diagnostics(r), ElementsAre(HasSubstr("d.yaml:2:1: error: unexpected token")));
  // Inside a flow collection it is legal YAML, and quotes or comments do not confuse the check.
  r = parse_playbooks(
      "name: a # it's [\ndescription: don't [\nmatch: {rules: [x\n  , y]}\nsteps: [{action: pod.delete}]\n",
      "ok.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
}

}  // namespace
}  // namespace riposte::playbook
