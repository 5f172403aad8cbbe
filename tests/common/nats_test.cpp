// The NATS wrapper against a real nats-server with JetStream, started by the tests.
#include "common/nats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/nats_server.h"

namespace riposte::nats {
namespace {

using riposte::testing::NatsServer;
using riposte::testing::NatsServerOptions;
using ::testing::HasSubstr;

// Polls cond every 20ms for up to timeout.
template <typename F>
bool eventually(F cond, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

std::unique_ptr<Connection> must_connect(const std::string& url, Options o = {}) {
  o.url = url;
  o.name = "riposte-nats-test";
  auto c = Connection::connect(o);
  EXPECT_TRUE(c.ok()) << c.error();
  return c.ok() ? std::move(*c) : nullptr;
}

class NatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start());
    conn_ = must_connect(server_.url());
    ASSERT_NE(conn_, nullptr);
    ASSERT_TRUE(conn_->connected());
  }

  Status make_stream(const std::string& name = "ALERTS") {
    return conn_->ensure_stream({.name = name, .subjects = {"alerts.>"}});
  }

  NatsServer server_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(NatsTest, ConnectAndCoreRoundTrip) {
  EXPECT_THAT(conn_->connected_url(), HasSubstr(std::to_string(server_.port())));
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  auto sub = conn_->subscribe("core.test", "", [&](Message&& m) {
    std::lock_guard<std::mutex> lock(mu);
    got.push_back(std::string(m.subject()) + "=" + std::string(m.data()));
    EXPECT_EQ(m.num_delivered(), 0u);  // not JetStream
    EXPECT_FALSE(m.ack().ok());
    cv.notify_all();
  });
  ASSERT_TRUE(sub.ok()) << sub.error();
  ASSERT_TRUE(conn_->flush(2000).ok());
  ASSERT_TRUE(conn_->publish("core.test", "hello").ok());
  ASSERT_TRUE(conn_->flush(2000).ok());
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return !got.empty(); }));
  EXPECT_EQ(got[0], "core.test=hello");
}

