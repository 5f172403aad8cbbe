#include "common/alert.h"

#include <gtest/gtest.h>

namespace riposte {
namespace {

Alert sample() {
  Alert a;
  a.time_ns = 1'764'000'000'123'456'789;
  a.rule = "Terminal shell in container";
  a.priority = Priority::kNotice;
  a.hostname = "node-1";
  a.output = "A shell was spawned (user=root)";
  a.output_fields["container.id"] = "0123456789ab";
  a.output_fields["proc.pid"] = 4242;
  a.output_fields["proc.tty"] = 34816;
  a.output_fields["evt.rawres"] = -2;
  a.output_fields["fd.name"] = nullptr;
  a.output_fields["container.privileged"] = false;
  a.output_fields["k8s.pod.name"] = "web-1";
  a.tags = {"container", "shell", "mitre_execution"};
  a.uuid = new_uuid();
  return a;
}

TEST(AlertJson, RoundTripKeepsTypes) {
  const Alert a = sample();
  const std::string json = to_json(a);
  auto parsed = parse_alert(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->rule, a.rule);
  EXPECT_EQ(parsed->priority, a.priority);
  EXPECT_EQ(parsed->time_ns, a.time_ns);
  EXPECT_EQ(parsed->hostname, a.hostname);
  EXPECT_EQ(parsed->output, a.output);
  EXPECT_EQ(parsed->tags, a.tags);
  EXPECT_EQ(parsed->uuid, a.uuid);
  // Numbers stay numbers, booleans booleans, null null.
  EXPECT_TRUE(parsed->output_fields["proc.pid"].is_number_integer());
  EXPECT_EQ(parsed->output_fields["proc.pid"].get<int>(), 4242);
  EXPECT_EQ(parsed->output_fields["evt.rawres"].get<int>(), -2);
  EXPECT_TRUE(parsed->output_fields["fd.name"].is_null());
  EXPECT_TRUE(parsed->output_fields["container.privileged"].is_boolean());
  EXPECT_TRUE(parsed->output_fields["k8s.pod.name"].is_string());
  EXPECT_EQ(to_json(*parsed).size(), json.size());
}

TEST(AlertJson, FalcoFieldShapes) {
  const auto j = nlohmann::json::parse(to_json(sample()));
  EXPECT_EQ(j["time"], "2025-11-24T16:00:00.123456789Z");
  EXPECT_EQ(j["priority"], "Notice");
  EXPECT_EQ(j["source"], "syscall");
  EXPECT_TRUE(j["output_fields"]["proc.pid"].is_number());
  EXPECT_TRUE(j["tags"].is_array());
  EXPECT_EQ(j["uuid"].get<std::string>().size(), 36u);
}

TEST(AlertJson, ParsesFalcoOutput) {
  // As Falco itself writes it (json_output: true), with a 6-digit fraction and info alias.
  auto a = parse_alert(R"({"hostname":"h","output":"x","priority":"info",
    "rule":"R","source":"syscall","tags":[],"time":"2024-01-02T03:04:05.123456Z",
    "output_fields":{"evt.time":1704164645123456000,"proc.name":"bash"}})");
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(a->priority, Priority::kInformational);
  EXPECT_EQ(a->time_ns, 1704164645123456000);
  EXPECT_TRUE(a->output_fields["evt.time"].is_number_unsigned());
}

TEST(AlertJson, RejectsMalformedWithReason) {
  struct Case {
    const char* json;
    const char* reason;
  };
  const Case cases[] = {
      {"{", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {R"({"priority":"Notice","time":"2024-01-02T03:04:05Z"})", "missing field \"rule\""},
      {R"({"rule":"r","priority":"Loud","time":"2024-01-02T03:04:05Z"})", "unknown priority"},
      {R"({"rule":"r","priority":"Notice","time":"yesterday"})", "RFC 3339"},
      {R"({"rule":7,"priority":"Notice","time":"2024-01-02T03:04:05Z"})", "must be a string"},
      {R"({"rule":"r","priority":"Notice","time":"2024-01-02T03:04:05Z","output_fields":[]})",
       "must be an object"},
      {R"({"rule":"r","priority":"Notice","time":"2024-01-02T03:04:05Z","output_fields":{"a":{}}})",
       "must be a scalar"},
      {R"({"rule":"r","priority":"Notice","time":"2024-01-02T03:04:05Z","tags":[1]})",
       "array of strings"},
  };
  for (const auto& c : cases) {
    auto a = parse_alert(c.json);
    ASSERT_FALSE(a.ok()) << c.json;
    EXPECT_NE(a.error().find(c.reason), std::string::npos) << c.json << " -> " << a.error();
  }
  std::string huge = R"({"rule":"r","priority":"Notice","time":"2024-01-02T03:04:05Z","output":")" +
                     std::string(kMaxAlertBytes, 'x') + "\"}";
  auto a = parse_alert(huge);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().find("over the limit"), std::string::npos);
}

TEST(AlertSubject, SlugAndPriority) {
  EXPECT_EQ(rule_slug("Terminal shell in container"), "terminal_shell_in_container");
  EXPECT_EQ(rule_slug("  Read sensitive file (untrusted)!! "), "read_sensitive_file_untrusted");
  EXPECT_EQ(rule_slug("Drop and execute new binary in container"),
            "drop_and_execute_new_binary_in_container");
  EXPECT_EQ(rule_slug("K8s  Secret--Get"), "k8s_secret_get");
  Alert a = sample();
  EXPECT_EQ(alert_subject(a), "riposte.alerts.notice.terminal_shell_in_container");
  a.priority = Priority::kInformational;
  EXPECT_EQ(alert_subject(a), "riposte.alerts.informational.terminal_shell_in_container");
}

TEST(AlertPriority, ParseAndOrder) {
  EXPECT_EQ(parse_priority("CRITICAL"), Priority::kCritical);
  EXPECT_EQ(parse_priority("info"), Priority::kInformational);
  EXPECT_FALSE(parse_priority("urgent").has_value());
  EXPECT_TRUE(at_least(Priority::kCritical, Priority::kWarning));
  EXPECT_FALSE(at_least(Priority::kNotice, Priority::kWarning));
}

TEST(AlertTime, Rfc3339) {
  EXPECT_EQ(format_rfc3339_ns(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_rfc3339("2000-02-29T00:00:00.5Z"), 951782400500000000);
  EXPECT_FALSE(parse_rfc3339("2000-02-29").has_value());
  EXPECT_FALSE(parse_rfc3339("2000-13-01T00:00:00Z").has_value());
}

TEST(AlertText, FalcoLineAndDedupKey) {
  Alert a = sample();
  EXPECT_EQ(falco_text_line(a), "16:00:00.123456789: Notice A shell was spawned (user=root)");
  Alert b = a;
  b.uuid = new_uuid();
  EXPECT_EQ(alert_dedup_key(a), alert_dedup_key(b));  // uuid is not part of identity
  b.time_ns += 1;
  EXPECT_NE(alert_dedup_key(a), alert_dedup_key(b));
  EXPECT_EQ(alert_dedup_key(a).size(), 64u);
}

}  // namespace
}  // namespace riposte
