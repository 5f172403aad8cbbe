// The run record's format on the bus: what one replica writes, another (or an older or newer
// one) reads back unchanged, and a record it cannot read is an error, never a guess.
#include "responder/run_record.h"

#include <gtest/gtest.h>

namespace riposte::responder {
namespace {

RunRecord sample() {
  RunRecord r;
  r.id = "k";
  r.alert_id = "a1";
  r.playbook = "contain";
  r.playbook_origin = "playbooks/contain.yaml";
  r.replica = "r1";
  r.alert = {"a1",      "Terminal shell in container",
             "Notice",  "2026-12-03T20:00:00Z",
             "u",       "node-1",
             "syscall", "riposte.alerts.notice",
             42,        2};
  r.outcome = RunOutcome::kSucceeded;
  r.steps = nlohmann::json::array({{{"name", "kill"}, {"status", "succeeded"}}});
  r.requests_sent = 1;
  r.started = "2026-12-03T20:00:00.1Z";
  r.finished = "2026-12-03T20:00:00.2Z";
  r.duration_ms = 100.5;
  r.alert_to_action_ms = 7.25;
  r.resumed_steps = 1;
  return r;
}

TEST(RunRecordTest, ReadsBackWhatItWrites) {
  const RunRecord r = sample();
  auto back = RunRecord::from_json(nlohmann::json::parse(r.dump()));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->to_json(), r.to_json());
  EXPECT_EQ(back->alert.stream_sequence, 42u);
  EXPECT_EQ(back->outcome, RunOutcome::kSucceeded);
  EXPECT_EQ(back->resumed_steps, 1);
}

TEST(RunRecordTest, KeepsTheKeysOnTheBus) {
  const nlohmann::json j = sample().to_json();
  for (const char* key : {"kind", "id", "alert_id", "playbook", "playbook_origin", "alert",
                          "replica", "outcome", "dry_run", "steps", "requests_sent", "started",
                          "finished", "duration_ms", "alert_to_action_ms", "resumed_steps"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["outcome"], "succeeded");
  EXPECT_EQ(j["kind"], "run");
}

TEST(RunRecordTest, ASuppressedRunNamesItsWindow) {
  RunRecord r = sample();
  r.outcome = RunOutcome::kSuppressed;
  r.cooldown_target = "ns/pod";
  r.suppressed_in_window = 3;
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j["outcome"], "suppressed");
  EXPECT_EQ(j["suppressed_in_window"], 3);
  EXPECT_FALSE(j.contains("dry_run"));
}

TEST(RunRecordTest, UnknownKeysAreIgnoredAndBadOnesRefused) {
  nlohmann::json j = sample().to_json();
  j["added_by_a_newer_replica"] = true;
  EXPECT_TRUE(RunRecord::from_json(j).ok());
  j["outcome"] = "exploded";
  EXPECT_FALSE(RunRecord::from_json(j).ok());
  j = sample().to_json();
  j["requests_sent"] = "many";
  EXPECT_FALSE(RunRecord::from_json(j).ok());
  EXPECT_FALSE(RunRecord::from_json(nlohmann::json::array()).ok());
}

TEST(RunRecordTest, EveryOutcomeHasOneName) {
  for (RunOutcome o : {RunOutcome::kSucceeded, RunOutcome::kFailed, RunOutcome::kDryRun,
                       RunOutcome::kSkipped, RunOutcome::kSuppressed}) {
    EXPECT_EQ(outcome_from_name(outcome_name(o)), o);
  }
}

}  // namespace
}  // namespace riposte::responder
