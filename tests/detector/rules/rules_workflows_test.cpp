// The three user workflows of issue 3, each with Falco's own rules loaded first and a user
// rules file after them (as `riposte-detector --rules falco_rules.yaml --rules local.yaml`):
//
//  (a) change the output of an upstream rule to a CSV line that can be cut into a log;
//  (b) add a rule: any process but nginx reading the TLS secret mounted at /etc/nginx/tls/
//      (also shipped in riposte's default rules);
//  (c) narrow "Terminal shell in container" to jenkins pods of the default namespace.
//
// The upstream files come from ../shared/falco-rules (tests fail with a message when it is
// missing); the user files are written here.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "detector/rules/ruleset.h"
#include "tests/detector/rules/rules_test_util.h"

namespace riposte::detector::rules {
namespace {

namespace fs = std::filesystem;
using testing::diags;
using testing::make_event;
using testing::World;

fs::path source_dir() {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  if (src != nullptr && *src != '\0') return src;
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Upstream file contents (empty, with a test failure, when the corpus is missing).
std::string upstream(const std::string& name) {
  fs::path dir = (source_dir() / ".." / "shared" / "falco-rules").lexically_normal();
  fs::path f = dir / name;
  if (!fs::exists(f)) {
    ADD_FAILURE() << "Falco rules not found at " << f
                  << " (expected the shared/ folder beside the repository)";
    return {};
  }
  return read_file(f);
}

LoadResult load_all(std::vector<RulesSource> sources) {
  LoadOptions o;
  o.rule_matching = RuleMatching::kAll;
  o.hostname = "node-1";
  return load_rules_from_sources(sources, o);
}

std::vector<std::string> fired(const LoadResult& r, const Event& ev) {
  std::vector<const CompiledRule*> out;
  r.ruleset->evaluate(ev, &out);
  std::vector<std::string> names;
  for (const auto* rule : out) names.push_back(rule->name);
  return names;
}

std::shared_ptr<ContainerInfo> pod_container(const std::string& id, const std::string& name,
                                             const std::string& pod, const std::string& ns) {
  auto c = testing::make_container(id);
  c->name = name;
  auto p = std::make_shared<PodInfo>(*c->pod);
  p->name = pod;
  p->ns = ns;
  c->pod = p;
  return c;
}

using ::testing::Contains;
using ::testing::Not;

// ---------------------------------------------------------------------------------------
// (a) A CSV output for "Launch Package Management Process in Container". The rule is in
// Falco's incubating file, which is loaded on top of the stable one (as Falco documents).

constexpr const char* kCsvOverride = R"(
- rule: Launch Package Management Process in Container
  output: "%evt.time,%container.id,%container.name,%user.name"
  override:
    output: replace
)";

TEST(RulesWorkflows, PackageManagementOutputAsCsv) {
  std::string stable = upstream("falco_rules.yaml");
  std::string incubating = upstream("falco-incubating_rules.yaml");
  if (stable.empty() || incubating.empty()) return;
  auto r = load_all({{"falco_rules.yaml", stable},
                     {"falco-incubating_rules.yaml", incubating},
                     {"local_rules.yaml", kCsvOverride}});
  ASSERT_TRUE(r.ok()) << diags(r);
  const CompiledRule* rule = r.ruleset->find("Launch Package Management Process in Container");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->output, "%evt.time,%container.id,%container.name,%user.name");
  EXPECT_EQ(rule->priority, Priority::kError);  // only the output was replaced

  World w;
  auto ctr = pod_container("a1b2c3d4e5f6", "web", "web-7d4b9-x2x9z", "shop");
  w.add(100, 1, "bash", {}, ctr);
  ProcessInfo* apt = w.add(200, 100, "apt-get", {"install", "-y", "curl"}, ctr);
  apt->user_name = "root";
  Event ev = make_event(EventType::kExecve, apt, &w);
  ev.ts_ns = 1700000000123456789ull;  // 2023-11-14T22:13:20.123456789Z
  EXPECT_THAT(fired(r, ev), Contains("Launch Package Management Process in Container"));

  Alert a = make_alert(*rule, ev, "node-1");
  EXPECT_EQ(a.output, "22:13:20.123456789,a1b2c3d4e5f6,web,root");
  EXPECT_EQ(format_text_line(a), "22:13:20.123456789: Error 22:13:20.123456789,a1b2c3d4e5f6,web,root");
  EXPECT_EQ(a.output_fields.size(), 4u);
  EXPECT_EQ(a.output_fields["container.id"], "a1b2c3d4e5f6");
  EXPECT_EQ(a.output_fields["user.name"], "root");

  // A missing value keeps the column count: "<NA>" in its place.
  apt->user_name.clear();
  EXPECT_EQ(make_alert(*rule, ev, "node-1").output, "22:13:20.123456789,a1b2c3d4e5f6,web,<NA>");