TEST_F(NatsTest, QueueGroupSplitsCoreMessages) {
  std::atomic<int> a{0}, b{0};
  auto s1 = conn_->subscribe("work", "workers", [&](Message&&) { ++a; });
  auto s2 = conn_->subscribe("work", "workers", [&](Message&&) { ++b; });
  ASSERT_TRUE(s1.ok() && s2.ok());
  ASSERT_TRUE(conn_->flush(2000).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(conn_->publish("work", "x").ok());
  ASSERT_TRUE(eventually([&] { return a + b == 100; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(a + b, 100);  // each message went to exactly one member
}

TEST_F(NatsTest, SubscriptionDestructorWaitsForHandler) {
  std::atomic<bool> in_handler{false};
  std::atomic<bool> handler_done{false};
  auto sub = conn_->subscribe("slow", "", [&](Message&&) {
    in_handler = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    handler_done = true;
  });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(conn_->flush(2000).ok());
  ASSERT_TRUE(conn_->publish("slow", "x").ok());
  ASSERT_TRUE(eventually([&] { return in_handler.load(); }));
  sub->reset();
  EXPECT_TRUE(handler_done);
}

TEST(NatsAuth, WrongPasswordIsAClearError) {
  NatsServer server(NatsServerOptions{.user = "riposte", .password = "s3cret"});
  ASSERT_TRUE(server.start());
  auto bad = Connection::connect({.url = server.url(), .user = "riposte", .password = "wrong"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error(), HasSubstr("connect to " + server.url()));
  EXPECT_THAT(bad.error(), HasSubstr("Authorization Violation"));

  auto good = Connection::connect({.url = server.url(), .user = "riposte", .password = "s3cret"});
  ASSERT_TRUE(good.ok()) << good.error();
  EXPECT_TRUE((*good)->connected());
}

TEST(NatsAuth, Token) {
  NatsServer server(NatsServerOptions{.config = "authorization { token: \"t0ken\" }"});
  ASSERT_TRUE(server.start());
  EXPECT_FALSE(Connection::connect({.url = server.url(), .token = "nope"}).ok());
  auto good = Connection::connect({.url = server.url(), .token = "t0ken"});
  ASSERT_TRUE(good.ok()) << good.error();
}

// Seed and public key from the nats.c README.
constexpr const char* kSeed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
constexpr const char* kPublic = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

TEST(NatsAuth, NkeyPublicFromSeed) {
  auto pub = nkey_public_from_seed(kSeed);
  ASSERT_TRUE(pub.ok()) << pub.error();
  EXPECT_EQ(*pub, kPublic);
  EXPECT_FALSE(
      nkey_public_from_seed("SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VA").ok());
  EXPECT_FALSE(nkey_public_from_seed("hello").ok());
}

TEST(NatsAuth, NkeySeedFile) {
  NatsServer server(NatsServerOptions{
      .config = std::string("authorization { users = [ { nkey: \"") + kPublic + "\" } ] }"});
  ASSERT_TRUE(server.start());
  const std::string seed_file = server.store_dir() + "/../user.nk";
  std::ofstream(seed_file) << kSeed << "\n";
  auto good = Connection::connect({.url = server.url(), .nkey_seed_file = seed_file});
  ASSERT_TRUE(good.ok()) << good.error();
  EXPECT_TRUE((*good)->connected());
  EXPECT_FALSE(Connection::connect({.url = server.url()}).ok());
}

// A throwaway CA and server certificate for 127.0.0.1, made with the openssl CLI.
bool make_test_pki(const std::string& dir) {
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/ca.key",
       "-out", dir + "/ca.pem", "-days", "2", "-subj", "/CN=riposte-test-ca"},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/server.key", "-out",
       dir + "/server.csr", "-subj", "/CN=127.0.0.1"},
      {"openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem", "-CAkey",
       dir + "/ca.key", "-CAcreateserial", "-out", dir + "/server.pem", "-days", "2", "-extfile",
       dir + "/ext.cnf"},
  };
  std::ofstream(dir + "/ext.cnf") << "subjectAltName=IP:127.0.0.1\n";
  for (const auto& argv : steps) {
    auto p = riposte::testing::Subprocess::spawn(argv, {}, dir + "/openssl.log");
    if (!p.ok()) {
      ADD_FAILURE() << p.error();
      return false;
    }
    int status = 0;
    if (!(*p)->wait_exit(30000, &status) || status != 0) {
      ADD_FAILURE() << "openssl " << argv[1] << " failed:\n" << (*p)->log_tail();
      return false;
    }
  }
  return true;
}

TEST(NatsTls, ConnectsWithCaAndRejectsUnknownIssuer) {
  const std::string pki = riposte::testing::make_temp_dir("riposte-pki");
  ASSERT_FALSE(pki.empty());
  ASSERT_TRUE(make_test_pki(pki));
  NatsServer server(NatsServerOptions{.config = "tls { cert_file: \"" + pki +
                                                "/server.pem\", key_file: \"" + pki +
                                                "/server.key\" }"});
  ASSERT_TRUE(server.start());

  auto good = Connection::connect({.url = server.url(), .ca_file = pki + "/ca.pem"});
  ASSERT_TRUE(good.ok()) << good.error();
  EXPECT_TRUE((*good)->connected());
  EXPECT_TRUE((*good)->ensure_stream({.name = "TLS", .subjects = {"tls.>"}}).ok());

  // The system trust store does not know our CA.
  auto bad =
      Connection::connect({.url = server.url(), .ca_file = "/etc/ssl/certs/ca-certificates.crt"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error(), HasSubstr("SSL"));
  auto missing = Connection::connect({.url = server.url(), .ca_file = pki + "/nope.pem"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), HasSubstr("nope.pem"));
  std::error_code ec;
  std::filesystem::remove_all(pki, ec);
}

TEST_F(NatsTest, EnsureStreamIsIdempotentAndUpdatesSubjects) {
  ASSERT_TRUE(make_stream().ok());
  ASSERT_TRUE(make_stream().ok());
  EXPECT_FALSE(conn_->js_publish("other.x", "nope").ok());  // no stream listens there yet

  auto st = conn_->ensure_stream({.name = "ALERTS", .subjects = {"alerts.>", "other.>"}});
  ASSERT_TRUE(st.ok()) << st.error();
  auto ack = conn_->js_publish("other.x", "yes");
  ASSERT_TRUE(ack.ok()) << ack.error();
  EXPECT_EQ(ack->stream, "ALERTS");

  // Storage cannot change in place: say so instead of silently keeping the old one.
  st =
      conn_->ensure_stream({.name = "ALERTS", .subjects = {"alerts.>", "other.>"}, .memory = true});
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error(), HasSubstr("storage"));
}

TEST_F(NatsTest, EnsureStreamConcurrentCreators) {
  auto other = must_connect(server_.url());
  ASSERT_NE(other, nullptr);
  Status a, b;
  std::thread t1([&] { a = conn_->ensure_stream({.name = "RACE", .subjects = {"race.>"}}); });
  std::thread t2([&] { b = other->ensure_stream({.name = "RACE", .subjects = {"race.>"}}); });
  t1.join();
  t2.join();
  EXPECT_TRUE(a.ok()) << a.error();
  EXPECT_TRUE(b.ok()) << b.error();
}

TEST_F(NatsTest, JsPublishDedupsOnMsgId) {
  ASSERT_TRUE(make_stream().ok());
  auto first = conn_->js_publish("alerts.critical.x", "{}", "uuid-1");
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->sequence, 1u);
  auto second = conn_->js_publish("alerts.critical.x", "{}", "uuid-1");
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->sequence, 1u);
  auto third = conn_->js_publish("alerts.critical.x", "{}", "uuid-2");
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->duplicate);
  EXPECT_EQ(third->sequence, 2u);
}

