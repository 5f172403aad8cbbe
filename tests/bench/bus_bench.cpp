// bus/ benchmarks: the responder's consume path (parse, match, run-ledger dedup, audit
// record, ack) against a real nats-server with JetStream that the benchmark starts itself.
//
//   bus/throughput_dry_run/workers:N   alerts per second through match + dedup + audit + ack
//                                     with a dry-run pod.delete playbook; N worker threads
//   bus/latency_pod_delete/workers:N  alert time -> API server response for pod.delete at 100
//                                     alerts/s against the local control plane; needs
//                                     RIPOSTE_LOCAL_DIR (deploy/local/cluster.sh up), reports
//                                     p50/p99 in ms as counters, split into the time before
//                                     the step started (publish, fetch, claim: before_*) and
//                                     the step itself (the DELETE: action_*). 500 alerts
//                                     measured after 100 unmeasured ones, each on its own
//                                     bare pod, all Ready before the first alert
#include <benchmark/benchmark.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/alert.h"
#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "common/log.h"
#include "common/nats.h"
#include "responder/alert_consumer.h"
#include "responder/bus.h"
#include "responder/playbook/playbook.h"
#include "responder/responder.h"
#include "tests/bench/bench_nats.h"

extern char** environ;

namespace riposte {
namespace {

using bench::BenchNats;
using bench::connect;

using bench::bench_alert;

// One responder process's alert side, in-process, wired as riposte-responder wires it.
struct Responder {
  Registry registry;
  responder::ResponderMetrics metrics{&registry};
  std::shared_ptr<const playbook::Engine> engine;
  std::unique_ptr<responder::Responder> alerts;

