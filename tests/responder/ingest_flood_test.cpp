// The alert inputs under a flood, end to end: the real riposte-responder binary against three
// nats-servers (RIPOSTE_ALERTS R3), 100,000 alerts of ~4 KiB (400 MB if anything held them
// all) through the HTTP input and, separately, published straight to the stream.
//   - nothing acknowledged is lost: every alert answered 200 is in the stream, once, and the
//     responder's consumer handles every stored alert;
//   - the HTTP input refuses what it cannot take with 429/503 + Retry-After, and never leaves
//     a sender to time out (1,000 concurrent posts included);
//   - the responder's memory stays bounded: its peak RSS (VmHWM) is checked against the bound
//     its settings give (see kRssBoundMiB), far below what queueing the flood would take.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/alert.h"
#include "responder/bus.h"
#include "responder/dedup.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/support/nats_cluster.h"

namespace riposte::testing {
namespace {

// $RIPOSTE_FLOOD_ALERTS overrides it (e.g. to watch the test fail quickly on a broken build).
const int kFloodAlerts = std::atoi(env_or("RIPOSTE_FLOOD_ALERTS", "100000").c_str());
constexpr size_t kPadding = 4000;  // bytes of output_fields per alert: ~4 KiB alerts
constexpr const char* kToken = "flood-token";
// The responder's settings here: 16 HTTP workers with bodies of at most 64 KiB, a queue of
// 16 connections, fetches of 64 alerts. Bound: its RSS at rest (~20 MiB) + workers × 2 ×
// max body (request + its copy as an alert) + fetch batch × workers × max alert (256 KiB)
// + nats.c's buffers (8 MiB): under 96 MiB. Queueing the flood would take > 400 MB.
constexpr int64_t kRssBoundMiB = 96;
const std::vector<std::string> kResponderFlags = {
    "--stream-replicas", "3",     "--http-workers", "16", "--http-queue", "16",
    "--http-max-body",   "65536", "--batch",        "64"};

// A ~4 KiB alert that no playbook matches: the consumer only acknowledges it (and counts it
// as unmatched), so the test measures the inputs and the bus, not actions.
Alert flood_alert(int i) {
  Alert a = numbered_alert(i);
  a.rule = "Riposte flood test";
  a.output_fields["riposte.padding"] = std::string(kPadding, 'p');
  return a;
}

int64_t peak_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

// The stream's message count, from its leader's monitoring endpoint; -1 when unknown.
int64_t stream_messages(NatsCluster& cluster, const std::string& stream) {
  const int leader = cluster.stream_leader(stream);
  if (leader < 0) return -1;
  httplib::Client mon("127.0.0.1", cluster.node(leader).monitor_port());
  auto res = mon.Get("/jsz?accounts=true&streams=true");
  if (!res || res->status != 200) return -1;
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object()) return -1;
  for (const auto& acct : j.value("account_details", nlohmann::json::array())) {
    for (const auto& s : acct.value("stream_detail", nlohmann::json::array())) {
      if (s.value("name", "") == stream) return s["state"].value("messages", int64_t{-1});
    }
  }
  return -1;
}

// The responder's riposte_responder_alerts_total{outcome="unmatched"}.
int64_t unmatched_alerts(int ops_port) {
  httplib::Client ops("127.0.0.1", ops_port);
  auto res = ops.Get("/metrics");
  if (!res || res->status != 200) return -1;
  const std::string key = "riposte_responder_alerts_total{outcome=\"unmatched\"} ";
  auto at = res->body.find(key);
  // Large counts print as 1e+05.
  return at == std::string::npos
             ? 0
             : static_cast<int64_t>(std::strtod(res->body.c_str() + at + key.size(), nullptr));
}

// How the input answered a post: stored (200), refused with Retry-After (429/503), or
// anything else, a timeout included (printed for the first few).
enum class Answer { kStored, kRefused, kFailed };
Answer classify(const httplib::Result& res, int alert, std::atomic<int64_t>& failures) {
  if (res && res->status == 200) return Answer::kStored;
  if (res && (res->status == 503 || res->status == 429) && res->has_header("Retry-After")) {
    return Answer::kRefused;
  }
  if (++failures <= 3) {
    std::cout << "post " << alert << ": "
              << (res ? "status " + std::to_string(res->status) : httplib::to_string(res.error()))
              << "\n";
  }
  return Answer::kFailed;
}

class IngestFloodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.start());
    // The R3 streams, once the cluster has elected its JetStream meta leader.
    // The shipped users: the test's observer sets up and reads; alerts come as a detector.
    auto c = nats::Connection::connect(
        shipped_auth_options(cluster_.urls(), "riposte-test", "flood-test"));
    ASSERT_TRUE(c.ok()) << c.error();
    conn_ = std::move(*c);
    auto d = nats::Connection::connect(
        shipped_auth_options(cluster_.urls(), "riposte-detector", "flood-detector"));
    ASSERT_TRUE(d.ok()) << d.error();
    detector_conn_ = std::move(*d);
    responder::BusOptions bus;
    bus.replicas = 3;
    ASSERT_TRUE(eventually([&] { return responder::ensure_streams(*conn_, bus).ok(); }, 60000));
    std::ofstream(setup_.dir + "/token") << kToken;
    http_port_ = pick_free_port();
    ops_port_ = pick_free_port();
    std::vector<std::string> flags = kResponderFlags;
    flags.insert(flags.end(),
                 {"--http-addr", "127.0.0.1:" + std::to_string(http_port_), "--http-token-file",
                  setup_.dir + "/token", "--ops-addr", "127.0.0.1:" + std::to_string(ops_port_)});
    responder_ = start_responder(setup_, cluster_.urls(), "flood", flags);
    ASSERT_TRUE(responder_);
    ASSERT_TRUE(wait_for_port(http_port_, 30000));
  }

  // Posts alerts [from, to) on one kept-open connection; a refused alert is posted again
  // until stored. Every answer is 200 or a refusal with Retry-After; anything else (a
  // timeout included) is counted in failed.
  void post_all(int from, int to) {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_keep_alive(true);
    client.set_read_timeout(30, 0);
    client.set_bearer_token_auth(kToken);
    for (int i = from; i < to;) {
      auto res = client.Post("/falco", to_json(flood_alert(i)), "application/json");
      switch (classify(res, i, failed_)) {
        case Answer::kStored: {
          auto j = nlohmann::json::parse(res->body, nullptr, false);
          std::lock_guard<std::mutex> lock(mu_);
          acknowledged_.insert(j.is_object() ? j.value("sequence", uint64_t{0}) : 0);
          ++i;
          break;
        }
        case Answer::kRefused:
          ++refused_;
          // As a sender should (and not to spend the machine on refusals).
          std::this_thread::sleep_for(
              std::chrono::seconds(std::atoi(res->get_header_value("Retry-After").c_str())));
          break;
        case Answer::kFailed:
          ++i;
          break;
      }
    }
  }

  DryRunSetup setup_;
  NatsCluster cluster_{3, /*monitor=*/true, /*shipped_auth=*/true};
  int http_port_ = 0, ops_port_ = 0;
  std::unique_ptr<nats::Connection> conn_;
  std::unique_ptr<nats::Connection> detector_conn_;  // publishes the NATS flood, as a detector
  std::unique_ptr<Subprocess> responder_;
  std::mutex mu_;
  std::set<uint64_t> acknowledged_;  // stream sequences the 200s named
  std::atomic<int64_t> refused_{0}, failed_{0};
};

