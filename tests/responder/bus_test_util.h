// A responder in-process against a private nats-server: the same objects main.cpp wires
// (streams, buckets, ledger, cooldowns, rate limiter, audit, consumers), for tests that need
// to look inside; plus helpers to publish alerts and read streams back.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/alert.h"
#include "common/nats.h"
#include "responder/alert_consumer.h"
#include "responder/bus.h"
#include "responder/responder.h"
#include "tests/support/nats_server.h"
#include "tests/support/test_util.h"

namespace riposte::testing {

// Polls cond every 20 ms for up to timeout_ms: waits, never asserts on timing.

Alert make_alert(const std::string& rule, Priority p, const std::string& ns,
                 const std::string& pod, const std::string& output);

// Every message of stream on subject (a fresh ephemeral-like durable each call).
std::vector<nlohmann::json> read_stream(nats::Connection& conn, const std::string& stream,
                                        const std::string& subject);

struct InProcessResponder {
  // playbooks: YAML text; kube answers the actions (a mock or a fake).
  InProcessResponder(nats::Connection* conn, const std::string& playbooks, kube::KubeClient& kube,
                     responder::ConsumerOptions options = {}, int workers = 1, int rate_global = 0,
                     int rate_namespace = 0, int64_t lease_ms = 30000);
  ~InProcessResponder();
  void start();
  void stop();
  double counter(const std::string& name, const Labels& labels);

  nats::Connection* conn;
  Registry registry;
  responder::ResponderMetrics metrics{&registry};
  std::shared_ptr<const playbook::Engine> engine;
  std::unique_ptr<responder::Responder> alerts;  // as riposte-responder wires it
  std::string error;  // setup failure
};

}  // namespace riposte::testing

namespace riposte::testing {

// A KubeClient that records requests and answers with respond(request, n) (n: 0-based count
// of requests so far), 200 "{}" by default.
class FakeKube : public kube::KubeClient {
 public:
  Result<kube::KubeResponse> request(const kube::KubeRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    const int n = static_cast<int>(requests_.size());
    requests_.push_back(r);
    if (respond) return respond(r, n);
    return kube::KubeResponse{200, "{}"};
  }
  std::vector<kube::KubeRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t count(const std::string& method) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& r : requests_) n += r.method == method;
    return n;
  }
  std::function<Result<kube::KubeResponse>(const kube::KubeRequest&, int)> respond;

 private:
  std::mutex mu_;
  std::vector<kube::KubeRequest> requests_;
};

}  // namespace riposte::testing