  // Not a package manager, or on the host: no alert.
  apt->name = "curl";
  EXPECT_THAT(fired(r, ev), Not(Contains("Launch Package Management Process in Container")));
  apt->name = "apt-get";
  apt->container = nullptr;
  EXPECT_THAT(fired(r, ev), Not(Contains("Launch Package Management Process in Container")));
}

// ---------------------------------------------------------------------------------------
// (b) A new rule: the TLS secret mounted at /etc/nginx/tls/ read by anything but nginx.

constexpr const char* kTlsRule = R"yaml(
- rule: Read TLS secret by non-nginx process
  desc: A process other than nginx read the TLS secret mounted at /etc/nginx/tls/.
  condition: open_read and fd.name startswith /etc/nginx/tls/ and proc.name != nginx
  output: "TLS secret read (file=%fd.name process=%proc.name pod=%k8s.pod.name ns=%k8s.ns.name)"
  priority: WARNING
  tags: [container, filesystem, mitre_credential_access, T1552.004]
)yaml";

class TlsSecret : public ::testing::Test {
 protected:
  void SetUp() override {
    ctr = pod_container("0a1b2c3d4e5f", "nginx", "web-7d4b9-x2x9z", "shop");
    nginx = w.add(100, 1, "nginx", {"-g", "daemon off;"}, ctr);
    sh = w.add(200, 100, "sh", {}, ctr);
    cat = w.add(300, 200, "cat", {"/etc/nginx/tls/tls.key"}, ctr);
  }
  Event open(ProcessInfo* p, const std::string& path, uint32_t flags, int64_t res = 5) {
    fd.num = res;
    fd.type = FdType::kFile;
    fd.name = path;
    fd.open_flags = flags;
    Event ev = make_event(EventType::kOpenat, p, &w);
    ev.fd = res >= 0 ? &fd : nullptr;
    ev.res = res;
    ev.args.path = fd.name;
    ev.args.flags = flags;
    return ev;
  }
  // Checks the rule as loaded by `r` behaves as the issue asks.
  void check(const LoadResult& r,
             const std::string& kRule = "Read TLS secret by non-nginx process") {
    ASSERT_TRUE(r.ok()) << diags(r);
    const CompiledRule* rule = r.ruleset->find(kRule);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->event_types.to_vector(),
              (std::vector<EventType>{EventType::kOpen, EventType::kOpenat, EventType::kOpenat2}));
    // cat of the key (a Kubernetes secret volume: the path goes through ..data/).
    EXPECT_THAT(fired(r, open(cat, "/etc/nginx/tls/tls.key", O_RDONLY)), Contains(kRule));
    EXPECT_THAT(fired(r, open(cat, "/etc/nginx/tls/..2024_01_01_00_00_00.1/tls.crt", O_RDONLY)),
                Contains(kRule));
    EXPECT_THAT(fired(r, open(sh, "/etc/nginx/tls/tls.key", O_RDWR)), Contains(kRule));
    // On an open event of another type as well.
    Event ev = open(cat, "/etc/nginx/tls/tls.key", O_RDONLY);
    ev.type = EventType::kOpenat2;
    EXPECT_THAT(fired(r, ev), Contains(kRule));
    Alert a = make_alert(*rule, open(cat, "/etc/nginx/tls/tls.key", O_RDONLY), "node-1");
    EXPECT_NE(a.output.find("file=/etc/nginx/tls/tls.key process=cat"), std::string::npos);
    EXPECT_EQ(a.output_fields["k8s.pod.name"], "web-7d4b9-x2x9z");
    // nginx itself, other files, writes and failed opens do not alert.
    EXPECT_THAT(fired(r, open(nginx, "/etc/nginx/tls/tls.key", O_RDONLY)), Not(Contains(kRule)));
    EXPECT_THAT(fired(r, open(cat, "/etc/nginx/nginx.conf", O_RDONLY)), Not(Contains(kRule)));
    EXPECT_THAT(fired(r, open(cat, "/etc/nginx/tlsx/tls.key", O_RDONLY)), Not(Contains(kRule)));
    EXPECT_THAT(fired(r, open(cat, "/etc/nginx/tls/tls.key", O_WRONLY)), Not(Contains(kRule)));
    EXPECT_THAT(fired(r, open(cat, "/etc/nginx/tls/tls.key", O_RDONLY, -13)),
                Not(Contains(kRule)));
    Event exec = make_event(EventType::kExecve, cat, &w);
    EXPECT_THAT(fired(r, exec), Not(Contains(kRule)));
  }
  World w;
  std::shared_ptr<ContainerInfo> ctr;
  ProcessInfo *nginx, *sh, *cat;
  FdInfo fd;
};

TEST_F(TlsSecret, UserRuleOnTopOfFalcoStable) {
  std::string stable = upstream("falco_rules.yaml");
  if (stable.empty()) return;
  check(load_all({{"falco_rules.yaml", stable}, {"local_rules.yaml", kTlsRule}}));
}

