// Tests for the rest of Falco's rules language: append/override, exceptions,
// skip-if-unknown-filter, warn_evttypes, transformers, val(), network fields, flags, and the
// no-allocation evaluation path.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "detector/rules/ruleset.h"
#include "tests/detector/rules/event_mix.h"
#include "tests/detector/rules/rules_test_util.h"

// GCC cannot see that the replacement operator new below pairs with the operator delete.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// Counts heap allocations made while g_count_allocs is set (this test binary only).
namespace {
std::atomic<bool> g_count_allocs{false};
std::atomic<size_t> g_allocs{0};
}  // namespace

void* operator new(size_t n) {
  if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1);
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace riposte::detector::rules {
namespace {

using testing::diags;
using testing::errors_only;
using testing::load;
using testing::make_container;
using testing::make_event;
using testing::World;

bool has_code(const LoadResult& r, const std::string& code) {
  for (const auto& d : r.diagnostics)
    if (d.code == code) return true;
  return false;
}

size_t count_matches(const LoadResult& r, const Event& ev) {
  std::vector<const CompiledRule*> out;
  return r.ruleset->evaluate(ev, &out);
}

class Features : public ::testing::Test {
 protected:
  void SetUp() override {
    ctr = make_container();
    parent = w.add(100, 1, "nginx", {"-g", "daemon off;"}, ctr);
    p = w.add(200, 100, "cat", {"/etc/shadow"}, ctr);
    fd.num = 3;
    fd.type = FdType::kFile;
    fd.name = "/etc/shadow";
    fd.open_flags = O_WRONLY | O_TRUNC;
    ev = make_event(EventType::kOpenat, p, &w);
    ev.fd = &fd;
    ev.res = 3;
    ev.args.path = "/etc/shadow";
    ev.args.flags = O_WRONLY | O_TRUNC;
  }
  bool match(const std::string& yaml) {
    auto r = load(yaml);
    EXPECT_TRUE(r.ok()) << diags(r);
    if (!r.ruleset) return false;
    return count_matches(r, ev) > 0;
  }
  World w;
  std::shared_ptr<ContainerInfo> ctr;
  ProcessInfo *parent, *p;
  FdInfo fd;
  Event ev;
};

constexpr const char* kBase = R"(
- list: bins
  items: [cat, less]
- macro: opened
  condition: evt.type in (open, openat)
- rule: R
  desc: original
  priority: WARNING
  output: "file=%fd.name"
  condition: opened and proc.name in (bins)
  tags: [a]
)";

TEST_F(Features, OverrideAppendAndReplace) {
  // list append
  EXPECT_FALSE(match(std::string(kBase) + "- list: bins\n  items: [less]\n  override:\n    items: replace\n"));
  EXPECT_TRUE(match(std::string(kBase) + "- list: bins\n  items: [vi]\n  override:\n    items: append\n"));
  // macro append / replace
  EXPECT_FALSE(match(std::string(kBase) + "- macro: opened\n  condition: and fd.num = 4\n  override:\n    condition: append\n"));
  EXPECT_FALSE(match(std::string(kBase) + "- macro: opened\n  condition: evt.type = connect\n  override:\n    condition: replace\n"));
  // rule condition append / replace
  EXPECT_FALSE(match(std::string(kBase) + "- rule: R\n  condition: and fd.num = 4\n  override:\n    condition: append\n"));
  EXPECT_TRUE(match(std::string(kBase) + "- rule: R\n  condition: or proc.name = x\n  override:\n    condition: append\n"));
  EXPECT_FALSE(match(std::string(kBase) + "- rule: R\n  condition: evt.type = connect\n  override:\n    condition: replace\n"));
  // enabled replace
  EXPECT_FALSE(match(std::string(kBase) + "- rule: R\n  enabled: false\n  override:\n    enabled: replace\n"));
  // legacy append: true
  auto r = load(std::string(kBase) + "- rule: R\n  condition: and fd.num = 4\n  append: true\n");
  EXPECT_TRUE(r.ok()) << diags(r);
  EXPECT_TRUE(has_code(r, "LOAD_DEPRECATED_ITEM"));
  EXPECT_EQ(count_matches(r, ev), 0u);
  // legacy enabled-only toggle
  r = load(std::string(kBase) + "- rule: R\n  enabled: false\n");
  EXPECT_TRUE(r.ok()) << diags(r);
  EXPECT_EQ(r.ruleset->enabled_rules().size(), 0u);
}

TEST_F(Features, OverrideOtherKeys) {
  auto r = load(std::string(kBase) + R"(
- rule: R
  desc: more
  output: "proc=%proc.name"
  priority: CRITICAL
  tags: [b]
  override:
    desc: append
    output: append
    priority: replace
    tags: append
)");
  ASSERT_TRUE(r.ok()) << diags(r);
  const CompiledRule* rule = r.ruleset->find("R");
  EXPECT_EQ(rule->desc, "original more");
  EXPECT_EQ(rule->priority, Priority::kCritical);
  EXPECT_EQ(rule->tags, (std::vector<std::string>{"a", "b"}));
  Alert a = make_alert(*rule, ev, "h");
  EXPECT_EQ(a.output, "file=/etc/shadow proc=cat");
}

TEST_F(Features, OverrideErrors) {
  struct Case {
    std::string yaml, needle;
  } cases[] = {
      {"- rule: R\n  priority: INFO\n  override:\n    priority: append\n",
       "cannot be appended to"},
      {"- rule: R\n  source: x\n  override:\n    source: replace\n", "cannot be replaced"},
      {"- rule: R\n  condition: x\n  override:\n    condition: merge\n",
       "invalid override operation"},
      {"- rule: R\n  condition: and x\n  desc: y\n  override:\n    condition: append\n",
       "Unexpected key 'desc'"},
      {"- rule: R\n  override:\n    condition: append\n", "is not defined"},
      {"- rule: Nope\n  condition: and x\n  override:\n    condition: append\n",
       "no rule by that name"},
      {"- list: nope\n  items: [a]\n  override:\n    items: append\n", "no list by that name"},
      {"- macro: nope\n  condition: a\n  override:\n    condition: append\n",
       "no macro by that name"},
      {"- rule: R\n  condition: and x\n  append: true\n  override:\n    condition: append\n",
       "cannot be used together"},
      {"- list: bins\n  items: [a]\n  override:\n    items: delete\n", "Allowed values are: append replace"},
  };
  for (const auto& k : cases) {
    auto r = load(std::string(kBase) + k.yaml);
    EXPECT_FALSE(r.ok()) << k.yaml;
    EXPECT_NE(errors_only(r).find(k.needle), std::string::npos) << k.yaml << "\n" << diags(r);
  }
}

TEST_F(Features, Exceptions) {
  auto with_ex = [&](const std::string& ex) {
    return std::string(kBase) + "- rule: R\n  exceptions:\n" + ex +
           "  override:\n    exceptions: append\n";
  };
  // Multi-field tuples.
  EXPECT_FALSE(match(with_ex("    - name: e\n      fields: [proc.name, fd.name]\n"
                             "      values:\n        - [cat, /etc/shadow]\n")));
  EXPECT_TRUE(match(with_ex("    - name: e\n      fields: [proc.name, fd.name]\n"
                            "      values:\n        - [cat, /etc/passwd]\n")));
  // Comps.
  EXPECT_FALSE(match(with_ex("    - name: e\n      fields: [proc.name, fd.name]\n"
                             "      comps: [=, startswith]\n      values:\n        - [cat, /etc/]\n")));
  // Value that is itself a list (with an 'in' comp).
  EXPECT_FALSE(match(with_ex("    - name: e\n      fields: [proc.name, fd.name]\n"
                             "      comps: [in, =]\n"
                             "      values:\n        - [[less, cat], /etc/shadow]\n")));
  // A list name as value.
  EXPECT_FALSE(match(with_ex("    - name: e\n      fields: [proc.name]\n      comps: [in]\n"
                             "      values:\n        - [bins]\n")));
  // Single-field shortcut (comps defaults to in).
  EXPECT_FALSE(match(with_ex("    - name: e\n      fields: fd.name\n"
                             "      values: [/etc/passwd, /etc/shadow]\n")));
  EXPECT_TRUE(match(with_ex("    - name: e\n      fields: fd.name\n      values: [/etc/passwd]\n")));
  EXPECT_FALSE(match(with_ex("    - name: e\n      fields: fd.name\n      comps: pmatch\n"
                             "      values: [/etc]\n")));
  // No values: no effect.
  EXPECT_TRUE(match(std::string(kBase) + "- rule: R2\n  desc: d\n  priority: INFO\n  output: o\n"
                    "  condition: evt.type = openat\n  exceptions:\n    - name: e\n"
                    "      fields: [proc.name]\n"));
  // Appending values to an existing exception.
  std::string two = std::string(kBase) +
                    "- rule: R\n  exceptions:\n    - name: e\n      fields: [proc.name]\n"
                    "      values:\n        - [less]\n  override:\n    exceptions: append\n";
  EXPECT_TRUE(match(two));
  EXPECT_FALSE(match(two + "- rule: R\n  exceptions:\n    - name: e\n      values:\n"
                           "        - [cat]\n  override:\n    exceptions: append\n"));
  // Defined inline on a new rule.
  EXPECT_FALSE(match("- rule: X\n  desc: d\n  priority: INFO\n  output: o\n"
                     "  condition: evt.type = openat\n  exceptions:\n    - name: e\n"
                     "      fields: [proc.pname, proc.name]\n"
                     "      values:\n        - [nginx, cat]\n"));
}

TEST_F(Features, ExceptionErrors) {
  struct Case {
    std::string ex, needle;
  } cases[] = {
      {"    - name: e\n      fields: [proc.nam]\n      values:\n        - [cat]\n", "proc.nam"},
      {"    - name: e\n      fields: [proc.name, fd.name]\n      values:\n        - [cat]\n",
       "equal length"},
      {"    - name: e\n      fields: [proc.name]\n      comps: [=, =]\n      values:\n        - "
       "[cat]\n",
       "equal length"},
      {"    - name: e\n      fields: [proc.name]\n      comps: [like]\n      values:\n        - "
       "[cat]\n",
       "not a supported comparison operator"},
      {"    - name: e\n      fields: proc.name\n      comps: =\n      values: [cat]\n",
       "must be one of in"},
  };
  for (const auto& k : cases) {
    auto r = load("- rule: X\n  desc: d\n  priority: INFO\n  output: o\n"
                  "  condition: evt.type = openat\n  exceptions:\n" + k.ex);
    EXPECT_FALSE(r.ok()) << k.ex;
    EXPECT_NE(errors_only(r).find(k.needle), std::string::npos) << k.ex << "\n" << diags(r);
  }
}

// Two exceptions with one name: Falco loads the rule with a LOAD_EXCEPTION_NAME_NOT_UNIQUE
// warning, and both exceptions apply (riposte used to reject the file).
TEST_F(Features, DuplicateExceptionNamesWarnAndBothApply) {
  auto r = load(
      "- rule: X\n  desc: d\n  priority: INFO\n  output: o\n"
      "  condition: evt.type = openat\n  exceptions:\n"
      "    - name: e\n      fields: [proc.name]\n      values: [[nobody]]\n"
      "    - name: e\n      fields: [proc.name]\n      values: [[cat]]\n");
  ASSERT_TRUE(r.ok()) << diags(r);
  EXPECT_NE(diags(r).find("Multiple definitions of exception 'e'"), std::string::npos) << diags(r);
  EXPECT_EQ(r.ruleset->find("X")->exception_fields.size(), 2u);  // both kept
}

TEST_F(Features, SkipIfUnknownFilterAndWarnEvttypes) {
  auto r = load("- rule: X\n  desc: d\n  priority: INFO\n  output: o\n"
                "  condition: evt.type = openat and proc.future_field = 1\n"
                "  skip-if-unknown-filter: true\n"
                "- rule: Y\n  desc: d\n  priority: INFO\n  output: o\n"
                "  condition: proc.name = cat\n  warn_evttypes: false\n");
  EXPECT_TRUE(r.ok()) << diags(r);
  EXPECT_TRUE(has_code(r, "LOAD_UNKNOWN_FILTER"));
  EXPECT_FALSE(has_code(r, "LOAD_NO_EVTTYPE"));
  EXPECT_EQ(r.ruleset->find("X"), nullptr);
  ASSERT_NE(r.ruleset->find("Y"), nullptr);

  r = load("- rule: X\n  desc: d\n  priority: INFO\n  output: o\n"
           "  condition: evt.type = openat and proc.future_field = 1\n");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(errors_only(r).find("unknown field 'proc.future_field'"), std::string::npos);
}

TEST_F(Features, TransformersAndVal) {
  auto cond = [&](const std::string& c) {
    return "- rule: X\n  desc: d\n  priority: INFO\n  output: o\n  condition: >\n    evt.type = openat and " +
           c + "\n";
  };
  struct Case {
    std::string c;
    bool want;
  } cases[] = {
      {"toupper(proc.name) = CAT", true},
      {"tolower(toupper(proc.name)) = cat", true},
      {"basename(fd.name) = shadow", true},
      {"len(fd.name) = 11", true},
      {"len(fd.name) > 20", false},
      {"b64(proc.args) = x", false},
      {"proc.name = val(proc.name)", true},
      {"proc.name = val(proc.pname)", false},
      {"proc.name != val(proc.pname)", true},
      {"basename(fd.name) = val(fd.filename)", true},
      {"toupper(proc.name) = toupper(proc.name)", true},
      {"fd.name startswith val(fd.directory)", true},
  };
  for (const auto& k : cases) EXPECT_EQ(match(cond(k.c)), k.want) << k.c;
  p->args = {"Y2F0"};  // base64("cat")
  EXPECT_TRUE(match(cond("b64(proc.args) = cat")));
  auto r = load(cond("toupper(proc.tty) = 1"));
  EXPECT_FALSE(r.ok());
  r = load(cond("proc.name = val(proc.tty)"));
  EXPECT_FALSE(r.ok());
}

TEST_F(Features, OpenFlagsAndArgs) {
  auto cond = [&](const std::string& c) {
    return "- rule: X\n  desc: d\n  priority: INFO\n  output: o\n  condition: " + c + "\n";
  };
  EXPECT_TRUE(match(cond("evt.type = openat and evt.arg.flags contains O_TRUNC")));
  EXPECT_TRUE(match(cond("evt.type = openat and evt.arg.flags contains \"O_TRUNC\"")));
  EXPECT_TRUE(match(cond("evt.type = openat and evt.is_open_write = true")));
  EXPECT_FALSE(match(cond("evt.type = openat and evt.is_open_read = true")));
  EXPECT_TRUE(match(cond("evt.type = openat and evt.rawarg.flags > 0")));
  // Failed open without fd: fd.name from the arguments, fd.num = -1, evt.res = ENOENT.
  ev.fd = nullptr;
  ev.res = -2;
  EXPECT_TRUE(match(cond("evt.type = openat and fd.num = -1 and fd.typechar = 'f' and "
                         "fd.name = /etc/shadow and evt.res startswith E and evt.res = ENOENT")));
  // ptrace request names.
  Event pt = make_event(EventType::kPtrace, p, &w);
  pt.args.request = 16;
  auto r = load(cond("evt.type = ptrace and evt.arg.request contains PTRACE_ATTACH"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(count_matches(r, pt), 1u);
  // socket domain.
  Event so = make_event(EventType::kSocket, p, &w);
  so.args.domain = 17;
  r = load(cond("evt.type = socket and evt.arg.domain contains AF_PACKET"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(count_matches(r, so), 1u);
  // chmod mode.
  Event ch = make_event(EventType::kChmod, p, &w);
  ch.args.path = "/tmp/x";
  ch.args.mode = 04755;
  r = load(cond("evt.type = chmod and evt.arg.mode contains S_ISUID and evt.arg.filename = /tmp/x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(count_matches(r, ch), 1u);
}

TEST_F(Features, NetworkFieldsAndCidr) {
  FdInfo s;
  s.num = 4;
  s.type = FdType::kIpv4;
  s.name = "10.1.2.3:40000->93.184.216.34:2222";
  s.client_ip.family = 4;
  s.client_ip.bytes = {10, 1, 2, 3};
  s.server_ip.family = 4;
  s.server_ip.bytes = {93, 184, 216, 34};
  s.client_port = 40000;
  s.server_port = 2222;
  s.l4proto = 6;
  Event cn = make_event(EventType::kConnect, p, &w);
  cn.fd = &s;
  auto cond = [&](const std::string& c) {
    return "- rule: X\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = connect and " +
           c + "\n";
  };
  struct Case {
    std::string c;
    bool want;
  } cases[] = {
      {"fd.sip = 93.184.216.34", true},
      {"fd.sip = \"93.184.216.0/24\"", true},
      {"fd.cip = 10.1.2.3 and fd.lip = 10.1.2.3 and fd.rip = 93.184.216.34", true},
      {"fd.ip = 10.1.2.3", true},
      {"fd.ip != \"0.0.0.0\"", true},
      {"fd.net = \"10.0.0.0/8\"", true},
      {"fd.snet in (\"10.0.0.0/8\", \"172.16.0.0/12\", \"192.168.0.0/16\")", false},
      {"fd.cnet in (\"10.0.0.0/8\", \"172.16.0.0/12\")", true},
      {"fd.rnet = \"93.184.0.0/16\"", true},
      {"fd.sport = 2222 and fd.rport = 2222 and fd.lport = 40000 and fd.cport = 40000", true},
      {"fd.port = 2222", true},
      {"fd.sport in (80, 443)", false},
      {"fd.l4proto = tcp and fd.typechar = 4 and fd.type = ipv4 and fd.sockfamily = ip", true},
      {"fd.is_server = false", true},
  };
  for (const auto& k : cases) {
    auto r = load(cond(k.c));
    ASSERT_TRUE(r.ok()) << k.c << "\n" << diags(r);
    EXPECT_EQ(count_matches(r, cn) > 0, k.want) << k.c;
  }
  auto r = load(cond("fd.sip = not-an-ip"));
  EXPECT_FALSE(r.ok());
  // Output: IPs as strings, ports as numbers.
  r = load("- rule: X\n  desc: d\n  priority: INFO\n  output: \"%fd.sip:%fd.sport %fd.name\"\n"
           "  condition: evt.type = connect\n");
  ASSERT_TRUE(r.ok()) << diags(r);
  Alert a = make_alert(*r.ruleset->find("X"), cn, "h");
  EXPECT_EQ(a.output, "93.184.216.34:2222 10.1.2.3:40000->93.184.216.34:2222");
  EXPECT_EQ(a.output_fields["fd.sip"], "93.184.216.34");
  EXPECT_EQ(a.output_fields["fd.sport"], 2222);
}

TEST_F(Features, MoreFields) {
  p->exe_upper_layer = true;
  p->exe_from_memfd = true;
  p->login_name = "alice";
  p->cap_permitted = ~0ull;
  ctr->privileged = true;
  ctr->start_ns = 1;
  p->start_ns = ev.ts_ns - 5000;
  Event ex = make_event(EventType::kExecve, p, &w);
  auto r = load(R"(
- rule: X
  desc: d
  priority: INFO
  output: "%proc.is_exe_upper_layer %proc.is_exe_from_memfd %user.loginname %container.privileged %proc.duration %container.full_id %k8s.pod.labels %evt.arg.flags %proc.exe_ino.ctime %thread.cap_permitted"
  condition: >
    evt.type = execve and proc.is_exe_upper_layer = true and proc.is_exe_from_memfd = true
    and user.loginname = alice and container.privileged = true and proc.duration = 5000
    and container.full_id startswith abcdef123456 and k8s.pod.labels contains "app:web"
    and evt.arg.flags contains EXE_UPPER_LAYER and thread.cap_permitted contains CAP_BPF
    and container.start_ts = 1 and not proc.exe_ino.ctime exists
)");
  ASSERT_TRUE(r.ok()) << diags(r);
  ASSERT_EQ(count_matches(r, ex), 1u);
  Alert a = make_alert(*r.ruleset->find("X"), ex, "h");
  EXPECT_EQ(a.output_fields["proc.is_exe_upper_layer"], true);
  EXPECT_EQ(a.output_fields["container.privileged"], true);
  EXPECT_EQ(a.output_fields["proc.duration"], 5000);
  EXPECT_TRUE(a.output_fields["proc.exe_ino.ctime"].is_null());
  EXPECT_EQ(a.output_fields["k8s.pod.labels"], "app:web, tier:frontend");
  EXPECT_EQ(a.output_fields["evt.arg.flags"], "EXE_UPPER_LAYER|EXE_FROM_MEMFD");
}

TEST_F(Features, ContainerMounts) {
  const std::string rule =
      "- rule: X\n  desc: d\n  priority: INFO\n  output: \"%container.mounts\"\n"
      "  condition: evt.type = openat and not container.mount.dest[/proc*] in (\"<NA>\",\"N/A\")\n";
  EXPECT_FALSE(match(rule));  // no mounts known: "<NA>"
  ctr->mounts.push_back({"/proc", "/host/proc", false});
  EXPECT_TRUE(match(rule));
  auto r = load(rule);
  Alert a = make_alert(*r.ruleset->find("X"), ev, "h");
  EXPECT_EQ(a.output, "/proc:/host/proc:false");
  EXPECT_TRUE(match("- rule: Y\n  desc: d\n  priority: INFO\n  output: o\n"
                    "  condition: evt.type = openat and container.mount.source[/host/proc] = /proc "
                    "and container.mount.dest[0] = /host/proc\n"));
}

TEST_F(Features, UnknownEventTypeIsAWarning) {
  auto r = load("- rule: X\n  desc: d\n  priority: INFO\n  output: o\n"
                "  condition: evt.type in (openat, page_fault)\n");
  EXPECT_TRUE(r.ok()) << diags(r);
  EXPECT_TRUE(has_code(r, "LOAD_UNKNOWN_EVTTYPE"));
  EXPECT_EQ(r.ruleset->find("X")->event_types.to_vector(),
            std::vector<EventType>{EventType::kOpenat});
}

TEST_F(Features, MinPriority) {
  LoadOptions o;
  o.min_priority = Priority::kError;
  auto r = load_rules_from_string(std::string(kBase) +
                                      "- rule: C\n  desc: d\n  priority: CRITICAL\n  output: o\n"
                                      "  condition: evt.type = openat\n",
                                  o);
  ASSERT_TRUE(r.ok()) << diags(r);
  EXPECT_EQ(r.ruleset->find("R"), nullptr);
  EXPECT_NE(r.ruleset->find("C"), nullptr);
}

TEST_F(Features, EvaluationDoesNotAllocateWhenNothingMatches) {
  auto r = load(R"(
- list: shells
  items: [ash, bash, csh, ksh, sh, tcsh, zsh, dash, fish, a1, a2, a3, a4, a5, a6]
- rule: A
  desc: d
  priority: INFO
  output: o
  condition: >
    evt.type in (openat, execve) and proc.name in (shells) and proc.cmdline contains "-c"
- rule: B
  desc: d
  priority: INFO
  output: o
  condition: >
    evt.type = openat and fd.name startswith /etc and proc.aname in (sshd, nginx)
    and not thread.cap_effective icontains sys_admin and evt.arg.flags contains O_WRONLY
    and tolower(proc.pcmdline) icontains "NGINX -g" and fd.name glob "/etc/*"
    and k8s.pod.label.app = web and evt.args contains "name=" and fd.directory = /etc
    and proc.cmdline contains zzz
)",
                RuleMatching::kAll);
  ASSERT_TRUE(r.ok()) << diags(r);
  std::vector<const CompiledRule*> out;
  out.reserve(8);
  // Warm up the per-thread scratch space.
  r.ruleset->evaluate(ev, &out);
  g_allocs = 0;
  g_count_allocs = true;
  for (int i = 0; i < 100; ++i) r.ruleset->evaluate(ev, &out);
  g_count_allocs = false;
  EXPECT_EQ(out.size(), 0u);
  EXPECT_EQ(g_allocs.load(), 0u);
}

// The benchmark's event stream (tests/bench/rules_bench.cpp) against the upstream rulesets and
// riposte's default rules: after one pass to warm the per-thread scratch space up, evaluating
// the whole mix again allocates nothing, matching events included (`out` has capacity).
TEST(RulesAllocation, BenchmarkEventMixAllocatesNothing) {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  std::filesystem::path base = src != nullptr ? src : ".";
  std::filesystem::path falco = (base / ".." / "shared" / "falco-rules").lexically_normal();
  std::vector<std::vector<std::string>> sets = {
      {(base / "detector" / "default_rules" / "riposte_rules.yaml").string()}};
  if (std::filesystem::exists(falco / "falco_rules.yaml")) {
    sets.push_back({(falco / "falco_rules.yaml").string()});
    sets.push_back({(falco / "falco_rules.yaml").string(),
                    (falco / "falco-incubating_rules.yaml").string(),
                    (falco / "falco-sandbox_rules.yaml").string()});
  } else {
    ADD_FAILURE() << "Falco rules not found at " << falco;
  }
  auto mix = testing::make_event_mix(4096);
  for (const auto& files : sets) {
    for (RuleMatching m : {RuleMatching::kFirst, RuleMatching::kAll}) {
      LoadOptions o;
      o.rule_matching = m;
      auto r = load_rules(files, o);
      ASSERT_TRUE(r.ok()) << diags(r);
      std::vector<const CompiledRule*> out;
      out.reserve(128);
      size_t matched = 0;
      for (const auto& ev : mix->events) matched += r.ruleset->evaluate(ev, &out);
      g_allocs = 0;
      g_count_allocs = true;
      for (int pass = 0; pass < 3; ++pass)
        for (const auto& ev : mix->events) r.ruleset->evaluate(ev, &out);
      g_count_allocs = false;
      EXPECT_EQ(g_allocs.load(), 0u) << files.back() << " (" << files.size() << " files)";
      if (files.size() == 1 && files[0].find("falco_rules.yaml") != std::string::npos) {
        EXPECT_GT(matched, 0u);  // the mix has events the stable rules match
      }
    }
  }
}

}  // namespace
}  // namespace riposte::detector::rules
