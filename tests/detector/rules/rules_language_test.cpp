// Table-driven tests of Falco's rules language as riposte implements it: every operator on
// every kind of field, every transformer, precedence, list and macro expansion, exceptions,
// every override form, and the file:line:col of errors. A randomised differential test checks
// the compiler's optimisations (evt.type folding, flattening, reordering, shared
// sub-conditions, jump code) against plain boolean semantics.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "detector/rules/parser.h"
#include "detector/rules/ruleset.h"
#include "tests/detector/rules/event_mix.h"
#include "tests/detector/rules/rules_test_util.h"

namespace riposte::detector::rules {
namespace {

using testing::diags;
using testing::errors_only;
using testing::load;
using testing::make_container;
using testing::make_event;
using testing::World;

std::string rule(const std::string& cond, const std::string& name = "R") {
  return "- rule: " + name + "\n  desc: d\n  priority: WARNING\n  output: o\n  condition: " +
         format_value(cond) + "\n";
}

// One event with a bit of everything: a process tree in a pod, an fd that is a TCP socket or a
// file, arguments.
class Lang : public ::testing::Test {
 protected:
  void SetUp() override {
    c = make_container();
    w.add(1, 0, "systemd");
    w.add(50, 1, "sshd", {"-D"});
    w.add(100, 50, "bash", {"-l"});
    p = w.add(200, 100, "Curl", {"-s", "https://example.com/a b", "-o", "/tmp/x"}, c);
    p->tty = 5;
    p->uid = 1000;
    p->user_name = "alice";
    p->exepath = "/usr/bin/curl";
    p->cwd = "/home/alice";
    file.num = 3;
    file.type = FdType::kFile;
    file.name = "/etc/ssl/private/key.pem";
    file.open_flags = O_RDONLY;
    sock.num = 4;
    sock.type = FdType::kIpv4;
    sock.name = "10.1.2.3:40000->93.184.216.34:443";
    sock.client_ip = testing::mix_detail::ip4(10, 1, 2, 3);
    sock.server_ip = testing::mix_detail::ip4(93, 184, 216, 34);
    sock.client_port = 40000;
    sock.server_port = 443;
    sock.l4proto = 6;
    open_ev = make_event(EventType::kOpenat, p, &w);
    open_ev.fd = &file;
    open_ev.res = 3;
    open_ev.args.path = file.name;
    open_ev.args.flags = O_RDONLY;
    conn_ev = make_event(EventType::kConnect, p, &w);
    conn_ev.fd = &sock;
  }
  bool eval(const std::string& cond, const Event& ev) {
    auto r = load(rule(cond));
    EXPECT_EQ(r.errors(), 0u) << cond << "\n" << diags(r);
    if (!r.ruleset) return false;
    std::vector<const CompiledRule*> out;
    r.ruleset->evaluate(ev, &out);
    // The single-filter entry point agrees with the ruleset's chained program.
    const CompiledRule* rr = r.ruleset->find("R");
    if (rr != nullptr) {
      EvalScratch s;
      s.begin_event();
      EvalContext ctx{&ev, "node-1", &s};
      EXPECT_EQ(rr->filter.eval(ctx), !out.empty()) << cond;
    }
    return !out.empty();
  }
  struct TableRow {
    std::string cond;
    bool open, conn;  // expected on the open event and on the connect event
  };
  void table(const std::vector<TableRow>& rows) {
    for (const auto& r : rows) {
      EXPECT_EQ(eval(r.cond, open_ev), r.open) << "openat: " << r.cond;
      EXPECT_EQ(eval(r.cond, conn_ev), r.conn) << "connect: " << r.cond;
    }
  }
  World w;
  std::shared_ptr<ContainerInfo> c;
  ProcessInfo* p;
  FdInfo file, sock;
  Event open_ev, conn_ev;
};

TEST_F(Lang, StringOperators) {
  table({
      {"proc.name = Curl", true, true},
      {"proc.name == Curl", true, true},
      {"proc.name = curl", false, false},
      {"proc.name != curl", true, true},
      {"proc.name != Curl", false, false},
      {"fd.name contains /private/", true, false},
      {"fd.name contains PRIVATE", false, false},
      {"fd.name icontains PRIVATE", true, false},
      {"fd.name startswith /etc/ssl", true, false},
      {"fd.name startswith 10.1", false, true},
      {"fd.name endswith .pem", true, false},
      {"fd.name endswith :443", false, true},
      {"fd.name glob /etc/*/key.pem", true, false},
      {"fd.name glob '*->93.184.216.34:4?3'", false, true},
      {"fd.name glob /etc/ssl/[pq]rivate/*", true, false},
      {"fd.name glob /etc/ssl/[!p]rivate/*", false, false},
      {"fd.name iglob /ETC/SSL/*", true, false},
      {"fd.name regex '/etc/ssl/.*\\\\.pem'", true, false},
      {"fd.name regex 'ssl'", false, false},
      {"fd.name in (/etc/passwd, /etc/ssl/private/key.pem)", true, false},
      {"fd.name in (a, b, c, d, e, f, g, h, i, j, /etc/ssl/private/key.pem)", true, false},
      {"fd.name in (a, b, c, d, e, f, g, h, i, j)", false, false},
      {"fd.name intersects (/etc/ssl/private/key.pem)", true, false},
      {"fd.name pmatch (/etc/ssl)", true, false},
      {"fd.name pmatch (/etc/ss)", false, false},
      {"fd.name pmatch (/)", true, false},  // a socket's name is not a path
      {"fd.name exists", true, true},
      {"fd.directory = /etc/ssl/private and fd.filename = key.pem", true, false},
      {"fd.directory exists", true, false},
      {"proc.cmdline = 'Curl -s https://example.com/a b -o /tmp/x'", true, true},
      {"proc.args contains \"a b\"", true, true},
      {"proc.args[1] = 'https://example.com/a b'", true, true},
      {"proc.args[9] exists", false, false},
      {"evt.type = openat", true, false},
      {"evt.type != openat", false, true},
      {"evt.type in (connect, accept)", false, true},
      {"evt.type startswith open", true, false},  // not an indexed form: evaluated as a string
  });
}

TEST_F(Lang, NumericBoolIpOperators) {
  table({
      {"proc.tty = 5 and proc.tty != 4 and proc.tty < 6 and proc.tty <= 5 and proc.tty > 4 and "
       "proc.tty >= 5",
       true, true},
      {"proc.tty in (1, 5, 9)", true, true},
      {"proc.tty intersects (1, 9)", false, false},
      {"user.uid = 0x3e8", true, true},
      {"proc.pid > val(proc.ppid)", true, true},
      {"proc.pid = val(proc.ppid)", false, false},
      {"fd.num = 3", true, false},
      {"fd.num exists", true, true},
      {"fd.sport = 443 and fd.cport = 40000", false, true},
      {"fd.port in (443)", false, true},  // either end
      {"fd.port = 40000", false, true},
      {"evt.is_open_read = true", true, false},
      {"evt.is_open_read = false", false, true},
      {"evt.is_open_read != true", false, true},
      {"evt.is_open_read in (true)", true, false},
      {"evt.is_open_read = val(evt.is_open_write)", false, true},
      {"fd.sip = 93.184.216.34", false, true},
      {"fd.sip != 93.184.216.34", false, false},
      {"fd.sip in (1.1.1.1, \"93.184.216.0/24\")", false, true},
      {"fd.snet = \"93.184.0.0/16\"", false, true},
      {"fd.cip = val(fd.lip) and fd.sip = val(fd.rip)", false, true},
      {"fd.cip != val(fd.sip)", false, true},
      {"fd.ip = 10.1.2.3", false, true},
      {"fd.net in (\"10.0.0.0/8\")", false, true},
      {"fd.sip exists", false, true},
  });
}

// A socket's two ends (fd.ip, fd.net, fd.port): `=` holds when either end matches, `!=` only
// when both differ, as in libsinsp (issue 15: "fd.ip != <server> on a connect" was true).
TEST_F(Lang, SocketEndsNotEqualNeedsBothToDiffer) {
  table({
      {"fd.ip != 93.184.216.34", false, false},  // the server end is equal
      {"fd.ip != 10.1.2.3", false, false},       // the client end is equal
      {"fd.ip != 1.1.1.1", false, true},
      {"not fd.ip = 93.184.216.34", true, false},
      {"fd.net != \"93.184.0.0/16\"", false, false},
      {"fd.net != \"8.8.0.0/16\"", false, true},
      {"fd.port != 443", false, false},
      {"fd.port != 40000", false, false},
      {"fd.port != 80", false, true},
      {"fd.sip != 1.1.1.1 and fd.cip != 93.184.216.34", false, true},
  });
}

// pmatch patterns with wildcards match path components (libsinsp's path_prefix_search):
// `*`, `?` and `[..]` inside one component, never across a `/`.
TEST_F(Lang, PmatchWildcardComponents) {
  table({
      {"fd.name pmatch (/etc/*/private)", true, false},
      {"fd.name pmatch (/etc/s*)", true, false},
      {"fd.name pmatch (/etc/s?l)", true, false},
      {"fd.name pmatch (/etc/[rs]sl/private/key.pem)", true, false},
      {"fd.name pmatch (/etc/x*, /usr)", false, false},
      {"fd.name pmatch (/*/ssl)", true, false},
      {"fd.name pmatch (/etc/*/key.pem)", false, false},  // `*` is one component
      {"fd.name pmatch (/etc/ssl/private/key.pem/*)", false, false},
      {"fd.name pmatch (/etc/ssl)", true, false},  // plain prefixes as before
      {"fd.name pmatch (/etc/ss)", false, false},
  });
}

// Fields added for Falco 0.44's tests: evt.is_io / _read / _write from the event type,
// evt.count (always 1), fd.dev from the fd table.
TEST_F(Lang, IoCountAndDeviceFields) {
  file.dev = 0x803;
  Event rd = make_event(EventType::kRead, p, &w);
  rd.fd = &file;
  EXPECT_TRUE(eval("evt.is_io = true and evt.is_io_read = true and evt.is_io_write = false", rd));
  EXPECT_TRUE(eval("fd.dev = 2051 and evt.count = 1", rd));
  table({
      {"evt.is_io = false and evt.count = 1", true, true},
      {"fd.dev exists", true, false},  // a socket has no device here
  });
}

// Falco 0.44's comparison modifiers: oneof = exactly one value, anyof = any, allof = all;
// an empty list holds for none (libsinsp compare_rhs_with_mod).
TEST_F(Lang, ComparisonModifiers) {
  table({
      {"proc.name = oneof (Curl, wget)", true, true},
      {"proc.name = oneof (Curl, Curl)", false, false},  // two match: not exactly one
      {"fd.name contains oneof (ssl, private)", false, false},
      {"fd.name contains oneof (ssl, nothere)", true, false},
      {"fd.name contains anyof (nothere, key)", true, false},
      {"fd.name contains allof (ssl, private, key)", true, false},
      {"fd.name contains allof (ssl, nothere)", false, false},
      {"fd.name startswith anyof (/etc/, /usr/)", true, false},
      {"proc.name != allof (wget, curl)", true, true},
      {"proc.name != allof (wget, Curl)", false, false},
      {"proc.name = anyof ()", false, false},
      {"proc.name = oneof", false, false},  // the word alone is a value
  });
}

TEST_F(Lang, MultiValuedFields) {
  table({
      {"proc.aname = sshd", true, true},            // any ancestor
      {"proc.aname = Curl", false, false},          // not the process itself
      {"proc.aname[0] = Curl", true, true},         // but [0] is
      {"proc.aname != sshd", true, true},           // some ancestor is not sshd
      {"proc.aname in (nginx, systemd)", true, true},
      {"proc.aname intersects (nginx, java)", false, false},
      {"proc.aname contains ssh", true, true},
      {"proc.aname startswith sys", true, true},
      {"proc.aname exists", true, true},
      {"proc.aname[4] exists", false, false},
      {"proc.apid in (50)", true, true},
      {"proc.apid > 60", true, true},
      {"proc.aname = val(proc.pname)", true, true},
  });
}

// evt.cpu: the CPU the kernel recorded the event on; no value for events not from the kernel.
TEST_F(Lang, EvtCpu) {
  open_ev.cpu = 1;
  conn_ev.cpu = 0;
  table({
      {"evt.cpu = 1", true, false},
      {"evt.cpu in (0, 1)", true, true},
      {"evt.cpu > 0", true, false},
      {"evt.cpu exists", true, true},
  });
  open_ev.cpu = -1;
  EXPECT_FALSE(eval("evt.cpu exists", open_ev));
  EXPECT_FALSE(load(rule("evt.cpu = one")).ok());
}

TEST_F(Lang, Transformers) {
  p->args = {"Y3VybA=="};  // base64("curl")
  table({
      {"tolower(proc.name) = curl", true, true},
      {"toupper(proc.name) = CURL", true, true},
      {"tolower(toupper(proc.name)) = curl", true, true},
      {"toupper(proc.name) = val(proc.name)", false, false},
      {"b64(proc.args) = curl", true, true},
      {"b64(proc.args[0]) = curl", true, true},
      {"b64(fd.name) exists", false, false},  // not base64 ('.'): no value
      {"basename(fd.name) = key.pem", true, false},
      {"basename(proc.exepath) = curl", true, true},
      {"basename(fd.name) = val(fd.filename)", true, false},
      {"len(proc.name) = 4", true, true},
      {"len(fd.name) > 20", true, true},
      {"len(basename(fd.name)) = 7", true, false},
      {"tolower(proc.name) in (wget, curl)", true, true},
      {"tolower(proc.name) = tolower(proc.name)", true, true},
      {"proc.name = toupper(proc.name)", false, false},
      {"tolower(proc.aname) = sshd", true, true},
      {"len(proc.aname) = 7", true, true},  // "systemd"
  });
  // Transformers only apply to strings.
  auto r = load(rule("len(proc.tty) = 1"));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(errors_only(r).find("transformer 'len' cannot be applied"), std::string::npos);
}

TEST_F(Lang, Precedence) {
  // T and F are macros that are true and false on every event.
  const std::string defs = "- macro: T\n  condition: evt.num = 42\n- macro: F\n  condition: evt.num = 0\n";
  struct Row {
    std::string cond;
    bool want;
  } rows[] = {
      {"T or F and F", true},      // and binds tighter than or
      {"(T or F) and F", false},
      {"F and F or T", true},
      {"F and (F or T)", false},
      {"not T or T", true},        // not binds tighter than or
      {"not (T or T)", false},
      {"not F and F", false},      // ... and than and
      {"not (F and F)", true},
      {"not not T", true},
      {"not not not T", false},
      {"T and not F and not F", true},
      {"((T))", true},
      {"not(F)", true},
      {"T and (F or (T and (F or T)))", true},
      {"F or F or F or T", true},
      {"T and T and T and F", false},
  };
  for (const auto& row : rows) {
    auto r = load(defs + rule(row.cond));
    ASSERT_TRUE(r.ok()) << row.cond << diags(r);
    std::vector<const CompiledRule*> out;
    r.ruleset->evaluate(open_ev, &out);
    EXPECT_EQ(!out.empty(), row.want) << row.cond;
  }
}

TEST_F(Lang, ListsAndMacrosExpansion) {
  const std::string defs = R"(
- list: l_a
  items: [/etc/passwd]
- list: l_b
  items: [l_a, "/etc/ssl/private/key.pem"]
- list: l_q
  items: ['"l_a"']
- list: l_empty
  items: []
- macro: m_inner
  condition: fd.name in (l_b)
- macro: m_outer
  condition: m_inner and m_later
- macro: m_later
  condition: proc.name = Curl
)";
  struct Row {
    std::string cond;
    bool want;
    std::string expanded;  // LoadOptions::expand_conditions
  } rows[] = {
      {"m_outer", true,
       "(fd.name in (/etc/passwd, /etc/ssl/private/key.pem) and proc.name = Curl)"},
      {"fd.name in l_b", true, "fd.name in (/etc/passwd, /etc/ssl/private/key.pem)"},
      {"fd.name in (l_a, /x)", false, "fd.name in (/etc/passwd, /x)"},
      {"fd.name in (\"l_b\")", false, "fd.name in (l_b)"},  // quoted: the string itself
      {"fd.name in (l_q)", false, "fd.name in (l_a)"},     // a quoted item is not a reference
      {"fd.name in (l_empty)", false, "fd.name in ()"},
      {"not fd.name in (l_empty)", true, "not fd.name in ()"},
      {"fd.name in (l_empty, l_b)", true,
       "fd.name in (/etc/passwd, /etc/ssl/private/key.pem)"},
      {"fd.name pmatch (l_b)", true, "fd.name pmatch (/etc/passwd, /etc/ssl/private/key.pem)"},
      {"proc.name = l_a", false, "proc.name = l_a"},  // not a list position
  };
  for (const auto& row : rows) {
    LoadOptions o;
    o.expand_conditions = true;
    o.rule_matching = RuleMatching::kAll;
    auto r = load_rules_from_string(defs + rule(row.cond), o, "test.yaml");
    ASSERT_EQ(r.errors(), 0u) << row.cond << diags(r);
    std::vector<const CompiledRule*> out;
    r.ruleset->evaluate(open_ev, &out);
    EXPECT_EQ(!out.empty(), row.want) << row.cond;
    EXPECT_EQ(r.ruleset->find("R")->expanded_condition, row.expanded) << row.cond;
  }
  // A list may only include lists defined before it (as in Falco): a later one is a string.
  auto r = load("- list: early\n  items: [late]\n- list: late\n  items: [x]\n" +
                rule("proc.name in (early)"));
  ASSERT_TRUE(r.ok()) << diags(r);
  EXPECT_EQ(r.ruleset->find("R")->filter.describe().find("x"), std::string::npos);
}

TEST_F(Lang, Exceptions) {
  const std::string base = std::string("- list: names\n  items: [Curl, wget]\n") +
                           "- rule: R\n  desc: d\n  priority: WARNING\n  output: o\n"
                           "  condition: evt.type = openat\n  exceptions:\n";
  struct Row {
    std::string ex;
    bool fires;
  } rows[] = {
      // One tuple matching: the exception applies.
      {"    - name: e\n      fields: [proc.name, fd.name]\n      values:\n"
       "        - [Curl, /etc/ssl/private/key.pem]\n",
       false},
      {"    - name: e\n      fields: [proc.name, fd.name]\n      values:\n"
       "        - [Curl, /etc/passwd]\n        - [wget, /etc/ssl/private/key.pem]\n",
       true},
      // Every comparison operator.
      {"    - name: e\n      fields: [fd.name]\n      comps: [startswith]\n      values: "
       "[[/etc/ssl]]\n",
       false},
      {"    - name: e\n      fields: [fd.name]\n      comps: [endswith]\n      values: [[.pem]]\n",
       false},
      {"    - name: e\n      fields: [fd.name]\n      comps: [contains]\n      values: "
       "[[private]]\n",
       false},
      {"    - name: e\n      fields: [fd.name]\n      comps: [icontains]\n      values: "
       "[[PRIVATE]]\n",
       false},
      {"    - name: e\n      fields: [fd.name]\n      comps: [glob]\n      values: "
       "[['/etc/*/*/key.pem']]\n",
       false},
      {"    - name: e\n      fields: [fd.name]\n      comps: [\"!=\"]\n      values: "
       "[[/etc/ssl/private/key.pem]]\n",
       true},
      {"    - name: e\n      fields: [proc.tty]\n      comps: [\">\"]\n      values: [[\"4\"]]\n",
       false},
      {"    - name: e\n      fields: [proc.name]\n      comps: [in]\n      values: [[[wget, "
       "Curl]]]\n",
       false},
      {"    - name: e\n      fields: [proc.name]\n      comps: [in]\n      values: [[names]]\n",
       false},
      {"    - name: e\n      fields: [proc.name]\n      comps: [in]\n      values: "
       "[['\"names\"']]\n",
       true},
      {"    - name: e\n      fields: [proc.aname]\n      comps: [intersects]\n      values: "
       "[[[sshd]]]\n",
       false},
      {"    - name: e\n      fields: [fd.name]\n      comps: [pmatch]\n      values: "
       "[[[/etc/ssl]]]\n",
       false},
      // Single-field form (comps defaults to in; values is a flat list).
      {"    - name: e\n      fields: proc.name\n      values: [wget, Curl]\n", false},
      {"    - name: e\n      fields: fd.name\n      comps: pmatch\n      values: [/usr, /etc]\n",
       false},
      {"    - name: e\n      fields: fd.name\n      comps: intersects\n      values: [/x]\n", true},
      // Transformed fields.
      {"    - name: e\n      fields: [tolower(proc.name)]\n      values: [[curl]]\n", false},
      // Several exceptions: any applies.
      {"    - name: e1\n      fields: [proc.name]\n      values: [[wget]]\n"
       "    - name: e2\n      fields: [proc.tty]\n      values: [[\"5\"]]\n",
       false},
      // No values: no effect.
      {"    - name: e\n      fields: [proc.name]\n", true},
      // Falco 0.44's comparison modifiers in comps: oneof exactly one, anyof any, allof all.
      {"    - name: e\n      fields: [fd.name]\n      comps: [startswith oneof]\n"
       "      values: [[[/etc/ssl, /usr]]]\n",
       false},
      {"    - name: e\n      fields: [fd.name]\n      comps: [startswith oneof]\n"
       "      values: [[[/etc, /etc/ssl]]]\n",
       true},  // two hold
      {"    - name: e\n      fields: [fd.name]\n      comps: [startswith allof]\n"
       "      values: [[[/etc, /etc/ssl]]]\n",
       false},
      {"    - name: e\n      fields: [fd.name]\n      comps: [contains allof]\n"
       "      values: [[[ssl, nope]]]\n",
       true},
      {"    - name: e\n      fields: [fd.name]\n      comps: [\"  endswith  anyof \"]\n"
       "      values: [[[.crt, .pem]]]\n",
       false},
      {"    - name: e\n      fields: [fd.name]\n      comps: [startswith oneof]\n"
       "      values: [[/etc]]\n",
       false},  // a single value is a list of one
      {"    - name: e\n      fields: fd.name\n      comps: startswith anyof\n"
       "      values: [/x, /etc]\n",
       false},  // the single-field form
      {"    - name: e\n      fields: [proc.name, fd.name]\n      comps: [= oneof, startswith]\n"
       "      values: [[[Curl, wget], /etc]]\n",
       false},
      {"    - name: e\n      fields: [proc.name]\n      comps: [== anyof]\n"
       "      values: [[[names]]]\n",
       false},  // a list name among the values
  };
  for (const auto& row : rows) {
    auto r = load(base + row.ex);
    ASSERT_TRUE(r.ok()) << row.ex << diags(r);
    std::vector<const CompiledRule*> out;
    r.ruleset->evaluate(open_ev, &out);
    EXPECT_EQ(!out.empty(), row.fires) << row.ex;
  }
  // A modifier only after a string operator, and never alone.
  for (const char* comp :
       {"in oneof", ">= oneof", "oneof", "startswith someof", "startswith oneof x"}) {
    auto r = load(base + "    - name: e\n      fields: [fd.name]\n      comps: [\"" + comp +
                  "\"]\n      values: [[[/etc]]]\n");
    EXPECT_FALSE(r.ok()) << comp;
    EXPECT_NE(errors_only(r).find("is not a supported comparison operator"), std::string::npos)
        << comp << errors_only(r);
  }
}

// An exception value written as a transformer is one, as in Falco (which pastes values into
// the condition, quoting only those with a space); with a space it stays a string, and Falco's
// compiler hints say so (LOAD_COMPILE_CONDITION).
TEST_F(Lang, ExceptionValueTransformers) {
  const std::string base =
      "- rule: R\n  desc: d\n  priority: WARNING\n  output: o\n"
      "  condition: evt.type = openat\n  exceptions:\n    - name: e\n"
      "      fields: [proc.pname]\n      values:\n";
  struct Row {
    std::string value;
    bool fires;
    std::string hint;  // expected LOAD_COMPILE_CONDITION text, "" = none
  } rows[] = {
      {"[tolower(proc.pname)]", false, ""},  // bash = tolower(bash)
      {"[\"tolower(proc.pname)\"]", false, ""},
      {"[toupper(proc.pname)]", true, ""},  // bash != BASH
      {"[\"tolower( proc.pname)\"]", true, "may be a valid field transformer misused"},
      {"[proc.pname]", true, "'proc.pname' may be a valid field misused as a const string"},
      {"[bash]", false, ""},
  };
  for (const auto& row : rows) {
    auto r = load(base + "        - " + row.value + "\n");
    ASSERT_TRUE(r.ok()) << row.value << diags(r);
    std::vector<const CompiledRule*> out;
    r.ruleset->evaluate(open_ev, &out);
    EXPECT_EQ(!out.empty(), row.fires) << row.value;
    bool hinted = false;
    for (const auto& d : r.diagnostics)
      if (d.code == "LOAD_COMPILE_CONDITION" && !row.hint.empty() &&
          d.message.find(row.hint) != std::string::npos)
        hinted = true;
    EXPECT_EQ(hinted, !row.hint.empty()) << row.value << diags(r);
  }
}

// evt.num starts at 1 (libsinsp's evttype analysis): "evt.num = 0", Falco's never_true idiom,
// restricts a rule to no event type, so it is not warned about as matching every type.
TEST_F(Lang, EvtNumZeroIsNeverTrue) {
  auto no_evttype = [](const LoadResult& r) {
    for (const auto& d : r.diagnostics)
      if (d.code == "LOAD_NO_EVTTYPE") return true;
    return false;
  };
  for (const char* cond : {"evt.num = 0", "evt.num < 1", "evt.num in (0)"}) {
    auto r = load(rule(cond));
    ASSERT_TRUE(r.ok()) << cond << diags(r);
    EXPECT_FALSE(no_evttype(r)) << cond << diags(r);
    EXPECT_FALSE(eval(cond, open_ev)) << cond;
  }
  for (const char* cond : {"evt.num != 0", "evt.num >= 1", "evt.num = 42"}) {
    auto r = load(rule(cond));
    EXPECT_TRUE(no_evttype(r)) << cond << diags(r);
    EXPECT_TRUE(eval(cond, open_ev)) << cond;  // open_ev.num is 42
  }
}

// Falco 0.44's capture keys: type-checked and replaceable (riposte takes no captures).
TEST(LangCapture, CaptureKeysAreCheckedAndReplaceable) {
  const std::string base =
      "- rule: R\n  desc: d\n  condition: evt.type = close\n  output: o\n  priority: INFO\n";
  EXPECT_TRUE(load(base + "  capture: true\n  capture_duration: 5000\n").ok());
  for (const char* bad :
       {"  capture_duration: not_a_number\n", "  capture_duration: -1\n", "  capture: maybe\n"}) {
    auto r = load(base + bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(errors_only(r).find("capture"), std::string::npos) << errors_only(r);
  }
  auto r = load(base +
                "- rule: R\n  capture: false\n  capture_duration: 1\n  override:\n"
                "    capture: replace\n    capture_duration: replace\n");
  EXPECT_TRUE(r.ok()) << diags(r);
  r = load(base + "- rule: R\n  capture: true\n  override:\n    capture: append\n");
  EXPECT_FALSE(r.ok());
}

// Every override form Falco accepts, and the legacy ones.
TEST_F(Lang, OverrideForms) {
  const std::string base = R"(
- list: names
  items: [wget]
- macro: m
  condition: proc.name in (names)
- rule: R
  desc: original
  priority: WARNING
  output: "out=%proc.name"
  condition: evt.type = openat and m
  tags: [a]
  exceptions:
    - name: e
      fields: [fd.name]
      values: [[/nope]]
)";
  struct Row {
    std::string yaml;
    bool fires;
    std::function<void(const CompiledRule&)> check;
  } rows[] = {
      {"- list: names\n  items: [Curl]\n  override:\n    items: append\n", true, nullptr},
      {"- list: names\n  items: [Curl]\n  override:\n    items: replace\n", true, nullptr},
      {"- list: names\n  items: [x]\n  override:\n    items: replace\n", false, nullptr},
      {"- list: names\n  items: [Curl]\n  append: true\n", true, nullptr},
      {"- macro: m\n  condition: or proc.name = Curl\n  override:\n    condition: append\n", true, nullptr},
      {"- macro: m\n  condition: proc.tty = 5\n  override:\n    condition: replace\n", true, nullptr},
      {"- macro: m\n  condition: or proc.tty = 5\n  append: true\n", true, nullptr},
      {"- rule: R\n  condition: or proc.name = Curl\n  override:\n    condition: append\n", true, nullptr},
      {"- rule: R\n  condition: evt.type = openat\n  override:\n    condition: replace\n", true, nullptr},
      {"- rule: R\n  condition: or proc.name = Curl\n  append: true\n", true, nullptr},
      {"- rule: R\n  output: \"tty=%proc.tty\"\n  override:\n    output: append\n", false,
       [](const CompiledRule& r) { EXPECT_EQ(r.output, "out=%proc.name tty=%proc.tty"); }},
      {"- rule: R\n  output: \"tty=%proc.tty\"\n  override:\n    output: replace\n", false,
       [](const CompiledRule& r) { EXPECT_EQ(r.output, "tty=%proc.tty"); }},
      {"- rule: R\n  desc: more\n  override:\n    desc: append\n", false,
       [](const CompiledRule& r) { EXPECT_EQ(r.desc, "original more"); }},
      {"- rule: R\n  desc: new\n  override:\n    desc: replace\n", false,
       [](const CompiledRule& r) { EXPECT_EQ(r.desc, "new"); }},
      {"- rule: R\n  tags: [b]\n  override:\n    tags: append\n", false,
       [](const CompiledRule& r) { EXPECT_EQ(r.tags, (std::vector<std::string>{"a", "b"})); }},
      {"- rule: R\n  tags: [b]\n  override:\n    tags: replace\n", false,
       [](const CompiledRule& r) { EXPECT_EQ(r.tags, (std::vector<std::string>{"b"})); }},
      {"- rule: R\n  priority: CRITICAL\n  override:\n    priority: replace\n", false,
       [](const CompiledRule& r) { EXPECT_EQ(r.priority, Priority::kCritical); }},
      {"- rule: R\n  enabled: false\n  override:\n    enabled: replace\n", false,
       [](const CompiledRule& r) { EXPECT_FALSE(r.enabled); }},
      {"- rule: R\n  enabled: false\n", false,  // legacy enabled-only item
       [](const CompiledRule& r) { EXPECT_FALSE(r.enabled); }},
      {"- rule: R\n  warn_evttypes: false\n  override:\n    warn_evttypes: replace\n", false, nullptr},
      {"- rule: R\n  skip-if-unknown-filter: true\n  override:\n    skip-if-unknown-filter: replace\n",
       false, nullptr},
      // Exceptions: append a new one, add values to an existing one, replace them all.
      {"- rule: R\n  exceptions:\n    - name: e2\n      fields: [proc.tty]\n      values: [[\"0\"]]\n"
       "  override:\n    exceptions: append\n", false, nullptr},
      {"- list: names\n  items: [Curl]\n  override:\n    items: append\n"
       "- rule: R\n  exceptions:\n    - name: e\n      values: [[/etc/ssl/private/key.pem]]\n"
       "  override:\n    exceptions: append\n", false, nullptr},
      {"- list: names\n  items: [Curl]\n  override:\n    items: append\n"
       "- rule: R\n  exceptions:\n    - name: e\n      fields: [proc.tty]\n      values: [[\"0\"]]\n"
       "  override:\n    exceptions: replace\n", true, nullptr},
      // Several keys at once.
      {"- rule: R\n  condition: or proc.name = Curl\n  output: x\n  priority: ERROR\n"
       "  override:\n    condition: append\n    output: replace\n    priority: replace\n", true,
       [](const CompiledRule& r) {
         EXPECT_EQ(r.output, "x");
         EXPECT_EQ(r.priority, Priority::kError);
       }},
      // A rule redefined without override replaces the previous one (keeping its place).
      {"- rule: R\n  desc: d2\n  priority: INFO\n  output: o2\n  condition: evt.type = openat\n",
       true, [](const CompiledRule& r) { EXPECT_EQ(r.desc, "d2"); }},
  };
  for (const auto& row : rows) {
    auto r = load(base + row.yaml);
    ASSERT_EQ(r.errors(), 0u) << row.yaml << diags(r);
    const CompiledRule* cr = r.ruleset->find("R");
    ASSERT_NE(cr, nullptr) << row.yaml;
    std::vector<const CompiledRule*> out;
    r.ruleset->evaluate(open_ev, &out);
    EXPECT_EQ(!out.empty(), row.fires) << row.yaml;
    if (row.check) row.check(*cr);
  }
}

// Each error is reported where the offending text is: the expected position is the first
// occurrence of `at` in the YAML (after `after`, when given).
TEST(LangErrors, Positions) {
  struct Row {
    std::string yaml;
    std::string at;
    std::string needle;  // in the message
    std::string after;
  } rows[] = {
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open and "
       "proc.nme = x\n",
       "proc.nme", "unknown field", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: >\n    evt.type = open\n "
       "   and proc.tty = abc\n",
       "abc", "not a valid number", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: |\n    evt.type = open "
       "and\n      (proc.name = a or\n       proc.name bogus b)\n",
       "bogus", "expected an operator", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: \"evt.type = open and "
       "fd.name = \\\"x\\\" and nope\"\n",
       "nope", "Undefined macro", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: 'evt.type = open and "
       "fd.name = ''x'' and nope'\n",
       "nope", "Undefined macro", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open and "
       "proc.tty in (1, 2, x)\n",
       "x)", "not a valid number", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open and "
       "fd.sip = 1.2.3\n",
       "1.2.3", "not a valid IP", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open and "
       "fd.name regex '('\n",
       "'('", "invalid regular expression", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open and "
       "evt.buffer bcontains xyz\n",
       "xyz", "hex string", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open and "
       "proc.tty contains 1\n",
       "contains", "not supported", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open and "
       "fd.name in bogus_list\n",
       "bogus_list", "unknown list", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open and "
       "proc.aname[x] = a\n",
       "proc.aname", "numeric argument", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: \"a %proc.nam b\"\n  condition: evt.type "
       "= open\n",
       "%proc.nam", "unknown field", ""},
      {"- rule: R\n  desc: d\n  priority: LOUD\n  output: o\n  condition: evt.type = open\n",
       "LOUD", "Invalid priority", ""},
      {"- macro: m\n  condition: proc.name = a and (\n- rule: R\n  desc: d\n  priority: INFO\n  "
       "output: o\n  condition: evt.type = open and m\n",
       "\n- rule", "unexpected end", ""},  // the end of the macro's text
      {"- macro: m\n  condition: proc.name = a\n- macro: m\n  condition: or proc.nme = b\n  "
       "override:\n    condition: append\n"
       "- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open and m\n",
       "proc.nme", "unknown field", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open\n"
       "- rule: R\n  condition: and proc.nme = b\n  override:\n    condition: append\n",
       "proc.nme", "unknown field", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open\n"
       "- rule: R\n  priority: INFO\n  override:\n    priority: append\n",
       "priority: append", "cannot be appended", "override"},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open\n"
       "- rule: R\n  condition: and x\n  desc: y\n  override:\n    condition: append\n",
       "y", "no corresponding entry", "desc: y"},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open\n  "
       "exceptions:\n"
       "    - name: e\n      fields: [proc.nme]\n      values: [[a]]\n",
       "name: e", "proc.nme", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open\n  "
       "exceptions:\n"
       "    - name: e\n      fields: [proc.tty]\n      values: [[abc]]\n",
       "name: e", "not a valid number", ""},
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  condition: evt.type = open\n  "
       "exceptions:\n"
       "    - name: e\n      fields: [proc.name, fd.name]\n      values:\n        - [a]\n",
       "[a]", "equal length", ""},
      {"- rule: [oops\n", "", "", ""},  // YAML syntax: position from the parser, checked below
      {"- rule: R\n  desc: d\n  priority: INFO\n  output: o\n", "rule: R", "condition", ""},
      {"- list: l\n  items: [a]\n  override:\n    items: merge\n", "merge", "invalid override", ""},
  };
  for (const auto& row : rows) {
    auto r = load(row.yaml);
    ASSERT_GE(r.errors(), 1u) << row.yaml;
    const Diagnostic* d = nullptr;
    for (const auto& x : r.diagnostics)
      if (x.severity == Diagnostic::kError && d == nullptr) d = &x;
    EXPECT_EQ(d->file, "test.yaml");
    EXPECT_NE(d->message.find(row.needle), std::string::npos) << row.yaml << "\n" << diags(r);
    if (row.at.empty()) {
      EXPECT_GT(d->line, 0) << diags(r);
      continue;
    }
    size_t from = row.after.empty() ? 0 : row.yaml.find(row.after);
    size_t off = row.yaml.find(row.at, from);
    ASSERT_NE(off, std::string::npos) << row.at;
    int line = 1 + static_cast<int>(std::count(row.yaml.begin(), row.yaml.begin() + off, '\n'));
    size_t bol = row.yaml.rfind('\n', off == 0 ? 0 : off - 1);
    int col = static_cast<int>(off - (bol == std::string::npos || off == 0 ? 0 : bol + 1)) + 1;
    if (off == 0) col = 1;
    EXPECT_EQ(d->line, line) << row.yaml << "\n" << diags(r);
    EXPECT_EQ(d->col, col) << row.yaml << "\n" << diags(r);
  }
}