TEST_F(IngestFloodTest, HttpFloodIsRefusedWhenFullAndLosesNothingAcknowledged) {
  // 64 senders for 16 workers + 16 queued: the input is full throughout.
  constexpr int kSenders = 64;
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      post_all(kFloodAlerts / kSenders * s,
               s + 1 == kSenders ? kFloodAlerts : kFloodAlerts / kSenders * (s + 1));
    });
  }
  for (auto& t : senders) t.join();
  const int64_t rss_kib = peak_rss_kib(responder_->pid());

  EXPECT_EQ(failed_.load(), 0) << "answers neither 200 nor a refusal with Retry-After";
  EXPECT_GT(refused_.load(), 0) << "the input never said it was full";
  // Every alert was answered 200 once, each naming its own stored message...
  EXPECT_EQ(acknowledged_.size(), static_cast<size_t>(kFloodAlerts));
  EXPECT_EQ(acknowledged_.count(0), 0u) << "a 200 without a stream sequence";
  // ... and the stream holds exactly those: none lost, none stored twice.
  const int64_t stored = stream_messages(cluster_, kAlertStream);
  EXPECT_EQ(stored, kFloodAlerts);
  // The consumer handles every stored alert.
  EXPECT_TRUE(eventually([&] { return unmatched_alerts(ops_port_) >= stored; }, 300000))
      << "handled " << unmatched_alerts(ops_port_) << " of " << stored;
  EXPECT_LE(rss_kib, kRssBoundMiB * 1024) << "peak RSS " << rss_kib << " KiB";
  std::cout << "[ flood/http ] " << kFloodAlerts << " alerts, " << refused_.load()
            << " refusals with Retry-After, responder peak RSS " << rss_kib / 1024 << " MiB\n";
}

