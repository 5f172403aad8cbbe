// The UI's index: rows, filters, paging, charts and run links, from alerts and records as
// the streams hold them.
#include "ui/alert_index.h"

#include <gtest/gtest.h>

#include "common/alert.h"

namespace riposte::ui {
namespace {

std::string alert(const std::string& rule, const std::string& prio, const std::string& ns,
                  const std::string& pod, const std::string& node, int64_t t_s) {
  Alert a;
  a.rule = rule;
  a.priority = *parse_priority(prio);
  a.time_ns = t_s * 1000000000LL;
  a.hostname = node;
  a.output = "x";
  a.output_fields["k8s.ns.name"] = ns;
  a.output_fields["k8s.pod.name"] = pod;
  return to_json(a);
}

std::string run(const std::string& id, uint64_t alert_seq, const std::string& playbook,
                const std::string& outcome) {
  nlohmann::json steps = nlohmann::json::array(
      {{{"action", "workload.scale"},
        {"status", outcome == "succeeded" ? "succeeded" : "failed"},
        {"targets", {"deployments/shop/web"}},
        {"requests",
         {{{"method", "PATCH"},
           {"path", "/apis/apps/v1/namespaces/shop/deployments/web"},
           {"body", R"([{"op":"test","path":"/spec/replicas","value":3}])"}}}}}});
  return nlohmann::json{
      {"kind", "run"},
      {"id", id},
      {"playbook", playbook},
      {"outcome", outcome},
      {"steps", steps},
      {"alert", {{"stream_sequence", alert_seq}, {"time", "2026-01-01T00:00:00Z"}}}}
      .dump();
}

class AlertIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(index_.add_alert(1, alert("Shell", "Warning", "shop", "web-1", "n1", 100)));
    ASSERT_TRUE(index_.add_alert(2, alert("Shell", "Critical", "shop", "web-2", "n2", 200)));
    ASSERT_TRUE(index_.add_alert(3, alert("Miner", "Critical", "bank", "db-0", "n1", 300)));
    index_.add_record(1, run("r1", 2, "scale-down", "succeeded"));
  }
  AlertIndex index_;
};

TEST_F(AlertIndexTest, NewestFirstWithRuns) {
  Page p = index_.query({}, 10, 0);
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_EQ(p.matched, 3u);
  EXPECT_EQ(p.rows[0]["seq"], 3);
  EXPECT_EQ(p.rows[1]["runs"][0]["id"], "r1");
  EXPECT_EQ(p.rows[1]["runs"][0]["undoable"], true);
  EXPECT_EQ(p.rows[2]["node"], "n1");
}

TEST_F(AlertIndexTest, FiltersNarrow) {
  Filter f;
  f.ns = "shop";
  EXPECT_EQ(index_.query(f, 10, 0).matched, 2u);
  f.priorities = {static_cast<uint8_t>(Priority::kCritical)};
  Page p = index_.query(f, 10, 0);
  ASSERT_EQ(p.matched, 1u);
  EXPECT_EQ(p.rows[0]["pod"], "web-2");
  Filter by_run;
  by_run.playbook = "scale-down";
  by_run.outcome = "succeeded";
  EXPECT_EQ(index_.query(by_run, 10, 0).matched, 1u);
  Filter unknown;
  unknown.rule = "never seen";
  EXPECT_EQ(index_.query(unknown, 10, 0).matched, 0u);
  Filter range;
  range.from_ns = 150 * 1000000000LL;
  range.to_ns = 300 * 1000000000LL;
  EXPECT_EQ(index_.query(range, 10, 0).matched, 1u);
}

TEST_F(AlertIndexTest, Pages) {
  Page first = index_.query({}, 2, 0);
  ASSERT_EQ(first.rows.size(), 2u);
  EXPECT_EQ(first.next_before, 2u);
  Page second = index_.query({}, 2, first.next_before);
  ASSERT_EQ(second.rows.size(), 1u);
  EXPECT_EQ(second.rows[0]["seq"], 1);
  EXPECT_EQ(second.next_before, 0u);
}

TEST_F(AlertIndexTest, Stats) {
  auto s = index_.stats({}, 4);
  EXPECT_EQ(s["buckets"].size(), 4u);
  EXPECT_EQ(s["rules"][0]["name"], "Shell");
  EXPECT_EQ(s["rules"][0]["count"], 2);
  EXPECT_EQ(s["nodes"][0]["name"], "n1");
  EXPECT_EQ(s["outcomes"]["succeeded"], 1);
  uint64_t total = 0;
  for (const auto& b : s["buckets"])
    for (const auto& [p, n] : b["counts"].items()) total += n.get<uint64_t>();
  EXPECT_EQ(total, 3u);
}

TEST_F(AlertIndexTest, UndoMarksTheRun) {
  index_.add_record(2,
                    nlohmann::json{{"kind", "undo"}, {"run", "r1"}, {"outcome", "failed"}}.dump());
  EXPECT_EQ(index_.run("r1")->undo_seq, 0u) << "a failed undo leaves the run undoable";
  index_.add_record(
      3, nlohmann::json{{"kind", "undo"}, {"run", "r1"}, {"outcome", "succeeded"}}.dump());
  EXPECT_EQ(index_.run("r1")->undo_seq, 3u);
  EXPECT_EQ(index_.query({}, 10, 0).rows[1]["runs"][0]["undone"], true);
}

TEST_F(AlertIndexTest, BadInputIsCountedNotIndexed) {
  EXPECT_FALSE(index_.add_alert(4, "{not json"));
  index_.add_record(4, "[1,2");
  EXPECT_EQ(index_.invalid(), 1u);
  EXPECT_EQ(index_.alerts(), 3u);
}

}  // namespace
}  // namespace riposte::ui