TEST_F(TlsSecret, RiposteDefaultRules) {
  fs::path f = source_dir() / "detector" / "default_rules" / "riposte_rules.yaml";
  std::string def = read_file(f);
  ASSERT_FALSE(def.empty()) << f;
  check(load_all({{"riposte_rules.yaml", def}}), "Unauthorized Access to Nginx TLS Secrets");
  // Also with the upstream rules loaded first (riposte's rules go on top of Falco's).
  std::string stable = upstream("falco_rules.yaml");
  if (stable.empty()) return;
  check(load_all({{"falco_rules.yaml", stable}, {"riposte_rules.yaml", def}}),
        "Unauthorized Access to Nginx TLS Secrets");
}

// ---------------------------------------------------------------------------------------
// (c) "Terminal shell in container", only for jenkins pods of the default namespace.

constexpr const char* kNarrowShell = R"(
- rule: Terminal shell in container
  condition: and k8s.ns.name = default and k8s.pod.name contains jenkins and proc.tty != 0
  override:
    condition: append
)";

// The same with the deprecated `append: true` form.
constexpr const char* kNarrowShellLegacy = R"(
- rule: Terminal shell in container
  condition: and k8s.ns.name = default and k8s.pod.name contains jenkins and proc.tty != 0
  append: true
)";

class NarrowShell : public ::testing::TestWithParam<const char*> {};

TEST_P(NarrowShell, OnlyJenkinsPodsInDefault) {
  std::string stable = upstream("falco_rules.yaml");
  if (stable.empty()) return;
  auto r = load_all({{"falco_rules.yaml", stable}, {"local_rules.yaml", GetParam()}});
  ASSERT_EQ(r.errors(), 0u) << diags(r);
  const std::string kRule = "Terminal shell in container";

  World w;
  auto jenkins = pod_container("111111111111", "agent", "jenkins-agent-7x2k", "default");
  auto web = pod_container("222222222222", "web", "web-7d4b9-x2x9z", "default");
  auto other_ns = pod_container("333333333333", "agent", "jenkins-agent-9z9z", "ci");
  auto shell_in = [&](std::shared_ptr<ContainerInfo> c, int64_t pid) {
    w.add(pid, 1, "runc:[1:CHILD]", {}, c);
    ProcessInfo* sh = w.add(pid + 1, pid, "bash", {}, c);
    sh->tty = 34816;
    return sh;
  };
  ProcessInfo* sh_jenkins = shell_in(jenkins, 100);
  ProcessInfo* sh_web = shell_in(web, 200);
  ProcessInfo* sh_ci = shell_in(other_ns, 300);

  EXPECT_THAT(fired(r, make_event(EventType::kExecve, sh_jenkins, &w)), Contains(kRule));
  EXPECT_THAT(fired(r, make_event(EventType::kExecve, sh_web, &w)), Not(Contains(kRule)));
  EXPECT_THAT(fired(r, make_event(EventType::kExecve, sh_ci, &w)), Not(Contains(kRule)));
  sh_jenkins->tty = 0;
  EXPECT_THAT(fired(r, make_event(EventType::kExecve, sh_jenkins, &w)), Not(Contains(kRule)));

  // Without the user file the upstream rule fires for all three.
  auto base = load_all({{"falco_rules.yaml", stable}});
  sh_jenkins->tty = 34816;
  for (ProcessInfo* p : {sh_jenkins, sh_web, sh_ci})
    EXPECT_THAT(fired(base, make_event(EventType::kExecve, p, &w)), Contains(kRule));

  // The appended text is part of the expanded condition `riposte rules explain` shows.
  LoadOptions o;
  o.expand_conditions = true;
  auto ex = load_rules_from_sources({{"falco_rules.yaml", stable}, {"local_rules.yaml", GetParam()}}, o);
  const CompiledRule* rule = ex.ruleset->find(kRule);
  ASSERT_NE(rule, nullptr);
  EXPECT_NE(rule->expanded_condition.find(
                "k8s.ns.name = default and k8s.pod.name contains jenkins and proc.tty != 0"),
            std::string::npos)
      << rule->expanded_condition;
}

INSTANTIATE_TEST_SUITE_P(Forms, NarrowShell, ::testing::Values(kNarrowShell, kNarrowShellLegacy));

// Errors in a user file point into the user file, even inside an appended condition.
TEST(RulesWorkflows, ErrorsInUserFilePointIntoIt) {
  std::string stable = upstream("falco_rules.yaml");
  if (stable.empty()) return;
  auto r = load_all({{"falco_rules.yaml", stable},
                     {"local_rules.yaml",
                      "- rule: Terminal shell in container\n"
                      "  condition: and k8s.ns.nme = default\n"
                      "  override:\n"
                      "    condition: append\n"}});
  ASSERT_EQ(r.errors(), 1u) << diags(r);
  const Diagnostic* d = nullptr;
  for (const auto& x : r.diagnostics)
    if (x.severity == Diagnostic::kError) d = &x;
  EXPECT_EQ(d->file, "local_rules.yaml");
  EXPECT_EQ(d->line, 2);
  EXPECT_EQ(d->col, 18);
  EXPECT_NE(d->message.find("k8s.ns.nme"), std::string::npos);
}

}  // namespace
}  // namespace riposte::detector::rules
