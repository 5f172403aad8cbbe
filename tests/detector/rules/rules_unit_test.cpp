// Unit tests for the rules engine: parser, loader, fields, operators, evaluation, alerts.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detector/rules/parser.h"
#include "detector/rules/ruleset.h"
#include "tests/detector/rules/rules_test_util.h"

namespace riposte::detector::rules {
namespace {

using testing::diags;
using testing::errors_only;
using testing::load;
using testing::make_container;
using testing::make_event;
using testing::World;

std::string rule_yaml(const std::string& cond, const std::string& extra = "") {
  std::string y = extra + "- rule: R\n  desc: d\n  priority: WARNING\n  output: out\n  condition: |\n";
  size_t start = 0;
  while (start <= cond.size()) {
    size_t nl = cond.find('\n', start);
    if (nl == std::string::npos) nl = cond.size();
    y += "    " + cond.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  return y;
}

bool has_code(const LoadResult& r, const std::string& code) {
  for (const auto& d : r.diagnostics)
    if (d.code == code) return true;
  return false;
}

// Loads a one-rule ruleset and reports whether it matches ev. Fails the test on load errors.
bool matches(const std::string& cond, const Event& ev, const std::string& extra = "") {
  auto r = load(rule_yaml(cond, extra));
  EXPECT_EQ(r.errors(), 0u) << cond << "\n" << diags(r);
  if (!r.ruleset) return false;
  std::vector<const CompiledRule*> out;
  r.ruleset->evaluate(ev, &out);
  return !out.empty();
}

// ---------------------------------------------------------------------------------------
// Parser

std::string dump(const ast::Expr& e) {
  switch (e.kind) {
    case ast::Expr::Kind::kAnd:
    case ast::Expr::Kind::kOr: {
      std::string s = e.kind == ast::Expr::Kind::kAnd ? "and(" : "or(";
      for (size_t i = 0; i < e.children.size(); ++i) s += (i ? "," : "") + dump(*e.children[i]);
      return s + ")";
    }
    case ast::Expr::Kind::kNot:
      return "not(" + dump(*e.children[0]) + ")";
    case ast::Expr::Kind::kMacroRef:
      return e.ident;
    case ast::Expr::Kind::kCheck: {
      std::string s;
      for (const auto& t : e.field.transformers) s += t + "(";
      s += e.field.name;
      if (e.field.has_arg) s += "[" + e.field.arg + "]";
      for (size_t i = 0; i < e.field.transformers.size(); ++i) s += ")";
      s += " " + e.op;
      if (e.rhs == ast::Expr::RhsKind::kList) {
        s += " (";
        for (size_t i = 0; i < e.values.size(); ++i) s += (i ? "|" : "") + e.values[i].text;
        s += ")";
      } else if (e.rhs == ast::Expr::RhsKind::kField) {
        s += " val(" + e.rhs_field.name + ")";
      } else if (!e.values.empty()) {
        s += " " + e.values[0].text;
      }
      return s;
    }
  }
  return "?";
}

TEST(RulesParser, PrecedenceAndShapes) {
  struct Case {
    std::string in, want;
  } cases[] = {
      {"a and b or c", "or(and(a,b),c)"},
      {"a or b and c", "or(a,and(b,c))"},
      {"not a and b", "and(not(a),b)"},
      {"not (a or b)", "not(or(a,b))"},
      {"not not a", "not(not(a))"},
      {"not(a)", "not(a)"},
      {"(a)and(b)", "and(a,b)"},
      {"notable and order_x", "and(notable,order_x)"},
      {"proc.name=bash", "proc.name = bash"},
      {"proc.name == bash", "proc.name = bash"},
      {"evt.dir=<", "evt.dir = <"},
      {"evt.dir = < and fd.num>=0", "and(evt.dir = <,fd.num >= 0)"},
      {"proc.name in (a, 'b c', \"d\")", "proc.name in (a|b c|d)"},
      {"proc.name in ()", "proc.name in ()"},
      {"proc.name in (runc:[0:PARENT], runc:[1:CHILD])",
       "proc.name in (runc:[0:PARENT]|runc:[1:CHILD])"},
      {"proc.aname[2]=sshd", "proc.aname[2] = sshd"},
      {"k8s.pod.label[app.kubernetes.io/name] = x", "k8s.pod.label[app.kubernetes.io/name] = x"},
      {"proc.pname exists", "proc.pname exists"},
      {"fd.name glob '/home/*/.ssh/*'", "fd.name glob /home/*/.ssh/*"},
      {"tolower(proc.name) = bash", "tolower(proc.name) = bash"},
      {"proc.name = val(proc.pname)", "proc.name = val(proc.pname)"},
      {"proc.name = tolower(proc.pname)", "proc.name = val(proc.pname)"},
      {"proc.name in shell_binaries", "proc.name in shell_binaries"},
      {"proc.cmdline contains \"a \\\"q\\\" b\"", "proc.cmdline contains a \"q\" b"},
      {"a and\n  b\n  or c", "or(and(a,b),c)"},
      {"proc.pname existsand m", "and(proc.pname exists,m)"},  // as libsinsp lexes it
      // libsinsp's escapes: \xHH, \/, "\ " as a backslash; a quote after a backslash does not
      // end the string, even an escaped backslash ("\\\"" goes on).
      {R"(x.s = "a\x41\/\tb")", "x.s = aA/\tb"},
      {R"(x.s = "bad escape \ ")", "x.s = bad escape \\"},
      {R"(x.s = 'it\'s')", "x.s = it's"},
      {R"(x.s = "a \\"b\\"")", "x.s = a \\\"b\\\""},
  };
  for (const auto& c : cases) {
    auto r = parse_condition(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.error;
    EXPECT_EQ(dump(*r.expr), c.want) << c.in;
  }
  for (const char* bad : {R"(x.s = "a\.b")", R"(x.s = "mixed \'")", R"(x.s = 'mixed \"')",
                          R"(x.s = "\x4")", R"(x.s = "\xZZ")", R"(x.s = "a\\")"}) {
    EXPECT_FALSE(parse_condition(bad).ok()) << bad;
  }
}

TEST(RulesParser, ErrorsCarryPositions) {
  struct Case {
    std::string in;
    size_t pos;
  } cases[] = {
      {"proc.name =", 11},
      {"proc.name bash", 10},
      {"(a and b", 8},
      {"a and", 5},
      {"a b", 2},
      {"proc.name in (a, b", 18},
      {"proc.name = 'abc", 12},
      {"and", 0},
  };
  for (const auto& c : cases) {
    auto r = parse_condition(c.in);
    EXPECT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.error_pos, c.pos) << c.in << ": " << r.error;
    EXPECT_FALSE(r.error.empty());
  }
}

// ---------------------------------------------------------------------------------------
// The walking skeleton's rules

constexpr const char* kSkeletonRules = R"(
- required_engine_version: 0.57.0
- required_plugin_versions:
    - name: container
      version: 0.4.0
- macro: spawned_process
  condition: (evt.type in (execve, execveat))
- macro: container
  condition: (container.id != host and container.name exists)
- list: shell_binaries
  items: [ash, bash, csh, ksh, sh, tcsh, zsh, dash]
- macro: shell_procs
  condition: (proc.name in (shell_binaries))
- macro: container_entrypoint
  condition: (not proc.pname exists or proc.pname in (runc:[0:PARENT], runc:[1:CHILD], runc, docker-runc, exe, docker-runc-cur, containerd-shim, systemd, crio, conmon))
- macro: never_true
  condition: (evt.num=0)
- macro: user_expected_terminal_shell_in_container_conditions
  condition: (never_true)
- rule: Terminal shell in container
  desc: >
    A shell was used as the entrypoint/exec point into a container with an attached terminal.
  condition: >
    spawned_process
    and container
    and shell_procs
    and proc.tty != 0
    and container_entrypoint
    and not user_expected_terminal_shell_in_container_conditions
  output: A shell was spawned in a container with an attached terminal | evt_type=%evt.type user=%user.name user_uid=%user.uid user_loginuid=%user.loginuid process=%proc.name proc_exepath=%proc.exepath parent=%proc.pname command=%proc.cmdline terminal=%proc.tty exe_flags=%evt.arg.flags
  priority: NOTICE
  tags: [maturity_stable, container, shell, mitre_execution, T1059]
- rule: Shell spawned in a container
  desc: A shell process started inside a container.
  condition: evt.type in (execve, execveat) and evt.dir=< and container.id != host and proc.name in (ash, bash, csh, ksh, sh, tcsh, zsh, dash)
  output: Shell spawned in a container (user=%user.name container_id=%container.id container_name=%container.name pod=%k8s.pod.name ns=%k8s.ns.name image=%container.image.repository shell=%proc.name parent=%proc.pname cmdline=%proc.cmdline)
  priority: warning
  tags: [container, shell]
)";

struct Skeleton {
  World w;
  std::shared_ptr<ContainerInfo> c = make_container();
  ProcessInfo* runc;
  ProcessInfo* sh;
  Skeleton() {
    runc = w.add(100, 1, "runc:[1:CHILD]", {}, c);
    sh = w.add(200, 100, "bash", {"-i"}, c);
    sh->tty = 34816;
    sh->loginuid = UINT32_MAX;
  }
};

TEST(RulesSkeleton, TerminalShellAndShellSpawned) {
  auto r = load(kSkeletonRules);
  ASSERT_EQ(r.errors(), 0u) << diags(r);
  ASSERT_TRUE(r.ok());
  const Ruleset& rs = *r.ruleset;
  EXPECT_EQ(rs.enabled_rules().size(), 2u);
  EXPECT_TRUE(rs.event_types().contains(EventType::kExecve));
  EXPECT_TRUE(rs.event_types().contains(EventType::kExecveat));
  EXPECT_EQ(rs.event_types().size(), 2u);

  Skeleton s;
  Event ev = make_event(EventType::kExecve, s.sh, &s.w);
  std::vector<const CompiledRule*> out;
  ASSERT_EQ(rs.evaluate(ev, &out), 2u);
  EXPECT_EQ(out[0]->name, "Terminal shell in container");
  EXPECT_EQ(out[0]->priority, Priority::kNotice);
  EXPECT_EQ(out[1]->name, "Shell spawned in a container");
  EXPECT_EQ(out[1]->priority, Priority::kWarning);

  // No tty: only the simple rule.
  s.sh->tty = 0;
  ASSERT_EQ(rs.evaluate(ev, &out), 1u);
  EXPECT_EQ(out[0]->name, "Shell spawned in a container");

  // On the host: neither.
  s.sh->container = nullptr;
  s.sh->tty = 34816;
  EXPECT_EQ(rs.evaluate(ev, &out), 0u);

  // Not a shell / not an exec: neither.
  s.sh->container = s.c;
  s.sh->name = "nginx";
  EXPECT_EQ(rs.evaluate(ev, &out), 0u);
  s.sh->name = "bash";
  Event open = make_event(EventType::kOpenat, s.sh, &s.w);
  EXPECT_EQ(rs.evaluate(open, &out), 0u);

  // Parent gone (container_entrypoint: not proc.pname exists).
  Event orphan = ev;
  World w2;
  ProcessInfo* lone = w2.add(300, 999, "sh", {}, s.c);
  lone->tty = 1;
  orphan.proc = lone;
  orphan.procs = &w2;
  ASSERT_EQ(rs.evaluate(orphan, &out), 2u);
}

TEST(RulesSkeleton, RuleMatchingFirst) {
  auto r = load(kSkeletonRules, RuleMatching::kFirst);
  ASSERT_TRUE(r.ok()) << diags(r);
  Skeleton s;
  Event ev = make_event(EventType::kExecve, s.sh, &s.w);
  std::vector<const CompiledRule*> out;
  ASSERT_EQ(r.ruleset->evaluate(ev, &out), 1u);
  EXPECT_EQ(out[0]->name, "Terminal shell in container");
}

TEST(RulesSkeleton, AlertJson) {
  auto r = load(kSkeletonRules);
  ASSERT_TRUE(r.ok()) << diags(r);
  Skeleton s;
  Event ev = make_event(EventType::kExecve, s.sh, &s.w);
  const CompiledRule* rule = r.ruleset->find("Terminal shell in container");
  ASSERT_NE(rule, nullptr);
  Alert a = make_alert(*rule, ev, "node-1");
  EXPECT_EQ(a.rule, "Terminal shell in container");
  EXPECT_EQ(a.priority, Priority::kNotice);
  EXPECT_EQ(a.source, "syscall");
  EXPECT_EQ(a.hostname, "node-1");
  EXPECT_EQ(a.time_ns, 1700000000123456789);
  EXPECT_EQ(a.output,
            "A shell was spawned in a container with an attached terminal | evt_type=execve "
            "user=root user_uid=0 user_loginuid=-1 process=bash proc_exepath=/usr/bin/bash "
            "parent=runc:[1:CHILD] command=bash -i terminal=34816 exe_flags=EXE_LOWER_LAYER");
  const auto& f = a.output_fields;
  EXPECT_EQ(f["evt.type"], "execve");
  EXPECT_TRUE(f["user.uid"].is_number());
  EXPECT_EQ(f["user.uid"], 0);
  EXPECT_EQ(f["user.loginuid"], -1);
  EXPECT_EQ(f["proc.tty"], 34816);
  EXPECT_EQ(f["proc.cmdline"], "bash -i");
  std::vector<std::string> want_tags = {"T1059", "container", "maturity_stable",
                                        "mitre_execution", "shell"};
  EXPECT_EQ(a.tags, want_tags);
  EXPECT_FALSE(a.uuid.empty());
  // Round-trips through the common alert codec.
  auto parsed = parse_alert(to_json(a));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->rule, a.rule);

