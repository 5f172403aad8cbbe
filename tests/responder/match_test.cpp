#include "responder/playbook/match.h"

#include <gtest/gtest.h>

#include "tests/support/test_util.h"

namespace riposte::playbook {
namespace {

TEST(GlobTest, Matches) {
  struct Case {
    const char* pattern;
    const char* text;
    bool want;
  };
  for (auto [p, t, want] : std::vector<Case>{
           {"Terminal shell in container", "Terminal shell in container", true},
           {"Terminal shell in container", "Terminal shell in container!", false},
           {"Terminal shell*", "Terminal shell in container", true},
           {"*shell*", "Terminal shell in container", true},
           {"*shell", "Terminal shell in container", false},
           {"*", "", true},
           {"*", "anything", true},
           {"", "", true},
           {"", "x", false},
           {"?", "", false},
           {"a?c", "abc", true},
           {"a?c", "ac", false},
           {"a*b*c", "aXXbYYc", true},
           {"a*b*c", "aXXcYYb", false},
           {"**a**", "bab", true},
           {"Shell spawned in a container", "shell spawned in a container", false},
       }) {
    EXPECT_EQ(glob_match(p, t), want) << p << " ~ " << t;
  }
  // No exponential blow-up on adversarial input.
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(PriorityFilterTest, ParsesOperatorsCaseInsensitively) {
  struct Case {
    const char* text;
    PriorityFilter::Op op;
    Priority p;
  };
  for (auto [text, op, p] :
       std::vector<Case>{{"Critical", PriorityFilter::kAtLeast, Priority::kCritical},
                         {">=critical", PriorityFilter::kAtLeast, Priority::kCritical},
                         {">= WARNING", PriorityFilter::kAtLeast, Priority::kWarning},
                         {">error", PriorityFilter::kMoreThan, Priority::kError},
                         {"<=Notice", PriorityFilter::kAtMost, Priority::kNotice},
                         {"<Info", PriorityFilter::kLessThan, Priority::kInformational},
                         {"=Debug", PriorityFilter::kEqual, Priority::kDebug},
                         {"==emergency", PriorityFilter::kEqual, Priority::kEmergency}}) {
    auto f = parse_priority_filter(text);
    ASSERT_TRUE(f.ok()) << text << ": " << f.error();
    EXPECT_EQ(f->op, op) << text;
    EXPECT_EQ(f->priority, p) << text;
  }
  for (const char* bad : {"", ">=", "Severe", "=>Critical", "!=Critical", "Critical!"}) {
    auto f = parse_priority_filter(bad);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_NE(f.error().find("bad priority"), std::string::npos);
  }
}

TEST(PriorityFilterTest, ComparesBySeverity) {
  auto at_least_error = *parse_priority_filter(">=Error");
  EXPECT_TRUE(at_least_error.matches(Priority::kEmergency));
  EXPECT_TRUE(at_least_error.matches(Priority::kError));
  EXPECT_FALSE(at_least_error.matches(Priority::kWarning));
  auto more_than_error = *parse_priority_filter(">Error");
  EXPECT_TRUE(more_than_error.matches(Priority::kCritical));
  EXPECT_FALSE(more_than_error.matches(Priority::kError));
  auto below_warning = *parse_priority_filter("<Warning");
  EXPECT_TRUE(below_warning.matches(Priority::kNotice));
  EXPECT_TRUE(below_warning.matches(Priority::kDebug));
  EXPECT_FALSE(below_warning.matches(Priority::kWarning));
  auto at_most_warning = *parse_priority_filter("<=Warning");
  EXPECT_TRUE(at_most_warning.matches(Priority::kWarning));
  EXPECT_FALSE(at_most_warning.matches(Priority::kError));
  auto exactly_notice = *parse_priority_filter("=Notice");
  EXPECT_TRUE(exactly_notice.matches(Priority::kNotice));
  EXPECT_FALSE(exactly_notice.matches(Priority::kWarning));
}

TEST(MatchTest, CombinesRulesPriorityNamespacesAndSource) {
  Match m;
  m.rules = {"Terminal shell in container", "Shell spawned*"};
  m.priority = *parse_priority_filter(">=Notice");
  m.namespaces = {"shop", "team-*"};
  m.source = "syscall";

  Alert a = testing::shell_alert("shop");
  EXPECT_TRUE(m.matches(a));
  a.rule = "Shell spawned in a container";
  EXPECT_TRUE(m.matches(a));
  a.rule = "Read sensitive file";
  EXPECT_FALSE(m.matches(a));

  a = testing::shell_alert("team-blue");
  EXPECT_TRUE(m.matches(a));
  a = testing::shell_alert("billing");
  EXPECT_FALSE(m.matches(a));

  a = testing::shell_alert("shop");
  a.priority = Priority::kInformational;
  EXPECT_FALSE(m.matches(a));

  a = testing::shell_alert("shop");
  a.source = "k8s_audit";
  EXPECT_FALSE(m.matches(a));

  // A namespace filter never matches an alert without a string namespace.
  a = testing::shell_alert("shop");
  a.output_fields["k8s.ns.name"] = 5;
  EXPECT_FALSE(m.matches(a));
  a.output_fields.erase("k8s.ns.name");
  EXPECT_FALSE(m.matches(a));

  Match any;
  any.rules = {"*"};
  EXPECT_TRUE(any.matches(a));
}

}  // namespace
}  // namespace riposte::playbook