// What `riposte rules explain` prints.
TEST(LangExplain, ExpandedConditionEventTypesAndEvaluationOrder) {
  LoadOptions o;
  o.expand_conditions = true;
  auto r = load_rules_from_string(R"(
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: Shell
  desc: d
  priority: NOTICE
  output: "%proc.name"
  condition: spawned and proc.name in (shells) and proc.tty != 0
  tags: [b, a]
  exceptions:
    - name: e
      fields: [proc.pname]
      values: [[sshd]]
- rule: Any
  desc: d
  priority: INFO
  output: o
  condition: proc.name = x
  warn_evttypes: false
)",
                                  o, "x.yaml");
  ASSERT_TRUE(r.ok()) << diags(r);
  std::string e = explain_rule(*r.ruleset->find("Shell"));
  EXPECT_NE(e.find("rule: Shell\n"), std::string::npos) << e;
  EXPECT_NE(e.find("priority: Notice\n"), std::string::npos) << e;
  EXPECT_NE(e.find("tags: a b\n"), std::string::npos) << e;
  EXPECT_NE(e.find("event types (2): execve execveat\n"), std::string::npos) << e;
  EXPECT_NE(e.find("evt.type in (execve, execveat) and proc.name in (bash, sh) and proc.tty != 0 "
                   "and not proc.pname = sshd"),
            std::string::npos)
      << e;
  // proc.tty != 0 (cheap, usually false) is tried before the list lookup; evt.type is gone.
  size_t tty = e.find("    proc.tty != 0"), name = e.find("    proc.name in (bash, sh)");
  ASSERT_NE(tty, std::string::npos) << e;
  ASSERT_NE(name, std::string::npos) << e;
  EXPECT_LT(tty, name) << e;
  EXPECT_EQ(e.find("evt.type in (execve, execveat)    [cost"), std::string::npos) << e;
  EXPECT_NE(explain_rule(*r.ruleset->find("Any")).find("event types: all"), std::string::npos);
}