TEST_F(NatsTest, JsPublishWithoutStreamFails) {
  auto r = conn_->js_publish("nowhere.x", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("js publish to nowhere.x"));
}

TEST_F(NatsTest, PullFetchAckNakRedelivery) {
  ASSERT_TRUE(make_stream().ok());
  ASSERT_TRUE(conn_->js_publish("alerts.warning.r", "payload", "m1", {{"X-Riposte", "yes"}}).ok());
  auto consumer = conn_->pull_consumer({.stream = "ALERTS",
                                        .durable = "responder",
                                        .filter_subject = "alerts.>",
                                        .ack_wait_ms = 5000});
  ASSERT_TRUE(consumer.ok()) << consumer.error();

  auto batch = (*consumer)->fetch(10, 2000);
  ASSERT_TRUE(batch.ok()) << batch.error();
  ASSERT_EQ(batch->size(), 1u);
  Message& m = (*batch)[0];
  EXPECT_EQ(m.data(), "payload");
  EXPECT_EQ(m.subject(), "alerts.warning.r");
  EXPECT_EQ(m.header("X-Riposte"), "yes");
  EXPECT_EQ(m.header("Nats-Msg-Id"), "m1");
  EXPECT_EQ(m.header("Absent"), std::nullopt);
  EXPECT_EQ(m.num_delivered(), 1u);
  EXPECT_EQ(m.stream_sequence(), 1u);
  ASSERT_TRUE(m.nak().ok());

  batch = (*consumer)->fetch(10, 5000);
  ASSERT_TRUE(batch.ok()) << batch.error();
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].num_delivered(), 2u);
  EXPECT_EQ((*batch)[0].stream_sequence(), 1u);
  ASSERT_TRUE((*batch)[0].in_progress().ok());
  auto st = (*batch)[0].ack();
  ASSERT_TRUE(st.ok()) << st.error();

  // Nothing left: a timeout is an empty batch, not an error.
  const auto start = std::chrono::steady_clock::now();
  batch = (*consumer)->fetch(10, 300);
  ASSERT_TRUE(batch.ok()) << batch.error();
  EXPECT_TRUE(batch->empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(NatsTest, NakWithDelayAndTerm) {
  ASSERT_TRUE(make_stream().ok());
  ASSERT_TRUE(conn_->js_publish("alerts.a", "1").ok());
  ASSERT_TRUE(conn_->js_publish("alerts.b", "2").ok());
  auto consumer = conn_->pull_consumer({.stream = "ALERTS", .durable = "d"});
  ASSERT_TRUE(consumer.ok()) << consumer.error();
  auto batch = (*consumer)->fetch(2, 2000);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 2u);
  ASSERT_TRUE((*batch)[0].term().ok());    // "1" never comes back
  ASSERT_TRUE((*batch)[1].nak(700).ok());  // "2" comes back after ~700ms
  const auto start = std::chrono::steady_clock::now();
  std::vector<Message> again;
  while (again.empty() && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    auto b = (*consumer)->fetch(2, 1000);
    ASSERT_TRUE(b.ok()) << b.error();
    for (auto& m : *b) again.push_back(std::move(m));
  }
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].data(), "2");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_TRUE(again[0].ack().ok());
}

