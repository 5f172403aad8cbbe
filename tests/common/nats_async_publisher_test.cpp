// nats::AsyncPublisher against a real nats-server: every publish is answered exactly once,
// stored (with its own stream sequence, a repeated message id marked duplicate) or refused,
// and one the server never acknowledges is answered with an error, not left hanging.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include "common/nats.h"
#include "tests/support/nats_server.h"
#include "tests/support/test_util.h"

namespace riposte::testing {
namespace {

struct Answers {
  std::mutex mu;
  std::set<uint64_t> sequences;
  int stored = 0, duplicates = 0, errors = 0;
  std::string last_error;
  nats::AsyncPublisher::Done done() {
    return [this](Result<nats::PubAck> r) {
      std::lock_guard<std::mutex> lock(mu);
      if (!r.ok()) {
        ++errors;
        last_error = r.error();
      } else if (r->duplicate) {
        ++duplicates;
      } else {
        ++stored;
        sequences.insert(r->sequence);
      }
    };
  }
  int total() {
    std::lock_guard<std::mutex> lock(mu);
    return stored + duplicates + errors;
  }
};

TEST(AsyncPublisherTest, EveryPublishIsAnsweredOnce) {
  NatsServer server;
  ASSERT_TRUE(server.start());
  auto c = nats::Connection::connect({.url = server.url(), .timeout_ms = 2000});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE((*c)->ensure_stream({.name = "ASYNC", .subjects = {"async.>"}}).ok());
  auto publisher = (*c)->async_publisher(64);  // fewer than the publishes: the window refills
  ASSERT_TRUE(publisher.ok()) << publisher.error();
  Answers answers;
  constexpr int kCount = 500;
  for (int i = 0; i < kCount; ++i) {
    (*publisher)
        ->publish("async.x", "m" + std::to_string(i), "id-" + std::to_string(i), {},
                  answers.done());
  }
  (*publisher)->publish("async.x", "again", "id-7", {}, answers.done());  // same id as #7
  (*publisher)->publish("nostream.x", "lost", "", {}, answers.done());    // no stream takes it
  ASSERT_TRUE(eventually([&] { return answers.total() == kCount + 2; }, 30000));
  EXPECT_EQ(answers.stored, kCount);
  EXPECT_EQ(answers.sequences.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(answers.duplicates, 1);
  EXPECT_EQ(answers.errors, 1) << answers.last_error;

  // The server gone: the publish is answered with an error (by nats.c's timeout, or when the
  // publisher closes), never left without an answer.
  server.stop();
  Answers late;
  (*publisher)->publish("async.x", "late", "id-late", {}, late.done());
  publisher->reset();
  EXPECT_EQ(late.total(), 1);
  EXPECT_EQ(late.errors, 1);
}

}  // namespace
}  // namespace riposte::testing