// Inputs that made the loader hang or blow up (found by tests/fuzz/): each is an error.
TEST(LangErrors, HostileInputsFailFast) {
  struct Row {
    std::string yaml;
    std::string needle;
  } rows[] = {
      // yaml-cpp 0.7's LoadAll loops forever on a stray top-level ','.
      {",", "stray ','"},
      {",- rule: R\n  desc: d\n", "stray ','"},
      {"- list: l\n  items: [a]\n,\n", ""},
  };
  for (const auto& row : rows) {
    auto r = load(row.yaml);
    EXPECT_FALSE(r.ok()) << row.yaml;
    EXPECT_NE(errors_only(r).find(row.needle), std::string::npos) << row.yaml << diags(r);
  }
  // Macros that double at each level would expand to 2^40 checks.
  std::string doubling = "- macro: m0\n  condition: proc.name = a\n";
  for (int i = 1; i <= 40; ++i)
    doubling += "- macro: m" + std::to_string(i) + "\n  condition: m" + std::to_string(i - 1) +
                " or m" + std::to_string(i - 1) + "\n";
  auto r = load(doubling + rule("evt.type = execve and m40"));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(errors_only(r).find("too large"), std::string::npos) << diags(r);
  // Lists likewise.
  std::string lists = "- list: l0\n  items: [a, b]\n";
  for (int i = 1; i <= 40; ++i)
    lists += "- list: l" + std::to_string(i) + "\n  items: [l" + std::to_string(i - 1) + ", l" +
             std::to_string(i - 1) + "]\n";
  r = load(lists + rule("evt.type = execve and proc.name in (l40)"));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(errors_only(r).find("items with the lists it includes expanded"), std::string::npos)
      << diags(r).substr(0, 2000);
  // A macro chain deeper than the compiler follows.
  std::string chain = "- macro: c0\n  condition: proc.name = a\n";
  for (int i = 1; i <= 300; ++i)
    chain += "- macro: c" + std::to_string(i) + "\n  condition: not c" + std::to_string(i - 1) + "\n";
  r = load(chain + rule("evt.type = execve and c300"));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(errors_only(r).find("nested more than"), std::string::npos) << diags(r).substr(0, 2000);
}