TEST_F(NatsTest, MaxDeliverStopsRedelivery) {
  ASSERT_TRUE(make_stream().ok());
  ASSERT_TRUE(conn_->js_publish("alerts.p", "poison").ok());
  auto consumer = conn_->pull_consumer({.stream = "ALERTS", .durable = "md", .max_deliver = 2});
  ASSERT_TRUE(consumer.ok()) << consumer.error();
  for (uint64_t n = 1; n <= 2; ++n) {
    auto b = (*consumer)->fetch(1, 2000);
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(b->size(), 1u);
    EXPECT_EQ((*b)[0].num_delivered(), n);
    ASSERT_TRUE((*b)[0].nak().ok());
  }
  auto b = (*consumer)->fetch(1, 500);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->empty());
}

TEST_F(NatsTest, SameDurableSplitsMessagesWithoutOverlap) {
  ASSERT_TRUE(make_stream().ok());
  constexpr int kMessages = 60;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(conn_->js_publish("alerts.x", std::to_string(i), "id-" + std::to_string(i)).ok());
  }
  auto other = must_connect(server_.url());
  ASSERT_NE(other, nullptr);
  const ConsumerConfig cfg{.stream = "ALERTS", .durable = "shared", .ack_wait_ms = 30000};
  auto c1 = conn_->pull_consumer(cfg);
  auto c2 = other->pull_consumer(cfg);
  ASSERT_TRUE(c1.ok()) << c1.error();
  ASSERT_TRUE(c2.ok()) << c2.error();

  std::mutex mu;
  std::vector<std::string> seen1, seen2;
  // Each worker holds its first batch (unacknowledged) until the other has one too: otherwise
  // on a loaded machine one thread may drain the stream before the other is scheduled.
  std::atomic<int> first_batches{0};
  auto worker = [&](PullConsumer& c, std::vector<std::string>* seen) {
    int empty = 0;
    bool first = true;
    while (empty < 3) {
      auto b = c.fetch(7, 500);
      ASSERT_TRUE(b.ok()) << b.error();
      if (b->empty()) {
        ++empty;
        continue;
      }
      if (first) {
        first = false;
        ++first_batches;
        eventually([&] { return first_batches.load() == 2; }, std::chrono::seconds(30));
      }
      for (auto& m : *b) {
        {
          std::lock_guard<std::mutex> lock(mu);
          seen->push_back(std::string(m.data()));
        }
        EXPECT_EQ(m.num_delivered(), 1u);
        ASSERT_TRUE(m.ack().ok());
      }
    }
  };
  std::thread t1([&] { worker(**c1, &seen1); });
  std::thread t2([&] { worker(**c2, &seen2); });
  t1.join();
  t2.join();

  std::set<std::string> s1(seen1.begin(), seen1.end()), s2(seen2.begin(), seen2.end());
  EXPECT_EQ(s1.size(), seen1.size());
  EXPECT_EQ(s2.size(), seen2.size());
  for (const auto& v : s1) EXPECT_EQ(s2.count(v), 0u) << "delivered to both: " << v;
  EXPECT_EQ(seen1.size() + seen2.size(), static_cast<size_t>(kMessages));
  EXPECT_FALSE(seen1.empty());
  EXPECT_FALSE(seen2.empty());
}