  std::string setup(nats::Connection& conn, const std::string& playbooks, kube::KubeClient& kube,
                    int workers, const std::string& durable) {
    auto loaded = playbook::parse_playbooks(playbooks, "bench.yaml");
    if (!loaded.ok()) return loaded.error_text();
    engine = std::make_shared<const playbook::Engine>(std::move(loaded.playbooks), kube,
                                                      actions::Guardrails{});
    responder::ResponderConfig rc;
    rc.consumer.batch = 128;
    rc.consumer.fetch_timeout_ms = 100;
    rc.consumer.replica = "bench";
    rc.durable = durable;
    rc.workers = workers;
    auto created = responder::Responder::create(
        &conn, [this] { return engine; }, &metrics, rc);
    if (!created) return created.error();
    alerts = std::move(*created);
    return {};
  }
  void start() { alerts->start(); }
  double handled() {
    return registry.counter("riposte_responder_alerts_total", "", {{"outcome", "handled"}}).value();
  }
};

class NoKube : public kube::KubeClient {
 public:
  Result<kube::KubeResponse> request(const kube::KubeRequest&) override {
    return kube::KubeResponse{200, "{}"};
  }
};

void BM_ThroughputDryRun(benchmark::State& state) {
  log::set_level(log::Level::kError);
  const int workers = static_cast<int>(state.range(0));
  constexpr int kAlerts = 20000;
  for (auto _ : state) {
    BenchNats server;
    auto conn = server.ok() ? connect(server.url()) : nullptr;
    if (!conn) {
      state.SkipWithError("cannot start nats-server");
      return;
    }
    NoKube kube;
    Responder r;
    const std::string err = r.setup(*conn, R"(
name: kill-shell
dry_run: true
match: {rules: ["Terminal shell in container"], priority: ">=Notice"}
steps: [{action: pod.delete, params: {grace_period_seconds: 0}}]
)",
                                    kube, workers, "bench");
    if (!err.empty()) {
      state.SkipWithError(err.c_str());
      return;
    }
    for (int i = 0; i < kAlerts; ++i) {
      Alert a = bench_alert(i, "shop", "web-" + std::to_string(i));
      auto ack = conn->js_publish(alert_subject(a), to_json(a), alert_dedup_key(a));
      if (!ack) {
        state.SkipWithError(ack.error().c_str());
        return;
      }
    }
    const auto start = std::chrono::steady_clock::now();
    r.start();
    while (r.handled() < kAlerts) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  state.SetItemsProcessed(state.iterations() * kAlerts);
}
BENCHMARK(BM_ThroughputDryRun)
    ->Name("bus/throughput_dry_run")
    ->ArgName("workers")
    ->Arg(1)
    ->Arg(4)
    ->Arg(8)
    ->Arg(32)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// --- latency ------------------------------------------------------------------------------

// KEY=VALUE lines of $RIPOSTE_LOCAL_DIR/env (deploy/local/cluster.sh).
std::map<std::string, std::string> cluster_env(const std::string& dir) {
  std::map<std::string, std::string> env;
  std::ifstream in(dir + "/env");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    env[line.substr(0, eq)] = v;
  }
  return env;
}

int kubectl(const std::map<std::string, std::string>& env, const std::string& args,
            const std::string& input = "") {
  auto it = env.find("RIPOSTE_KUBECTL");
  const std::string bin = it != env.end() && !it->second.empty() ? it->second : "kubectl";
  const std::string cmd = bin + " --kubeconfig '" + env.at("KUBECONFIG") + "' " + args + " >/dev/null 2>&1";
  FILE* p = popen(cmd.c_str(), "w");
  if (!p) return -1;
  fwrite(input.data(), 1, input.size(), p);
  return pclose(p);
}

void BM_LatencyPodDelete(benchmark::State& state) {
  log::set_level(log::Level::kError);
  const char* dir = std::getenv("RIPOSTE_LOCAL_DIR");
  if (!dir || !*dir) {
    state.SkipWithError("needs the local control plane: deploy/local/cluster.sh up, then "
                        "RIPOSTE_LOCAL_DIR=/tmp/riposte-local riposte-bench");
    return;
  }
  const auto env = cluster_env(dir);
  if (!env.count("KUBECONFIG")) {
    state.SkipWithError("no KUBECONFIG in $RIPOSTE_LOCAL_DIR/env");
    return;
  }
  constexpr int kAlerts = 500;
  // Alerts (and pods) before the measured ones, at the same rate, not counted: the first
  // requests after a cluster starts pay for cold caches and new connections on every side.
  constexpr int kWarmup = 100;
  constexpr int kPerSecond = 100;
  const std::string ns =
      "riposte-bench-" + std::to_string(getpid()) + "-" + std::to_string(state.range(0));
  // Bare pods, one per alert, so that every DELETE removes a real pod.
  std::string pods = "apiVersion: v1\nkind: List\nitems:\n";
  for (int i = 0; i < kWarmup + kAlerts; ++i) {
    pods += "- {apiVersion: v1, kind: Pod, metadata: {name: p-" + std::to_string(i) +
            ", namespace: " + ns + "}, spec: {containers: [{name: c, image: busybox}]}}\n";
  }
  // Measure only once every pod runs: the scheduler and kwok's status updates of 500 new pods
  // would otherwise share the API server with the DELETEs being timed.
  if (kubectl(env, "create namespace " + ns) != 0 || kubectl(env, "apply -f -", pods) != 0 ||
      kubectl(env, "wait --for=condition=Ready pod --all --timeout=300s -n " + ns) != 0) {
    state.SkipWithError("cannot create the benchmark's pods, or they did not become Ready");
    kubectl(env, "delete namespace " + ns + " --wait=false");
    return;
  }
  auto config = kube::load_config(env.at("KUBECONFIG"));
  auto client = config ? kube::HttpKubeClient::create(*config)
                       : Result<std::unique_ptr<kube::HttpKubeClient>>(Error{config.error()});
  BenchNats server;
  auto conn = server.ok() ? connect(server.url()) : nullptr;
  if (!client || !conn) {
    state.SkipWithError("cannot reach the API server or start nats-server");
    kubectl(env, "delete namespace " + ns + " --wait=false");
    return;
  }
  std::vector<double> latencies, before, action;
  for (auto _ : state) {
    Responder r;
    const std::string err = r.setup(*conn, R"(
name: kill-shell
match: {rules: ["Terminal shell in container"]}
steps: [{action: pod.delete, params: {grace_period_seconds: 0}}]
)",
                                    **client, static_cast<int>(state.range(0)), "latency");
    if (!err.empty()) {
      state.SkipWithError(err.c_str());
      break;
    }
    std::mutex mu;
    auto sub = conn->subscribe("riposte.actions.run.>", "", [&](nats::Message&& m) {
      auto j = nlohmann::json::parse(m.data(), nullptr, false);
      if (!j.is_object() || !j.contains("alert_to_action_ms")) return;
      std::lock_guard<std::mutex> lock(mu);
      const double total = j["alert_to_action_ms"].get<double>();
      const double step = j["steps"][0].value("duration_ms", 0.0);
      latencies.push_back(total);
      before.push_back(total - step);
      action.push_back(step);
    });
    r.start();
    // Publishes alerts [first, first + n) at kPerSecond and waits until they were handled.
    auto send = [&](int first, int n) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i) {
        std::this_thread::sleep_until(t0 + std::chrono::microseconds(1000000 / kPerSecond) * i);
        Alert a = bench_alert(first + i, ns, "p-" + std::to_string(first + i));
        (void)conn->js_publish(alert_subject(a), to_json(a), alert_dedup_key(a));
      }
      for (int waited = 0; waited < 30000; waited += 10) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (latencies.size() >= static_cast<size_t>(n)) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    };
    send(0, kWarmup);
    {
      std::lock_guard<std::mutex> lock(mu);
      latencies.clear();
      before.clear();
      action.clear();
    }
    const auto start = std::chrono::steady_clock::now();
    send(kWarmup, kAlerts);
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  // Waited for: a namespace still being emptied would load the next run's API server.
  kubectl(env, "delete namespace " + ns + " --timeout=120s");
  if (latencies.empty()) return;
  auto pct = [](std::vector<double>& v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
  };
  state.counters["alerts"] = static_cast<double>(latencies.size());
  state.counters["p50_ms"] = pct(latencies, 0.50);
  state.counters["p99_ms"] = pct(latencies, 0.99);
  state.counters["max_ms"] = latencies.back();
  state.counters["before_p50_ms"] = pct(before, 0.50);
  state.counters["before_p99_ms"] = pct(before, 0.99);
  state.counters["action_p50_ms"] = pct(action, 0.50);
  state.counters["action_p99_ms"] = pct(action, 0.99);
}
BENCHMARK(BM_LatencyPodDelete)
    ->Name("bus/latency_pod_delete")
    ->ArgName("workers")
    ->Arg(8)
    ->Arg(32)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace riposte