// ---------------------------------------------------------------------------------------
// Differential: random conditions over atoms whose truth is known, compiled into one ruleset
// (so sub-conditions are shared and reordered across rules), against plain boolean logic.

struct Atom {
  std::string cond;
};

const std::vector<Atom>& atoms() {
  static const std::vector<Atom> a = {
      {"evt.type = openat"},
      {"evt.type in (execve, connect)"},
      {"evt.type != close"},
      {"container.id != host"},
      {"proc.name in (nginx, gunicorn, postgres, java)"},
      {"proc.name = sh"},
      {"proc.pname exists"},
      {"proc.pname in (containerd-shim, bash, sshd)"},
      {"proc.aname = containerd-shim"},
      {"proc.aname[2] = systemd"},
      {"fd.name startswith /etc/"},
      {"fd.name contains log"},
      {"fd.directory in (/proc, /etc, /var/log/nginx)"},
      {"fd.typechar = f"},
      {"fd.num >= 0"},
      {"evt.is_open_read = true"},
      {"evt.is_open_write = true"},
      {"proc.tty != 0"},
      {"user.name = root"},
      {"proc.cmdline contains \"-c\""},
      {"fd.sport in (53, 443, 5432)"},
      {"fd.snet in (\"10.0.0.0/8\")"},
      {"k8s.ns.name = shop"},
      {"container.image.repository endswith nginx"},
      {"tolower(proc.name) glob '*g*'"},
      {"evt.rawres < 0"},
      {"fd.l4proto = udp"},
      {"evt.arg.flags contains O_CREAT"},
  };
  return a;
}