TEST_F(NatsTest, PullConsumerConfigChangeUpdatesDurable) {
  ASSERT_TRUE(make_stream().ok());
  ConsumerConfig cfg{.stream = "ALERTS", .durable = "upd", .ack_wait_ms = 30000};
  ASSERT_TRUE(conn_->pull_consumer(cfg).ok());
  cfg.ack_wait_ms = 10000;
  cfg.max_deliver = 3;
  cfg.backoff_ms = {1000, 5000};
  auto again = conn_->pull_consumer(cfg);
  EXPECT_TRUE(again.ok()) << again.error();
  EXPECT_FALSE(conn_->pull_consumer({.stream = "NOPE", .durable = "x"}).ok());
}

TEST_F(NatsTest, MessagesOutliveConsumerAndConnection) {
  ASSERT_TRUE(make_stream().ok());
  ASSERT_TRUE(conn_->js_publish("alerts.z", "z").ok());
  std::vector<Message> kept;
  {
    auto c = conn_->pull_consumer({.stream = "ALERTS", .durable = "outlive"});
    ASSERT_TRUE(c.ok()) << c.error();
    auto b = (*c)->fetch(1, 2000);
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(b->size(), 1u);
    kept = std::move(*b);
  }
  // The consumer object is gone; acking still works through the message's own reference.
  EXPECT_TRUE(kept[0].ack().ok());
  conn_.reset();
  EXPECT_EQ(kept[0].data(), "z");
}

TEST_F(NatsTest, KeyValueCreateGetPutUpdateDelete) {
  auto kv = conn_->key_value("idem", 60000, 1);
  ASSERT_TRUE(kv.ok()) << kv.error();
  KeyValue& k = **kv;

  auto r1 = k.create("alert-123", "claimed");
  ASSERT_TRUE(r1.ok()) << r1.error();
  auto r2 = k.create("alert-123", "again");
  ASSERT_FALSE(r2.ok());
  EXPECT_TRUE(r2.code() == ErrorCode::kKeyExists) << r2.error();
  EXPECT_THAT(r2.error(), HasSubstr("idem/alert-123"));

  auto got = k.get("alert-123");
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "claimed");
  EXPECT_EQ((*got)->revision, *r1);

  auto missing = k.get("nope");
  ASSERT_TRUE(missing.ok()) << missing.error();
  EXPECT_FALSE(missing->has_value());

  auto u1 = k.update("alert-123", "done", *r1);
  ASSERT_TRUE(u1.ok()) << u1.error();
  auto u2 = k.update("alert-123", "stale", *r1);  // CAS with an old revision
  ASSERT_FALSE(u2.ok());
  EXPECT_TRUE(u2.code() == ErrorCode::kWrongRevision) << u2.error();
  EXPECT_FALSE(u2.code() == ErrorCode::kKeyExists);

  auto p = k.put("alert-123", "forced");
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_GT(*p, *u1);

  ASSERT_TRUE(k.del("alert-123").ok());
  got = k.get("alert-123");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  // A deleted key can be created again.
  EXPECT_TRUE(k.create("alert-123", "reclaimed").ok());

  // Binding to the existing bucket again works (a second process).
  auto kv2 = conn_->key_value("idem", 60000, 1);
  ASSERT_TRUE(kv2.ok()) << kv2.error();
  auto again = (*kv2)->create("alert-123", "x");
  EXPECT_TRUE(!again.ok() && again.code() == ErrorCode::kKeyExists);
}

TEST_F(NatsTest, PublishBatchReportsEveryPublishInOrder) {
  ASSERT_TRUE(make_stream().ok());
  auto batch = conn_->publish_batch();
  ASSERT_TRUE(batch.ok()) << batch.error();
  PublishBatch& b = **batch;
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(b.add("alerts.x", "m" + std::to_string(i), "id-" + std::to_string(i)),
              static_cast<size_t>(i));
  }
  EXPECT_EQ(b.add("alerts.x", "again", "id-7"), 50u);  // same Nats-Msg-Id: stored once
  EXPECT_EQ(b.size(), 51u);
  auto results = b.wait(10000);
  ASSERT_EQ(results.size(), 51u);
  std::set<uint64_t> sequences;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error();
    EXPECT_EQ(results[i]->stream, "ALERTS");
    EXPECT_FALSE(results[i]->duplicate);
    sequences.insert(results[i]->sequence);
  }
  EXPECT_EQ(sequences.size(), 50u);
  ASSERT_TRUE(results[50].ok()) << results[50].error();
  EXPECT_TRUE(results[50]->duplicate);
  EXPECT_EQ(b.size(), 0u);

  // The batch is reusable, and its indexes start again.
  EXPECT_EQ(b.add("alerts.y", "next", {}, {{"X-Riposte", "yes"}}), 0u);
  results = b.wait(10000);
  ASSERT_EQ(results.size(), 1u);
  ASSERT_TRUE(results[0].ok()) << results[0].error();
  EXPECT_EQ(results[0]->sequence, 51u);
}