  EXPECT_EQ(format_text_line(a).substr(0, 32), "22:13:20.123456789: Notice A she");
}

TEST(RulesSkeleton, MissingValuesAreNA) {
  auto r = load(rule_yaml("evt.type = execve") +
                "  # replaced below\n");
  ASSERT_TRUE(r.ok());
  auto r2 = load(R"(
- rule: R
  desc: d
  priority: INFO
  condition: evt.type = execve
  output: "p=%proc.pname fd=%fd.name pod=%k8s.pod.name cid=%container.id tty=%10proc.tty|"
)");
  ASSERT_TRUE(r2.ok()) << diags(r2);
  World w;
  ProcessInfo* p = w.add(10, 0, "init");
  Event ev = make_event(EventType::kExecve, p, &w);
  Alert a = make_alert(*r2.ruleset->find("R"), ev, "h");
  EXPECT_EQ(a.output, "p=<NA> fd=<NA> pod=<NA> cid=host tty=0         |");
  EXPECT_TRUE(a.output_fields["proc.pname"].is_null());
  EXPECT_TRUE(a.output_fields["fd.name"].is_null());
  EXPECT_TRUE(a.output_fields["k8s.pod.name"].is_null());
  EXPECT_EQ(a.output_fields["container.id"], "host");
}

// ---------------------------------------------------------------------------------------
// Operators and fields, table-driven

struct OpCase {
  std::string cond;
  bool want;
};

class RulesOps : public ::testing::Test {
 protected:
  void SetUp() override {
    c = make_container();
    w.add(1, 0, "systemd");
    gp = w.add(50, 1, "sshd", {"-D"});
    parent = w.add(100, 50, "bash", {"-l"});
    p = w.add(200, 100, "cat", {"/etc/shadow", "-n"}, c);
    p->tty = 5;
    p->uid = 1000;
    p->user_name = "alice";
    p->loginuid = 1000;
    p->gid = 1000;
    p->group_name = "staff";
    p->cwd = "/home/alice/";
    p->exepath = "/usr/bin/cat";
    p->start_ns = 1700000000000000000ull;
    p->cap_effective = (1ull << 21) | (1ull << 1);  // CAP_SYS_ADMIN, CAP_DAC_OVERRIDE
    p->env = {"HOME=/home/alice", "HTTP_PROXY=http://proxy:3128", "PADDED=  two words  ", "EMPTY="};
    fd.num = 3;
    fd.type = FdType::kFile;
    fd.name = "/etc/shadow";
    fd.open_flags = O_RDONLY | O_CLOEXEC;
    ev = make_event(EventType::kOpenat, p, &w);
    ev.fd = &fd;
    ev.res = 3;
    ev.args.path = "/etc/shadow";
    ev.args.flags = O_RDONLY | O_CLOEXEC;
  }
  void run(const std::vector<OpCase>& cases) {
    for (const auto& k : cases) EXPECT_EQ(matches(k.cond, ev), k.want) << k.cond;
  }
  World w;
  std::shared_ptr<ContainerInfo> c;
  ProcessInfo *gp, *parent, *p;
  FdInfo fd;
  Event ev;
};

TEST_F(RulesOps, StringOperators) {
  run({
      {"proc.name = cat", true},
      {"proc.name == cat", true},
      {"proc.name = Cat", false},
      {"proc.name != cat", false},
      {"proc.name != dog", true},
      {"fd.name contains shad", true},
      {"fd.name contains SHAD", false},
      {"fd.name icontains SHAD", true},
      {"fd.name startswith /etc/", true},
      {"fd.name startswith etc", false},
      {"fd.name endswith shadow", true},
      {"fd.name endswith /etc", false},
      {"fd.name glob '/etc/*'", true},
      {"fd.name glob '/etc/sha?ow'", true},
      {"fd.name glob '/etc/[rs]hadow'", true},
      {"fd.name glob '/etc/[!s]hadow'", false},
      {"fd.name glob '/usr/*'", false},
      {"fd.name iglob '/ETC/*'", true},
      {"fd.name regex '/etc/s.*w'", true},
      {"fd.name regex 'etc'", false},  // regex must match the whole value
      {"fd.name in (/etc/passwd, /etc/shadow)", true},
      {"fd.name in (/etc/passwd)", false},
      {"fd.name intersects (/etc/passwd, /etc/shadow)", true},
      {"fd.name pmatch (/etc)", true},
      {"fd.name pmatch (/et)", false},
      {"fd.name pmatch (/usr, /etc/)", true},
      {"fd.name pmatch (/etc/shadow)", true},
      {"proc.name exists", true},
      {"proc.pname exists", true},
      {"k8s.pod.name exists", true},
  });
  // As libsinsp: < <= > >= take a number (the grammar's NumOperator), bcontains and
  // bstartswith a bytes field, and a bytes field (evt.buffer) no ordering, glob, regex or pmatch.
  for (const char* cond :
       {"fd.name > /etc/a", "proc.name < D", "proc.tty < a", "proc.tty >= 0aaa",
        "proc.tty < 0xAAA.1", "proc.tty > \"1\"", "fd.name bcontains 736861646f77",
        "fd.name bstartswith 2f657463", "evt.buffer < 1", "evt.buffer glob a*",
        "evt.buffer regex a", "evt.buffer icontains a", "evt.buffer pmatch (/a)"}) {
    EXPECT_FALSE(load(rule_yaml(cond)).ok()) << cond;
  }
  for (const char* cond : {"proc.tty < 0x10", "proc.tty >= -1", "proc.tty <= 15",
                           "evt.buffer bcontains 736861646f77", "evt.buffer startswith a"}) {
    EXPECT_TRUE(load(rule_yaml(cond)).ok()) << cond << diags(load(rule_yaml(cond)));
  }
}

TEST_F(RulesOps, NumericBoolIpOperators) {
  run({
      {"proc.tty != 0", true},
      {"proc.tty = 5", true},
      {"proc.tty > 4 and proc.tty < 6 and proc.tty >= 5 and proc.tty <= 5", true},
      {"proc.tty in (1, 2, 5)", true},
      {"proc.tty in (1, 2)", false},
      {"user.uid = 0x3e8", true},
      {"user.loginuid = 1000", true},
      {"fd.num >= 0", true},
      {"evt.rawres = 3", true},
      {"evt.res = SUCCESS", true},
      {"evt.is_open_read = true", true},
      {"evt.is_open_write = true", false},
      {"evt.is_open_write = false", true},
      {"container.privileged = false", true},
      {"container.privileged = true", false},
  });
}

TEST_F(RulesOps, ProcessFields) {
  run({
      {"proc.pname = bash", true},
      {"proc.aname[0] = cat", true},
      {"proc.aname[1] = bash", true},
      {"proc.aname[2] = sshd", true},
      {"proc.aname[3] = systemd", true},
      {"proc.aname[4] exists", false},
      {"proc.aname = sshd", true},
      {"proc.aname in (systemd)", true},
      {"proc.aname = cat", false},  // without index: ancestors only
      {"proc.apid[2] = 50", true},
      {"proc.cmdline = \"cat /etc/shadow -n\"", true},
      {"proc.args = \"/etc/shadow -n\"", true},
      {"proc.args[0] = /etc/shadow", true},
      {"proc.args[1] = -n", true},
      {"proc.pcmdline = \"bash -l\"", true},
      {"proc.exe = cat and proc.exepath = /usr/bin/cat", true},
      {"proc.pid = 200 and proc.ppid = 100 and proc.vpid = 200", true},
      {"proc.cwd = /home/alice/", true},
      {"user.name = alice and group.gid = 1000 and group.name = staff", true},
      {"proc.env contains HTTP_PROXY", true},
      {"proc.env[HOME] = /home/alice", true},
      // libsinsp's get_env: blanks at both ends trimmed; unset or empty is "", not no value
      {"proc.env[PADDED] = \"two words\"", true},
      {"proc.env[EMPTY] = \"\"", true},
      {"proc.env[UNSET] = \"\"", true},
      {"proc.env[HOM] = \"\"", true},
      {"proc.env = \"HOME=/home/alice HTTP_PROXY=http://proxy:3128 PADDED=  two words   EMPTY=\"",
       true},
      {"thread.cap_effective contains CAP_SYS_ADMIN", true},
      {"thread.cap_effective icontains sys_admin", true},
      {"thread.cap_effective contains CAP_SYS_MODULE", false},
      {"proc.duration > 0", true},
      {"proc.sname = cat", true},
  });
}

TEST_F(RulesOps, FdContainerK8sFields) {
  run({
      {"fd.directory = /etc", true},
      {"fd.filename = shadow", true},
      {"fd.typechar = f and fd.type = file", true},
      {"evt.arg.flags contains O_RDONLY", true},
      {"evt.arg.flags contains O_CLOEXEC", true},
      {"evt.arg.flags contains O_TRUNC", false},
      {"evt.arg.name = /etc/shadow", true},
      {"evt.arg[name] = /etc/shadow", true},
      {"evt.arg.newpath exists", false},
      {"container.id = abcdef123456", true},
      {"container.id != host", true},
      {"container.name = web", true},
      {"container.image.repository = docker.io/library/nginx", true},
      {"container.image.tag = \"1.25\"", true},
      {"container.image = docker.io/library/nginx:1.25", true},
      {"k8s.ns.name = shop and k8s.pod.name = web-7d4b9", true},
      {"k8s.pod.label[app] = web", true},
      {"k8s.pod.label.app = web", true},
      {"k8s.pod.label[tier] = backend", false},
      {"k8s.pod.uid = 1111-2222", true},
      {"evt.type = openat and evt.dir = <", true},
      {"evt.num = 42", true},
      {"evt.time > 0", true},
  });
}

TEST_F(RulesOps, HostProcessHasHostContainerId) {
  p->container = nullptr;
  run({
      {"container.id = host", true},
      {"container.name = host", true},
      {"container.image.repository exists", false},
      {"not container.image.repository in (nginx)", true},
      {"k8s.pod.name exists", false},
  });
}

TEST_F(RulesOps, MacrosAndLists) {
  const std::string extra = R"(
- list: sens
  items: [/etc/shadow, /etc/sudoers]
- list: more_sens
  items: [sens, /etc/gshadow]
- list: empty
  items: []
- macro: is_sens
  condition: fd.name in (more_sens)
- macro: later_defined_user
  condition: is_sens and proc.name = cat
)";
  EXPECT_TRUE(matches("is_sens", ev, extra));
  EXPECT_TRUE(matches("later_defined_user", ev, extra));
  EXPECT_TRUE(matches("fd.name in (empty, /etc/shadow)", ev, extra));
  EXPECT_FALSE(matches("fd.name in (empty)", ev, extra));
  EXPECT_TRUE(matches("not fd.name in (empty)", ev, extra));
  EXPECT_TRUE(matches("fd.name in more_sens", ev, extra));
  EXPECT_FALSE(matches("fd.name in (\"sens\")", ev, extra));  // quoted: not a list reference
}