struct Expr {
  enum Kind { kAtom, kMacro, kAnd, kOr, kNot } kind = kAtom;
  int index = 0;  // atom or macro
  std::vector<Expr> kids;
};

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  Expr expr(int depth, int macros) {
    int r = static_cast<int>(rng_() % 10);
    if (depth == 0 || r < 3) {
      Expr e;
      if (macros > 0 && rng_() % 4 == 0) {
        e.kind = Expr::kMacro;
        e.index = static_cast<int>(rng_() % static_cast<uint64_t>(macros));
      } else {
        e.index = static_cast<int>(rng_() % atoms().size());
      }
      return e;
    }
    Expr e;
    if (r < 5) {
      e.kind = Expr::kNot;
      e.kids.push_back(expr(depth - 1, macros));
      return e;
    }
    e.kind = r < 8 ? Expr::kAnd : Expr::kOr;
    int n = 2 + static_cast<int>(rng_() % 3);
    for (int i = 0; i < n; ++i) e.kids.push_back(expr(depth - 1, macros));
    return e;
  }

 private:
  std::mt19937_64 rng_;
};

std::string text(const Expr& e) {
  switch (e.kind) {
    case Expr::kAtom: return atoms()[e.index].cond;
    case Expr::kMacro: return "m" + std::to_string(e.index);
    case Expr::kNot: return "not (" + text(e.kids[0]) + ")";
    case Expr::kAnd:
    case Expr::kOr: {
      std::string s;
      for (size_t i = 0; i < e.kids.size(); ++i) {
        if (i) s += e.kind == Expr::kAnd ? " and " : " or ";
        s += "(" + text(e.kids[i]) + ")";
      }
      return s;
    }
  }
  return {};
}