TEST_F(NatsTest, PublishBatchFailureIsAnErrorNotSilence) {
  ASSERT_TRUE(make_stream().ok());
  auto batch = conn_->publish_batch();
  ASSERT_TRUE(batch.ok()) << batch.error();
  (*batch)->add("alerts.ok", "1");
  (*batch)->add("nowhere.x", "2");  // no stream listens
  (*batch)->add("alerts.ok", "3");
  auto results = (*batch)->wait(10000);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_THAT(results[1].error(), HasSubstr("nowhere.x"));
  EXPECT_TRUE(results[2].ok());
}

TEST(NatsPublishBatch, UnacknowledgedPublishIsAnError) {
  NatsServer server;
  ASSERT_TRUE(server.start());
  auto conn = must_connect(server.url(), {.max_reconnect = -1});
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->ensure_stream({.name = "S", .subjects = {"s.>"}}).ok());
  auto batch = conn->publish_batch();
  ASSERT_TRUE(batch.ok()) << batch.error();
  server.stop();
  ASSERT_TRUE(eventually([&] { return !conn->connected(); }));
  (*batch)->add("s.x", "buffered while disconnected");
  auto results = (*batch)->wait(500);
  ASSERT_EQ(results.size(), 1u);
  ASSERT_FALSE(results[0].ok());
  EXPECT_THAT(results[0].error(), HasSubstr("s.x"));
}

TEST_F(NatsTest, KeyValueCreateAsyncRefusesAnExistingKey) {
  auto kv = conn_->key_value("idem_async", 60000, 1);
  ASSERT_TRUE(kv.ok()) << kv.error();
  ASSERT_TRUE((*kv)->create("taken", "first").ok());
  auto batch = conn_->publish_batch();
  ASSERT_TRUE(batch.ok()) << batch.error();
  const size_t fresh = (*kv)->create_async(**batch, "fresh", "mine");
  const size_t taken = (*kv)->create_async(**batch, "taken", "second");
  const size_t twice = (*kv)->create_async(**batch, "fresh", "again");
  auto results = (*batch)->wait(10000);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[fresh].ok()) << results[fresh].error();
  ASSERT_FALSE(results[taken].ok());
  EXPECT_EQ(results[taken].code(), ErrorCode::kKeyExists) << results[taken].error();
  EXPECT_THAT(results[taken].error(), HasSubstr("idem_async/taken"));
  ASSERT_FALSE(results[twice].ok());
  EXPECT_EQ(results[twice].code(), ErrorCode::kKeyExists) << results[twice].error();

  auto got = (*kv)->get("fresh");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, "mine");
  EXPECT_EQ((*got)->revision, results[fresh]->sequence);
  got = (*kv)->get("taken");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, "first");
}

TEST_F(NatsTest, AckAsyncSettlesTheMessage) {
  ASSERT_TRUE(make_stream().ok());
  ASSERT_TRUE(conn_->js_publish("alerts.a", "1").ok());
  auto consumer = conn_->pull_consumer({.stream = "ALERTS", .durable = "aa", .ack_wait_ms = 500});
  ASSERT_TRUE(consumer.ok()) << consumer.error();
  auto b = (*consumer)->fetch(10, 2000);
  ASSERT_TRUE(b.ok() && b->size() == 1u);
  ASSERT_TRUE((*b)[0].ack_async().ok());
  // Not acknowledged, it would be redelivered after 500ms.
  b = (*consumer)->fetch(10, 2000);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_TRUE(b->empty());
  Message core;
  EXPECT_FALSE(core.ack_async().ok());
}

