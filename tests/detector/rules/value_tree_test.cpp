// Falco 0.44's multi-operand transformers (join, concat, getopt) and transformers on literals
// and lists (value_tree.cpp): what they evaluate to, the operand checks the compiler makes,
// that two different calls are never shared as one check, and the parsed tree's text.
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
using testing::make_event;
using testing::matching;
using testing::World;

std::string rule(const std::string& cond, const std::string& name = "R") {
  return "- rule: " + name +
         "\n  desc: d\n  priority: WARNING\n  output: o\n  condition: " + format_value(cond) + "\n";
}

class ValueTree : public ::testing::Test {
 protected:
  void SetUp() override {
    w.add(1, 0, "systemd");
    w.add(100, 1, "bash");
    p = w.add(200, 100, "nc", {"-n", "-w", "30", "-ebin", "host", "-z"});
    file.num = 3;
    file.type = FdType::kFile;
    file.name = "/tmp/file_to_run";
    file.open_flags = O_RDONLY;
    open_ev = make_event(EventType::kOpenat, p, &w);
    open_ev.fd = &file;
    open_ev.res = 3;
    open_ev.args.path = file.name;
    exec_ev = make_event(EventType::kExecve, p, &w);  // no fd: fd.* have no value
  }
  bool eval(const std::string& cond, const Event& ev) {
    auto r = load(rule(cond));
    EXPECT_EQ(r.errors(), 0u) << cond << "\n" << diags(r);
    return !matching(r, ev).empty();
  }
  World w;
  ProcessInfo* p;
  FdInfo file;
  Event open_ev, exec_ev;
};

TEST_F(ValueTree, JoinAndConcat) {
  const std::vector<std::pair<std::string, bool>> rows = {
      {R"(join("-", (fd.name, fd.directory)) = "/tmp/file_to_run-/tmp")", true},
      {R"(join("->", ("aaa")) = aaa)", true},
      {R"(join(",", ("aaa", "bbb")) = "aaa,bbb")", true},
      {R"(join(",", ("aaa", "bbb")) = "aaa-bbb")", false},
      {R"(join(",", (proc.pid, 7)) = "200,7")", true},  // numbers as text
      {R"(join(",", ()) = "")", true},
      {R"(join(fd.directory, ("a", "b")) = "a/tmpb")", true},  // a field as separator
      {R"(join("-", proc.aname) = "bash-systemd")", true},     // a multi-valued field is a list
      {R"(join("-", (fd.directory, join("+", ("a", toupper(proc.name))))) = "/tmp-a+NC")", true},
      {R"(toupper(join("-", ("aaa", "bbb"))) = AAA-BBB)", true},
      {R"(len(join("-", (fd.name, fd.directory))) = 21)", true},
      {R"(b64(join("W", ("YWFhL", "JiYg"))) = "aaa-bbb")", true},
      {R"(concat(fd.name, fd.directory) = /tmp/file_to_run/tmp)", true},
      {R"(concat("aaa", "bbb", "ccc") = aaabbbccc)", true},
      {R"(concat(toupper(proc.name), "-", fd.name) = NC-/tmp/file_to_run)", true},
      {R"(len(concat("aaa", "bbb")) = 6)", true},
      {R"(b64(concat("YWFh", "YmJi")) = "aaabbb")", true},
      {R"(tolower("ABC") = abc)", true},  // a transformer on a literal
      {R"(toupper(join("-", (fd.name, fd.directory))) startswith /TMP)", true},
      {R"(proc.name = concat("n", "c"))", true},  // a call on the right-hand side
      {R"(fd.name = join("", ("/tmp/", "file_to_run")))", true},
      {R"(proc.name = concat("n", "x"))", false},
  };
  for (const auto& [cond, want] : rows) EXPECT_EQ(eval(cond, open_ev), want) << cond;
  // An operand without a value: the call has none (not an empty string).
  EXPECT_FALSE(eval(R"(join("-", (fd.name, "x")) exists)", exec_ev));
  EXPECT_FALSE(eval(R"(concat("a", fd.name) exists)", exec_ev));
  EXPECT_TRUE(eval(R"(concat("a", proc.name) = anc)", exec_ev));
}