// ---------------------------------------------------------------------------------------
// Loader diagnostics

TEST(RulesLoader, ErrorsHaveFileLineColAndCode) {
  auto r = load(R"(- rule: R
  desc: d
  priority: WARNING
  output: out
  condition: evt.type = open and proc.nme = x
)");
  ASSERT_EQ(r.errors(), 1u) << diags(r);
  const Diagnostic& d = r.diagnostics[0];
  EXPECT_EQ(d.file, "test.yaml");
  EXPECT_EQ(d.line, 5);
  EXPECT_EQ(d.col, 34);
  EXPECT_EQ(d.code, "LOAD_ERR_COMPILE_CONDITION");
  EXPECT_NE(d.message.find("proc.nme"), std::string::npos);
  EXPECT_EQ(d.str().substr(0, 22), "test.yaml:5:34: error:");
}

// A field the sensor never fills: the rule loads, and (where asked for) a warning names the
// rule and the field, once per rule and field, whether the condition (through a macro too) or
// the output reads it.
TEST(RulesLoader, FieldsTheSensorNeverFillsAreWarnedAbout) {
  const std::string yaml = R"(- macro: api_server
  condition: fd.sip.name = kubernetes.default.svc.cluster.local
- rule: K8s API
  desc: d
  priority: NOTICE
  output: api (name=%fd.sip.name buf=%evt.buffer)
  condition: evt.type = connect and api_server
- rule: Plain
  desc: d
  priority: NOTICE
  output: plain (name=%proc.name sip=%fd.sip)
  condition: evt.type = connect and fd.sport = 443
- rule: Mounts
  desc: d
  priority: NOTICE
  output: mounts
  condition: evt.type = execve and (container.mount.dest[/proc] != "<NA>" or container.mount.dest[/etc] != "<NA>")
)";
  LoadOptions opts;
  opts.warn_unfilled_fields = true;
  auto r = load_rules_from_string(yaml, opts, "test.yaml");
  ASSERT_TRUE(r.ok()) << diags(r);
  std::vector<std::string> got;
  for (const auto& d : r.diagnostics)
    if (d.code == "LOAD_UNFILLED_FIELD") got.push_back(d.str());
  ASSERT_EQ(got.size(), 3u) << diags(r);
  EXPECT_EQ(got[0],
            "test.yaml:3:3: warning: rule 'K8s API': field 'fd.sip.name' is never filled by "
            "riposte's sensor (DNS names are not tracked); the rule loads but cannot see what it "
            "reads");
  EXPECT_NE(got[1].find("rule 'K8s API': field 'evt.buffer' is never filled by riposte's sensor "
                        "(I/O buffers are not captured)"),
            std::string::npos)
      << got[1];
  // one per catalogue field, whatever its arguments
  EXPECT_NE(got[2].find("rule 'Mounts': field 'container.mount.dest' is never filled"),
            std::string::npos)
      << got[2];
  // The language alone (Falco's own cases, the default) says nothing about the sensor.
  EXPECT_FALSE(has_code(load_rules_from_string(yaml, {}, "test.yaml"), "LOAD_UNFILLED_FIELD"));
}