TEST_F(IngestFloodTest, NatsFloodIsHandledWithBoundedMemory) {
  auto publisher = detector_conn_->async_publisher(4096);
  ASSERT_TRUE(publisher.ok()) << publisher.error();
  // As fast as the stream takes them: up to 4,096 publishes in flight. One that fails (no
  // acknowledgment in time, the window full for 200 ms) is published again afterwards, with
  // the same message id, as the detector does.
  std::atomic<int64_t> stored{0};
  std::mutex mu;
  std::vector<int> unstored;
  std::string first_error;
  for (int i = 0; i < kFloodAlerts; ++i) {
    const Alert a = flood_alert(i);
    (*publisher)
        ->publish(alert_subject(a), to_json(a), responder::content_key(a), {},
                  [&, i](Result<nats::PubAck> r) {
                    if (r.ok()) {
                      ++stored;
                      return;
                    }
                    std::lock_guard<std::mutex> lock(mu);
                    if (first_error.empty()) first_error = r.error();
                    unstored.push_back(i);
                  });
  }
  publisher->reset();  // waits for every acknowledgment
  if (!unstored.empty()) std::cout << unstored.size() << " republished: " << first_error << "\n";
  for (int i : unstored) {
    const Alert a = flood_alert(i);
    auto r = detector_conn_->js_publish(alert_subject(a), to_json(a), responder::content_key(a));
    ASSERT_TRUE(r.ok()) << r.error();
    ++stored;
  }
  ASSERT_EQ(stored.load(), kFloodAlerts);
  const int64_t in_stream = stream_messages(cluster_, kAlertStream);
  EXPECT_EQ(in_stream, kFloodAlerts);
  // Every acknowledged alert is handled by the responder...
  EXPECT_TRUE(eventually([&] { return unmatched_alerts(ops_port_) >= in_stream; }, 300000))
      << "handled " << unmatched_alerts(ops_port_) << " of " << in_stream;
  // ... which never held more than its fetch batches.
  const int64_t rss_kib = peak_rss_kib(responder_->pid());
  EXPECT_LE(rss_kib, kRssBoundMiB * 1024) << "peak RSS " << rss_kib << " KiB";
  std::cout << "[ flood/nats ] " << kFloodAlerts << " alerts, responder peak RSS " << rss_kib / 1024
            << " MiB\n";
}

// 1,000 posts at once, each on its own connection, against 16 workers and 16 queued: each is
// stored (200) or refused with Retry-After; none is left to time out.
TEST_F(IngestFloodTest, BurstOfAThousandPostsIsAnsweredNeverLeftToTimeOut) {
  constexpr int kPosts = 1000;
  std::atomic<int> ready{0};
  std::atomic<int64_t> ok{0}, refused{0}, failed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> posts;
  for (int i = 0; i < kPosts; ++i) {
    posts.emplace_back([&, i] {
      const std::string body = to_json(flood_alert(i));
      httplib::Client client("127.0.0.1", http_port_);
      client.set_read_timeout(30, 0);
      client.set_bearer_token_auth(kToken);
      ++ready;
      while (!go.load()) std::this_thread::yield();
      const Answer a = classify(client.Post("/falco", body, "application/json"), i, failed);
      if (a != Answer::kFailed) ++(a == Answer::kStored ? ok : refused);  // classify counts failed
    });
  }
  while (ready.load() < kPosts) std::this_thread::yield();
  go = true;
  for (auto& t : posts) t.join();
  EXPECT_EQ(failed.load(), 0) << ok.load() << " stored, " << refused.load() << " refused";
  EXPECT_EQ(ok.load() + refused.load(), kPosts);
  // Every 200 stored, and nothing else: these refusals come from a full input, which
  // answers without storing.
  EXPECT_EQ(stream_messages(cluster_, kAlertStream), ok.load());
  std::cout << "[ burst ] " << ok.load() << " stored, " << refused.load()
            << " refused with Retry-After, 0 timed out\n";
}

}  // namespace
}  // namespace riposte::testing
