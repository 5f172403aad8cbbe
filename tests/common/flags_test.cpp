#include "common/flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace riposte {
namespace {

using ::testing::HasSubstr;

struct Vars {
  std::string nats = "nats://127.0.0.1:4222";
  bool dry_run = false;
  bool json = true;
  int port = 9090;
  int64_t ack_wait_ms = 30000;
  std::vector<std::string> rules = {"/etc/riposte/rules.yaml"};
  std::vector<std::string> files;
};

Flags make(Vars* v) {
  Flags f("riposte-detector",
          "Watches syscalls with eBPF and publishes Falco-format alerts to NATS.",
          "riposte-detector [flags]");
  f.add_string("nats", &v->nats, "URL", "NATS server URL.");
  f.add_bool("dry-run", &v->dry_run, "Evaluate rules but publish nothing.");
  f.add_bool("log-json", &v->json, "Log JSON lines.");
  f.add_int("ops-port", &v->port, "PORT", "Port for /livez, /readyz and /metrics.");
  f.add_int("ack-wait-ms", &v->ack_wait_ms, "MS", "Ack wait.");
  f.add_list("rules", &v->rules, "FILE", "Rules file.");
  return f;
}

TEST(Flags, DefaultsStayWhenNotGiven) {
  Vars v;
  Flags f = make(&v);
  auto r = f.parse(std::vector<std::string>{});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(*r);
  EXPECT_EQ(v.nats, "nats://127.0.0.1:4222");
  EXPECT_EQ(v.port, 9090);
  EXPECT_EQ(v.rules, std::vector<std::string>{"/etc/riposte/rules.yaml"});
}

TEST(Flags, SpaceAndEqualsForms) {
  Vars v;
  Flags f = make(&v);
  auto r = f.parse({"--nats", "nats://a:1", "--ops-port=8080", "--ack-wait-ms", "-5", "--dry-run",
                    "--log-json=false"});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(v.nats, "nats://a:1");
  EXPECT_EQ(v.port, 8080);
  EXPECT_EQ(v.ack_wait_ms, -5);
  EXPECT_TRUE(v.dry_run);
  EXPECT_FALSE(v.json);
}

TEST(Flags, NoPrefixClearsBool) {
  Vars v;
  Flags f = make(&v);
  ASSERT_TRUE(f.parse({"--no-log-json"}).ok());
  EXPECT_FALSE(v.json);
}

TEST(Flags, ListIsRepeatableAndReplacesDefault) {
  Vars v;
  Flags f = make(&v);
  ASSERT_TRUE(f.parse({"--rules", "a.yaml", "--rules=b.yaml"}).ok());
  EXPECT_EQ(v.rules, (std::vector<std::string>{"a.yaml", "b.yaml"}));
}

TEST(Flags, ArgvOverloadSkipsProgramName) {
  Vars v;
  Flags f = make(&v);
  const char* argv[] = {"riposte-detector", "--ops-port", "1"};
  auto r = f.parse(3, const_cast<char**>(argv));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(v.port, 1);
}

TEST(Flags, HelpReturnsFalse) {
  for (const char* h : {"--help", "-h"}) {
    Vars v;
    Flags f = make(&v);
    auto r = f.parse({"--nats", "x", h});
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_FALSE(*r) << h;
  }
}

TEST(Flags, UnknownFlagIsOneClearLine) {
  Vars v;
  Flags f = make(&v);
  auto r = f.parse({"--foo"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "riposte-detector: unknown flag --foo (see --help)");
  r = f.parse({"--foo=1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "riposte-detector: unknown flag --foo (see --help)");
  r = f.parse({"-x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "riposte-detector: unknown flag -x (see --help)");
}

TEST(Flags, MissingValue) {
  Vars v;
  Flags f = make(&v);
  auto r = f.parse({"--nats"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "riposte-detector: flag --nats needs a value (URL) (see --help)");
  r = f.parse({"--nats", "--dry-run"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("flag --nats needs a value"));
}

TEST(Flags, BadIntegers) {
  for (const char* bad : {"abc", "12x", "", "99999999999"}) {
    Vars v;
    Flags f = make(&v);
    auto r = f.parse({"--ops-port", bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), std::string("riposte-detector: flag --ops-port: \"") + bad +
                             "\" is not an integer (see --help)");
  }
}

TEST(Flags, BadBool) {
  Vars v;
  Flags f = make(&v);
  auto r = f.parse({"--dry-run=maybe"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("is not a boolean"));
}

TEST(Flags, PositionalsAndDoubleDash) {
  Vars v;
  Flags f = make(&v);
  f.add_positional("FILE...", &v.files, "Alert files to replay.");
  auto r = f.parse({"a.json", "--dry-run", "b.json", "--", "--not-a-flag"});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(v.files, (std::vector<std::string>{"a.json", "b.json", "--not-a-flag"}));
  EXPECT_TRUE(v.dry_run);
}

TEST(Flags, PositionalWithoutBindingIsAnError) {
  Vars v;
  Flags f = make(&v);
  auto r = f.parse({"stray"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "riposte-detector: unexpected argument \"stray\" (see --help)");
}

TEST(Flags, HelpListsSortedFlagsWithDefaultsWithin80Columns) {
  Vars v;
  Flags f = make(&v);
  f.add_string(
      "long", &v.nats, "X",
      "A deliberately long help text that must be wrapped because it goes on and on well "
      "past the eighty column limit that terminals traditionally have, twice over at least.");
  f.add_positional("FILE...", &v.files, "Inputs.");
  const std::string h = f.help();
  EXPECT_THAT(h, HasSubstr("riposte-detector: Watches syscalls"));
  EXPECT_THAT(h, HasSubstr("Usage:\n  riposte-detector [flags]\n"));
  EXPECT_THAT(
      h, HasSubstr("  --nats URL\n        NATS server URL. (default \"nats://127.0.0.1:4222\")\n"));
  EXPECT_THAT(h, HasSubstr("  --ops-port PORT\n"));
  EXPECT_THAT(h, HasSubstr("(default 9090)"));
  EXPECT_THAT(h, HasSubstr("  --rules FILE (repeatable)\n"));
  EXPECT_THAT(h, HasSubstr("(default \"/etc/riposte/rules.yaml\")"));
  EXPECT_THAT(h, HasSubstr("  --log-json\n        Log JSON lines. (default true)\n"));
  EXPECT_THAT(h, HasSubstr("  -h, --help\n"));
  EXPECT_THAT(h, HasSubstr("Arguments:\n  FILE...\n"));

  // Sorted by name.
  const auto pos = [&](const std::string& s) { return h.find(s); };
  EXPECT_LT(pos("--ack-wait-ms"), pos("--dry-run"));
  EXPECT_LT(pos("--dry-run"), pos("--help"));
  EXPECT_LT(pos("--help"), pos("--log-json"));
  EXPECT_LT(pos("--log-json"), pos("--long"));
  EXPECT_LT(pos("--nats"), pos("--ops-port"));
  EXPECT_LT(pos("--ops-port"), pos("--rules"));

  std::istringstream lines(h);
  std::string line;
  while (std::getline(lines, line)) EXPECT_LE(line.size(), 80u) << line;
}

}  // namespace
}  // namespace riposte
