// audit/event_list.cpp: what a webhook body becomes, and every way it is refused.
#include "audit/event_list.h"

#include <gtest/gtest.h>

#include "tests/support/audit_samples.h"

namespace riposte::audit {
namespace {

namespace samples = riposte::testing::audit;
using nlohmann::json;

struct Outcome {
  bool ok;
  ParsedBatch batch;
  Rejection why;
};

Outcome parse(const std::string& body, ParseLimits limits = {}) {
  Outcome o;
  o.ok = parse_event_list(body, limits, &o.batch, &o.why);
  return o;
}

TEST(EventList, ParsesEveryEventWithItsMembersIndexed) {
  auto o = parse(samples::event_list({samples::privileged_pod_create("shop", "p1"),
                                      samples::pod_exec("shop", "web")})
                     .dump());
  ASSERT_TRUE(o.ok) << o.why.detail;
  ASSERT_EQ(o.batch.events.size(), 2u);
  EXPECT_TRUE(o.batch.skipped.empty());
  EXPECT_EQ(o.batch.unknown_members, 0u);
  const auto& a = o.batch.events[0];
  ASSERT_NE(a.verb, nullptr);
  EXPECT_EQ(*a.verb, "create");
  EXPECT_EQ(*a.name, "p1");
  EXPECT_EQ(*a.ns, "shop");
  ASSERT_NE(a.request_object, nullptr);
  EXPECT_EQ(*o.batch.events[1].subresource, "exec");
  EXPECT_EQ(*o.batch.events[1].stage, "ResponseStarted");
}

TEST(EventList, RefusesWhatIsNotAnEventListWithAReason) {
  EXPECT_EQ(parse("").why.reason, "malformed");
  EXPECT_EQ(parse("{\"kind\":\"EventList\",\"items\":[").why.reason, "malformed");
  EXPECT_EQ(parse("[1,2,3]").why.reason, "not_event_list");
  EXPECT_EQ(parse(R"({"kind":"PodList","items":[]})").why.reason, "not_event_list");
  EXPECT_EQ(parse(R"({"kind":"EventList"})").why.reason, "not_event_list");
  EXPECT_EQ(parse(R"({"kind":"EventList","items":{}})").why.reason, "not_event_list");
  EXPECT_EQ(
      parse(R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1beta1","items":[]})").why.reason,
      "not_event_list");
  // Nesting is refused before the parser sees it.
  std::string deep = R"({"kind":"EventList","items":[)" + std::string(100000, '[') +
                     std::string(100000, ']') + "]}";
  auto d = parse(deep);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.why.reason, "too_deep");
  EXPECT_FALSE(parse("").why.detail.empty());
  EXPECT_FALSE(parse("[1]").why.detail.empty());
  EXPECT_FALSE(d.why.detail.empty());
}

TEST(EventList, AnEmptyListIsAccepted) {
  EXPECT_TRUE(parse(R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":null})").ok);
  auto o = parse(samples::event_list({}).dump());
  EXPECT_TRUE(o.ok);
  EXPECT_TRUE(o.batch.events.empty());
}

TEST(EventList, ABadEventIsSkippedAndTheOthersKept) {
  std::vector<json> items = {samples::secret_get("shop", "db", "mallory"), 42,
                             json{{"auditID", "x"}}, samples::routine_list("shop")};
  auto o = parse(samples::event_list(items).dump());
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.batch.events.size(), 2u);
  ASSERT_EQ(o.batch.skipped.size(), 2u);
  EXPECT_EQ(o.batch.skipped[0].reason, "malformed_event");
  EXPECT_EQ(o.batch.skipped[1].reason, "malformed_event");
}

TEST(EventList, UnknownMembersAreCountedAndKept) {
  json e = samples::secret_get("shop", "db", "mallory");
  e["aNewFieldOfKubernetes1_40"] = {{"x", 1}};
  e["another"] = true;
  auto o = parse(samples::event_list({e}).dump());
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.batch.events.size(), 1u);
  EXPECT_EQ(o.batch.unknown_members, 2u);
}

// kube-apiserver's fieldValidation: Warn (the default) keeps and names them, Ignore keeps and
// counts, Strict skips the event with its reason and keeps the others.
TEST(EventList, UnknownMembersFollowFieldValidation) {
  json odd = samples::secret_get("shop", "db", "mallory");
  odd["zNew"] = true;
  odd["aNewObject"] = {{"x", 1}};  // an object: kept as text by the scanner
  const std::string body = samples::event_list({odd, samples::pod_exec("shop", "web")}).dump();
  for (bool dom : {false, true}) {
    for (auto mode : {FieldValidation::kIgnore, FieldValidation::kWarn, FieldValidation::kStrict}) {
      ParseLimits limits;
      limits.unknown_members = mode;
      ParsedBatch batch;
      Rejection why;
      ASSERT_TRUE(dom ? parse_event_list_dom(body, limits, &batch, &why)
                      : parse_event_list(body, limits, &batch, &why));
      if (mode == FieldValidation::kStrict) {
        ASSERT_EQ(batch.events.size(), 1u);
        EXPECT_EQ(batch.events[0].doc["verb"], "create");  // the exec, not the secret read
        ASSERT_EQ(batch.skipped.size(), 1u);
        EXPECT_EQ(batch.skipped[0].reason, "unknown_field");
        EXPECT_NE(batch.skipped[0].detail.find("\"aNewObject\""), std::string::npos)
            << batch.skipped[0].detail;
        EXPECT_EQ(batch.unknown_members, 0u);
      } else {
        EXPECT_EQ(batch.events.size(), 2u);
        EXPECT_TRUE(batch.skipped.empty());
        EXPECT_EQ(batch.unknown_members, 2u);
        std::vector<std::string> names = batch.unknown_names;
        std::sort(names.begin(), names.end());
        EXPECT_EQ(names,
                  (mode == FieldValidation::kWarn ? std::vector<std::string>{"aNewObject", "zNew"}
                                                  : std::vector<std::string>{}));
      }
    }
  }
  FieldValidation v;
  EXPECT_TRUE(parse_field_validation("Strict", &v));
  EXPECT_EQ(v, FieldValidation::kStrict);
  EXPECT_FALSE(parse_field_validation("strict", &v));
}

TEST(EventList, AOneMiBRequestObject) {
  json e = samples::privileged_pod_create("shop", "big");
  e["requestObject"]["metadata"]["annotations"] = {{"pad", std::string(1 << 20, 'x')}};
  const std::string body = samples::event_list({e, samples::pod_exec("shop", "web")}).dump();
  // Kept by default (the API server's own object limit is above it) ...
  auto kept = parse(body);
  ASSERT_TRUE(kept.ok);
  EXPECT_EQ(kept.batch.events.size(), 2u);
  // ... skipped with a reason under a lower limit, the rest of the batch kept.
  ParseLimits small;
  small.max_event_bytes = 512 * 1024;
  auto skipped = parse(body, small);
  ASSERT_TRUE(skipped.ok);
  ASSERT_EQ(skipped.batch.events.size(), 1u);
  EXPECT_EQ(*skipped.batch.events[0].subresource, "exec");
  ASSERT_EQ(skipped.batch.skipped.size(), 1u);
  EXPECT_EQ(skipped.batch.skipped[0].reason, "event_too_large");
}

}  // namespace
}  // namespace riposte::audit