TEST(RulesLoader, ErrorInsideFoldedConditionAndMacro) {
  auto r = load(R"(- macro: m
  condition: >
    proc.name = a and
    fd.nam = b
- rule: R
  desc: d
  priority: WARNING
  output: out
  condition: >
    evt.type = open
    and m
)");
  ASSERT_GE(r.errors(), 1u) << diags(r);
  EXPECT_EQ(r.diagnostics[0].line, 4) << diags(r);
  EXPECT_EQ(r.diagnostics[0].col, 5) << diags(r);
}

TEST(RulesLoader, ValidationErrors) {
  struct Case {
    std::string yaml;
    std::string needle;
  } cases[] = {
      {"- rule: R\n  desc: d\n  priority: LOUD\n  output: o\n  condition: evt.type=open\n",
       "Invalid priority"},
      {"- rule: R\n  desc: d\n  priority: INFO\n  condition: evt.type=open\n", "'output'"},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type=open and nope\n",
       "Undefined macro 'nope'"},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o %proc.nme\n  condition: evt.type=open\n",
       "proc.nme"},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type=open and (\n",
       "unexpected end"},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: proc.tty = abc\n",
       "not a valid number"},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: proc.tty contains 1\n",
       "not supported"},
      {"- macro: a\n  condition: b\n- macro: b\n  condition: a\n- rule: R\n  desc: d\n  "
       "priority: INFO\n  output: o\n  condition: a\n",
       "references itself"},
      {"- list: l\n  items: [a]\n  append: true\n", ""},
      {"- rule: [oops\n", ""},
  };
  for (const auto& c : cases) {
    auto r = load(c.yaml);
    EXPECT_GE(r.errors(), 1u) << c.yaml;
    EXPECT_FALSE(r.ok());
    EXPECT_NE(errors_only(r).find(c.needle), std::string::npos) << c.yaml << "\n" << diags(r);
  }
}