TEST_F(NatsTest, FetchReturnsWhatIsQueuedAndThenOneAtATime) {
  ASSERT_TRUE(make_stream().ok());
  auto consumer = conn_->pull_consumer({.stream = "ALERTS", .durable = "fq"});
  ASSERT_TRUE(consumer.ok()) << consumer.error();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(conn_->js_publish("alerts.q", std::to_string(i)).ok());
  auto b = (*consumer)->fetch(100, 5000);
  ASSERT_TRUE(b.ok()) << b.error();
  ASSERT_EQ(b->size(), 5u);
  for (auto& m : *b) ASSERT_TRUE(m.ack().ok());
  // Nothing queued: the fetch waits for the next message and hands it over alone.
  std::thread later([&] { (void)conn_->js_publish("alerts.q", "late"); });
  b = (*consumer)->fetch(100, 30000);
  later.join();
  ASSERT_TRUE(b.ok()) << b.error();
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].data(), "late");
}

TEST(NatsReconnect, PublishSucceedsAfterServerRestart) {
  NatsServer server;
  ASSERT_TRUE(server.start());
  std::atomic<int> downs{0}, ups{0};
  Options o;
  o.url = server.url();
  o.on_state = [&](bool up) { ++(up ? ups : downs); };
  auto conn = Connection::connect(o);
  ASSERT_TRUE(conn.ok()) << conn.error();
  Connection& c = **conn;
  ASSERT_TRUE(c.ensure_stream({.name = "ALERTS", .subjects = {"alerts.>"}}).ok());
  ASSERT_TRUE(c.js_publish("alerts.before", "1", "before").ok());

  server.stop();
  ASSERT_TRUE(eventually([&] { return !c.connected(); }));
  EXPECT_TRUE(eventually([&] { return downs.load() >= 1; }));
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(eventually([&] { return c.connected(); })) << c.last_error();
  EXPECT_TRUE(eventually([&] { return ups.load() >= 1; }));

  // The file-backed stream survived; publishing and consuming work again.
  auto ack = c.js_publish("alerts.after", "2", "after");
  ASSERT_TRUE(ack.ok()) << ack.error();
  EXPECT_EQ(ack->sequence, 2u);
  auto consumer = c.pull_consumer({.stream = "ALERTS", .durable = "after-restart"});
  ASSERT_TRUE(consumer.ok()) << consumer.error();
  auto b = consumer.value()->fetch(10, 2000);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(b->size(), 2u);
}

TEST(NatsReconnect, JsPublishRecoversAcrossRestart) {
  NatsServer server;
  ASSERT_TRUE(server.start());
  auto conn = Connection::connect({.url = server.url()});
  ASSERT_TRUE(conn.ok()) << conn.error();
  Connection& c = **conn;
  ASSERT_TRUE(c.ensure_stream({.name = "ALERTS", .subjects = {"alerts.>"}}).ok());
  ASSERT_TRUE(server.restart());
  // The client may not have noticed the restart yet; the first attempts can fail, but it must
  // recover on its own without a new Connection.
  Result<PubAck> ack = Error{"not tried"};
  ASSERT_TRUE(eventually([&] {
    ack = c.js_publish("alerts.x", "after restart", "id-1");
    return ack.ok();
  })) << ack.error();
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(ack->stream, "ALERTS");
}

TEST(NatsReconnect, ConnectRetriesUntilServerAppears) {
  NatsServer server;
  ASSERT_TRUE(server.start());  // learn a port and store dir, then go away
  server.stop();
  std::atomic<int> ups{0};
  Options o;
  o.url = server.url();
  o.on_state = [&](bool up) {
    if (up) ++ups;
  };
  auto conn = Connection::connect(o);
  ASSERT_TRUE(conn.ok()) << conn.error();
  EXPECT_FALSE((*conn)->connected());
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(eventually([&] { return (*conn)->connected(); }));
  EXPECT_TRUE(eventually([&] { return ups.load() >= 1; }));
  ASSERT_TRUE((*conn)->ensure_stream({.name = "S", .subjects = {"s.>"}}).ok());
}

}  // namespace
}  // namespace riposte::nats
