// The run ledger's lease against a real nats-server: a live owner keeps its run however long
// a step takes (its heartbeat renews the record), a dead owner's run is taken over after one
// lease without a renewal, and an owner whose run was taken over learns it at its next
// renewal. Nothing compares clocks: the lease is watched on the claimer's steady clock.
#include "responder/run_ledger.h"

#include <gtest/gtest.h>

#include <thread>

#include "responder/bus.h"
#include "responder/heartbeat.h"
#include "tests/support/nats_server.h"
#include "tests/support/test_util.h"

namespace riposte::responder {
namespace {

constexpr int64_t kLeaseMs = 300;

class RunLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start());
    auto c = nats::Connection::connect({.url = server_.url(), .name = "ledger-test"});
    ASSERT_TRUE(c.ok()) << c.error();
    conn_ = std::move(*c);
    auto b = open_buckets(*conn_, {});
    ASSERT_TRUE(b.ok()) << b.error();
    buckets_ = std::move(*b);
  }
  testing::NatsServer server_;
  std::unique_ptr<nats::Connection> conn_;
  Buckets buckets_;
};

TEST_F(RunLedgerTest, ALiveOwnerIsNeverTakenOverWhileAStepOutlastsTheLease) {
  RunLedger owner(buckets_.runs.get(), "owner", kLeaseMs),
      other(buckets_.runs.get(), "other", kLeaseMs);
  auto mine = owner.claim("run-1");
  ASSERT_TRUE(mine.ok()) << mine.error();
  ASSERT_EQ(mine->state, RunLedger::State::kAcquired);
  Heartbeat heartbeat(&owner, owner.renew_interval_ms());
  heartbeat.begin_run("run-1", mine->revision);
  // The owner's step lasts several leases; each claim watches the record for one of them.
  for (int i = 0; i < 4; ++i) {
    auto theirs = other.claim("run-1");
    ASSERT_TRUE(theirs.ok()) << theirs.error();
    EXPECT_EQ(theirs->state, RunLedger::State::kBusy) << "claim " << i << " took a live run over";
  }
  EXPECT_FALSE(heartbeat.lost());
  const uint64_t revision = heartbeat.end_run();
  RunRecord record;
  record.id = "run-1";
  record.outcome = RunOutcome::kSucceeded;
  record.requests_sent = 2;
  EXPECT_TRUE(owner.complete("run-1", revision, record).ok());
  auto after = other.claim("run-1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, RunLedger::State::kDone);
  ASSERT_TRUE(after->record.has_value());  // read back as it was written
  EXPECT_EQ(after->record->outcome, RunOutcome::kSucceeded);
  EXPECT_EQ(after->record->requests_sent, 2u);
}

TEST_F(RunLedgerTest, ADeadOwnersRunIsTakenOverWithItsFinishedSteps) {
  RunLedger dead(buckets_.runs.get(), "dead", kLeaseMs),
      other(buckets_.runs.get(), "other", kLeaseMs);
  auto claim = dead.claim("run-2");
  ASSERT_TRUE(claim.ok()) << claim.error();
  uint64_t revision = claim->revision;
  playbook::StepOutcome step{"first", "pod.label", actions::ActionResult{}, {}, 1, 1};
  ASSERT_TRUE(dead.progress("run-2", &revision, {step}).ok());
  // No renewal from here on.
  auto theirs = other.claim("run-2");
  ASSERT_TRUE(theirs.ok()) << theirs.error();
  ASSERT_EQ(theirs->state, RunLedger::State::kAcquired);
  EXPECT_TRUE(theirs->takeover);
  ASSERT_EQ(theirs->resume.size(), 1u);
  EXPECT_EQ(theirs->resume[0].name, "first");
  // Were the owner only slow, its next renewal is refused: it learns it lost the run.
  Heartbeat heartbeat(&dead, 20);
  heartbeat.begin_run("run-2", revision);
  EXPECT_TRUE(testing::eventually([&] { return heartbeat.lost(); }, 10000));
  EXPECT_FALSE(heartbeat.progress({step, step}).ok());
}

TEST_F(RunLedgerTest, ARunGivenBackIsTakenOverWithoutWaiting) {
  RunLedger first(buckets_.runs.get(), "first", 3600 * 1000),
      second(buckets_.runs.get(), "second", 3600 * 1000);
  auto claim = first.claim("run-3");
  ASSERT_TRUE(claim.ok()) << claim.error();
  ASSERT_TRUE(first.release("run-3", claim->revision, {}).ok());
  // With an hour-long lease, only a release lets this claim through (it would wait an hour).
  auto theirs = second.claim("run-3");
  ASSERT_TRUE(theirs.ok()) << theirs.error();
  EXPECT_EQ(theirs->state, RunLedger::State::kAcquired);
  EXPECT_TRUE(theirs->takeover);
}

}  // namespace
}  // namespace riposte::responder