bool truth(const Expr& e, const std::vector<bool>& atom_truth, const std::vector<Expr>& macros) {
  switch (e.kind) {
    case Expr::kAtom: return atom_truth[e.index];
    case Expr::kMacro: return truth(macros[e.index], atom_truth, macros);
    case Expr::kNot: return !truth(e.kids[0], atom_truth, macros);
    case Expr::kAnd:
      for (const auto& k : e.kids)
        if (!truth(k, atom_truth, macros)) return false;
      return true;
    case Expr::kOr:
      for (const auto& k : e.kids)
        if (truth(k, atom_truth, macros)) return true;
      return false;
  }
  return false;
}

TEST(LangDifferential, OptimisedEvaluationMatchesBooleanSemantics) {
  auto mix = testing::make_event_mix(600, 7);
  // Atom truth per event, each atom alone in its own rule.
  std::string atom_yaml;
  for (size_t i = 0; i < atoms().size(); ++i)
    atom_yaml += rule(atoms()[i].cond, "A" + std::to_string(i)) + "  warn_evttypes: false\n";
  auto ar = load(atom_yaml);
  ASSERT_TRUE(ar.ok()) << diags(ar);
  std::vector<std::vector<bool>> atom_truth;
  std::vector<const CompiledRule*> out;
  for (const auto& ev : mix->events) {
    std::vector<bool> t(atoms().size(), false);
    ar.ruleset->evaluate(ev, &out);
    for (const auto* r : out) t[std::stoul(r->name.substr(1))] = true;
    atom_truth.push_back(t);
  }

  size_t checked = 0, fired = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Gen g(seed);
    std::vector<Expr> macros;
    std::string yaml;
    for (int m = 0; m < 8; ++m) {
      macros.push_back(g.expr(2, m));  // a macro may use earlier ones
      yaml += "- macro: m" + std::to_string(m) + "\n  condition: " +
              format_value(text(macros.back())) + "\n";
    }
    std::vector<Expr> rules;
    for (int i = 0; i < 30; ++i) {
      rules.push_back(g.expr(4, static_cast<int>(macros.size())));
      yaml += rule(text(rules.back()), "R" + std::to_string(i)) + "  warn_evttypes: false\n";
    }
    for (RuleMatching m : {RuleMatching::kAll, RuleMatching::kFirst}) {
      auto r = load(yaml, m);
      ASSERT_EQ(r.errors(), 0u) << diags(r);
      for (size_t e = 0; e < mix->events.size(); ++e) {
        r.ruleset->evaluate(mix->events[e], &out);
        std::vector<std::string> want;
        for (size_t i = 0; i < rules.size(); ++i) {
          if (truth(rules[i], atom_truth[e], macros)) {
            want.push_back("R" + std::to_string(i));
            if (m == RuleMatching::kFirst) break;
          }
        }
        std::vector<std::string> got;
        for (const auto* x : out) got.push_back(x->name);
        ASSERT_EQ(got, want) << "seed " << seed << " event " << e << " ("
                             << event_type_name(mix->events[e].type) << ")";
        ++checked;
        fired += got.size();
      }
      // The rules with no loaded macros/unused warnings: only the rules' own programs differ.
      (void)fired;
    }
  }
  EXPECT_GT(checked, 10000u);
  EXPECT_GT(fired, 1000u);  // the generated conditions are not all trivially false
}

}  // namespace
}  // namespace riposte::detector::rules