TEST_F(ValueTree, Getopt) {
  // proc.args: -n -w 30 -ebin host -z
  const std::string args =
      "(proc.args[0], proc.args[1], proc.args[2], proc.args[3], "
      "proc.args[4], proc.args[5])";
  const std::vector<std::pair<std::string, bool>> rows = {
      {"getopt(" + args + R"(, "nw:e:z") intersects (n, w, 30, e, bin))", true},
      {"getopt(" + args + R"(, "nw:e:z")[w] = 30)", true},
      {"getopt(" + args + R"(, "nw:e:z")[e] = bin)", true},
      {"getopt(" + args + R"(, "nw:e:z")[n] = n)", true},
      {"getopt(" + args + R"(, "nw:e:z")[z] exists)", false},  // after the operand "host"
      {"getopt(" + args + R"(, "nw:e:z") intersects (z))", false},
      {"getopt(" + args + R"(, "n") intersects ("?"))", true},  // -w unknown
      {R"(getopt(("-t", "hello"), "t:") intersects (t, hello))", true},
      {R"(getopt(("-nt", "hello"), "nt:")[t] = hello)", true},
      {R"(getopt(("-thello"), "t:")[t] = hello)", true},
      {R"(getopt(("-n", "--", "-t"), "nt:") intersects (t))", false},
      {R"(getopt(("--exec", "-n"), "n")[n] = n)", true},  // long options skipped
      {R"(getopt(("-", "-n"), "n") intersects (n))", false},
      {R"(getopt(("-t"), "t:")[t] = "")", true},                    // a missing value is ""
      {R"(getopt(("-t", "v1", "-t", "v2"), "t:")[t] = v2)", true},  // the last one wins
      {R"(getopt(("-lpe", "/bin/sh"), "lp:e:")[p] = e)", true},
      {R"(getopt(("-x"), concat("x", ":"))[x] = "")", true},  // optstring from a call
      {R"(getopt(("-x", "1"), concat("x", ":"))[x] = 1)", true},
  };
  for (const auto& [cond, want] : rows) EXPECT_EQ(eval(cond, open_ev), want) << cond;
}

TEST_F(ValueTree, OperandChecks) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"(join("-") = a)", "join() requires exactly 2 arguments"},
      {R"(join("-", "a", "b") = a)", "join() requires exactly 2 arguments"},
      {R"(join(("a", "b"), ("a", "b")) = a)", "separator must be a single value"},
      {R"(join("a", "b") = a)", "second argument must be a list"},
      {R"(join("-", ("a"))[x] = a)", "does not support field arguments"},
      {R"(concat("a") = a)", "concat() requires at least 2 arguments"},
      {R"(concat("a", ("b", "c")) = a)", "must be single strings"},
      {R"(concat("a", proc.pid) = a)", "must be single strings"},
      {R"(concat("a", len(proc.name)) = a)", "must be single strings"},
      {R"(getopt(proc.args, "t:") = a)", "first argument must be a list"},
      {R"(getopt(("-t"), ("t")) = a)", "optstring must be a single string"},
      {R"(getopt(("-t"), "t:")[tt] = a)", "a single option character"},
      {R"(tolower("a", "b") = a)", "transformer 'tolower' takes one operand"},
      {R"(len(len("a")) = 1)", "cannot be applied to a value of type"},
      {R"(join("-", (nosuch.field)) = a)", "nosuch.field"},
  };
  for (const auto& [cond, want] : bad) {
    auto r = load(rule(cond));
    EXPECT_FALSE(r.ok()) << cond;
    EXPECT_NE(errors_only(r).find(want), std::string::npos) << cond << "\n" << errors_only(r);
  }
}

// Two calls that differ only inside must not be merged into one shared check.
TEST_F(ValueTree, DifferentCallsAreDifferentChecks) {
  auto r = load(rule(R"(join("-", ("a", "b")) = a-b)", "A") +
                rule(R"(join("+", ("a", "b")) = a-b)", "B") +
                rule(R"(concat("a", "-b") = a-b and join("-", (proc.name)) = nc)", "C"));
  ASSERT_TRUE(r.ok()) << diags(r);
  EXPECT_EQ(matching(r, open_ev), (std::vector<std::string>{"A", "C"}));
}

TEST(ValueTreeParse, TreeAndText) {
  ast::FieldExpr f;
  std::string err;
  ASSERT_TRUE(parse_field_expr(R"(toupper(join( '-' , (fd.name, 12, "a\"b", tolower(proc.name)))))",
                               &f, &err))
      << err;
  EXPECT_EQ(f.call, "join");
  EXPECT_EQ(f.transformers, (std::vector<std::string>{"toupper"}));
  ASSERT_EQ(f.args.size(), 2u);
  EXPECT_EQ(f.args[1].kind, ast::XformArg::Kind::kList);
  EXPECT_EQ(format_field_expr(f),
            R"(toupper(join("-", (fd.name, "12", "a\"b", tolower(proc.name)))))");
  ASSERT_TRUE(parse_field_expr(R"(getopt((proc.args[0]), "t:")["t"])", &f, &err)) << err;
  EXPECT_EQ(f.call, "getopt");
  EXPECT_TRUE(f.has_arg);
  EXPECT_EQ(f.arg, "t");
  // A plain chain stays the flat form.
  ASSERT_TRUE(parse_field_expr("tolower(basename(fd.name))", &f, &err)) << err;
  EXPECT_TRUE(f.call.empty());
  EXPECT_EQ(f.name, "fd.name");
  for (const char* bad : {R"(join("-", (fd.name,)))", R"(join("-", ((fd.name))))",
                          R"(join("-", (barestring)))", R"(getopt((a), "t")[])", "join()"}) {
    EXPECT_FALSE(parse_field_expr(bad, &f, &err)) << bad;
  }
}

}  // namespace
}  // namespace riposte::detector::rules