TEST(RulesLoader, PriorityIsCaseInsensitiveAndDisabledRulesAreNotIndexed) {
  auto r = load(R"(
- rule: A
  desc: d
  priority: informational
  output: o
  condition: evt.type = execve
- rule: B
  desc: d
  priority: Critical
  output: o
  condition: evt.type = openat
  enabled: false
)");
  ASSERT_TRUE(r.ok()) << diags(r);
  EXPECT_EQ(r.ruleset->find("A")->priority, Priority::kInformational);
  EXPECT_EQ(r.ruleset->find("B")->priority, Priority::kCritical);
  EXPECT_EQ(r.ruleset->enabled_rules().size(), 1u);
  EXPECT_FALSE(r.ruleset->event_types().contains(EventType::kOpenat));
}

TEST(RulesLoader, SeveralFilesInOrder) {
  std::vector<RulesSource> src = {
      {"a.yaml", "- list: shells\n  items: [bash]\n- macro: m\n  condition: proc.name in (shells)\n"},
      {"b.yaml", "- list: shells\n  items: [zsh]\n  override:\n    items: append\n"
                 "- rule: R\n  desc: d\n  priority: INFO\n  output: o\n"
                 "  condition: evt.type = execve and m\n"},
  };
  auto r = load_rules_from_sources(src, {});
  ASSERT_TRUE(r.ok()) << diags(r);
  World w;
  ProcessInfo* p = w.add(5, 0, "zsh");
  Event ev = make_event(EventType::kExecve, p, &w);
  std::vector<const CompiledRule*> out;
  EXPECT_EQ(r.ruleset->evaluate(ev, &out), 1u);
}

// A later file that defines a rule of an earlier file's name replaces it (as in Falco), with a
// warning at the later definition; an override changes part of it without one.
TEST(RulesLoader, WarnsWhenALaterFileReplacesARule) {
  const std::string rule =
      "- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = execve\n";
  auto replaced = load_rules_from_sources({{"a.yaml", rule}, {"b.yaml", rule}}, {});
  ASSERT_TRUE(replaced.ok()) << diags(replaced);
  ASSERT_TRUE(has_code(replaced, "LOAD_RULE_REDEFINED")) << diags(replaced);
  for (const auto& d : replaced.diagnostics) {
    if (d.code == "LOAD_RULE_REDEFINED") {
      EXPECT_EQ(d.file, "b.yaml");
      EXPECT_EQ(d.line, 1);
    }
  }
  auto overridden = load_rules_from_sources(
      {{"a.yaml", rule},
       {"b.yaml",
        "- rule: R\n  condition: and proc.name = sh\n  override:\n    condition: append\n"}},
      {});
  ASSERT_TRUE(overridden.ok()) << diags(overridden);
  EXPECT_FALSE(has_code(overridden, "LOAD_RULE_REDEFINED")) << diags(overridden);
}

TEST(RulesLoader, WarnsAboutUnrestrictedRulesUnusedItemsUnknownKeys) {
  auto r = load(R"(
- list: unused_list
  items: [a]
- macro: unused_macro
  condition: proc.name = a
- rule: R
  desc: d
  priority: INFO
  output: o
  condition: proc.name = bash
  colour: red
)");
  EXPECT_TRUE(r.ok()) << diags(r);
  std::string all = diags(r);
  EXPECT_TRUE(has_code(r, "LOAD_NO_EVTTYPE"));
  EXPECT_TRUE(has_code(r, "LOAD_UNUSED_LIST"));
  EXPECT_TRUE(has_code(r, "LOAD_UNUSED_MACRO"));
  EXPECT_TRUE(has_code(r, "LOAD_UNKNOWN_KEY"));
  EXPECT_NE(all.find("unused_list"), std::string::npos);
  EXPECT_NE(all.find("unused_macro"), std::string::npos);
  EXPECT_NE(all.find("colour"), std::string::npos);
  EXPECT_TRUE(r.ruleset->event_types().contains(EventType::kOpenat));
}

TEST(RulesLoader, EventTypeIndexing) {
  struct Case {
    std::string cond;
    std::vector<EventType> want;  // empty = all
  } cases[] = {
      {"evt.type = execve", {EventType::kExecve}},
      {"evt.type in (open, openat) and proc.name = a", {EventType::kOpen, EventType::kOpenat}},
      {"evt.type = open or evt.type = connect", {EventType::kOpen, EventType::kConnect}},
      {"(evt.type = open or evt.type = connect) and not evt.type = connect", {EventType::kOpen}},
      {"evt.type in (open, openat) and evt.type = open", {EventType::kOpen}},
  };
  for (const auto& c : cases) {
    auto r = load(rule_yaml(c.cond));
    ASSERT_TRUE(r.ok()) << diags(r);
    EXPECT_EQ(r.ruleset->find("R")->event_types.to_vector(), c.want) << c.cond;
  }
  auto r = load(rule_yaml("evt.type != open"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.ruleset->find("R")->event_types.contains(EventType::kOpen));
  EXPECT_TRUE(r.ruleset->find("R")->event_types.contains(EventType::kOpenat));
}

}  // namespace
}  // namespace riposte::detector::rules
