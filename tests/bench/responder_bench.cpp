// responder/ benchmarks against the real kube-apiserver of a running local control plane
// (deploy/local/cluster.sh; deploy/local/bench-responder.sh brings one up, runs these and
// tears it down): the latency of one action, alert in hand to API answer, as
// riposte-responder sees it. Each reports p50_ms and p99_ms over its fixed 500 runs.
// Without a cluster ($RIPOSTE_LOCAL_DIR/env, default /tmp/riposte-local/env) they say so
// and are skipped.
#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "responder/actions/registry.h"

namespace riposte {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kRuns = 500;

// The cluster and a namespace of our own, set up once for both benchmarks.
struct Bench {
  std::unique_ptr<kube::HttpKubeClient> kube;
  std::string ns;
  std::string node;
  std::string error;  // why the benchmarks cannot run

  Result<json> send(const std::string& method, const std::string& path, const json& body = nullptr,
                    std::vector<std::pair<std::string, std::string>> query = {}) {
    auto res = kube->request({.method = method,
                              .path = path,
                              .body = body.is_null() ? "" : body.dump(),
                              .query = std::move(query)});
    if (!res) return res.err();
    if (auto err = kube::classify(*res)) return Error{method + " " + path + ": " + err->describe()};
    return json::parse(res->body, nullptr, false);
  }
  ~Bench() {
    if (kube && !ns.empty()) (void)kube->request({.method = "DELETE", .path = "/api/v1/namespaces/" + ns});
  }
};

std::map<std::string, std::string> read_env(const std::string& file) {
  std::map<std::string, std::string> env;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    env[line.substr(0, eq)] = v;
  }
  return env;
}

// Fills *s, or says in s->error why it cannot.
void set_up(Bench* s) {
  const char* dir = std::getenv("RIPOSTE_LOCAL_DIR");
  const std::string env_file = std::string(dir && *dir ? dir : "/tmp/riposte-local") + "/env";
  auto env = read_env(env_file);
  if (env["KUBECONFIG"].empty()) {
    s->error = "no running local cluster (" + env_file +
               " not found): run deploy/local/bench-responder.sh, or deploy/local/cluster.sh up "
               "and set RIPOSTE_LOCAL_DIR";
    return;
  }
  auto cfg = kube::load_kubeconfig(env["KUBECONFIG"]);
  if (!cfg) {
    s->error = cfg.error();
    return;
  }
  auto cli = kube::HttpKubeClient::create(*cfg);
  if (!cli) {
    s->error = cli.error();
    return;
  }
  s->kube = std::move(*cli);
  s->node = env["RIPOSTE_NODE_NAME"];
  s->ns = "riposte-bench-" + std::to_string(std::random_device{}() % 100000);
  auto created = s->send("POST", "/api/v1/namespaces",
                         {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", s->ns}}}});
  if (!created) s->error = created.error();
}

Bench& bench() {
  static Bench b;
  static const bool ready = (set_up(&b), true);
  (void)ready;
  return b;
}

// Pods need the namespace's default ServiceAccount, which appears a moment after it.
Result<json> create_pod(Bench& b, const std::string& name) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", name}}},
              {"spec",
               {{"nodeName", b.node},
                {"containers", {{{"name", "app"}, {"image", "registry.k8s.io/pause:3.10"}}}}}}};
  for (int i = 0;; ++i) {
    auto r = b.send("POST", "/api/v1/namespaces/" + b.ns + "/pods", pod);
    if (r || i == 50) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

actions::ActionResult run(Bench& b, std::string_view action, const YAML::Node& params,
                          const std::string& pod) {
  Alert alert;
  alert.rule = "Terminal shell in container";
  alert.output_fields = {{"k8s.ns.name", b.ns}, {"k8s.pod.name", pod}};
  actions::Guardrails guardrails;
  actions::ActionContext ctx{alert, params, *b.kube, guardrails, false, "bench"};
  return actions::ActionRegistry::builtin().find(action)->execute(ctx);
}

// One timed run of an action that must succeed; false (the benchmark is skipped) otherwise.
bool timed_run(benchmark::State& state, Bench& b, std::string_view action,
               const YAML::Node& params, const std::string& pod, std::vector<double>* ms) {
  const auto start = Clock::now();
  actions::ActionResult r = run(b, action, params, pod);
  const std::chrono::duration<double> took = Clock::now() - start;
  if (r.status != actions::ActionResult::kSucceeded) {
    state.SkipWithError(r.message.c_str());
    return false;
  }
  state.SetIterationTime(took.count());
  ms->push_back(took.count() * 1000);
  return true;
}

// Records the run's latency for the manual timer and the percentiles.
void finish(benchmark::State& state, std::vector<double>* ms) {
  if (ms->empty()) return;
  std::sort(ms->begin(), ms->end());
  auto pct = [&](double p) { return (*ms)[std::min(ms->size() - 1, size_t(p * ms->size()))]; };
  state.counters["p50_ms"] = pct(0.50);
  state.counters["p99_ms"] = pct(0.99);
  state.counters["max_ms"] = ms->back();
}

void BM_PodDelete(benchmark::State& state) {
  Bench& b = bench();
  if (!b.error.empty()) {
    state.SkipWithError(("skipped: " + b.error).c_str());
    return;
  }
  const YAML::Node params = YAML::Load("{grace_period_seconds: 0}");
  std::vector<double> ms;
  int n = 0;
  for (auto _ : state) {
    const std::string pod = "victim-" + std::to_string(n++);
    if (auto p = create_pod(b, pod); !p) {
      state.SkipWithError(p.error().c_str());
      break;
    }
    if (!timed_run(state, b, "pod.delete", params, pod, &ms)) break;
  }
  finish(state, &ms);
}
BENCHMARK(BM_PodDelete)
    ->Name("responder/pod_delete")
    ->Iterations(kRuns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// workload.scale on a Deployment whose pods stay around: it alternates between 2 and 1
// replicas, and each run names a live pod (the oldest, which a scale-down spares), so every
// run does the full work: pod, ReplicaSet and Deployment read, count recorded, /scale patched.
void BM_WorkloadScale(benchmark::State& state) {
  Bench& b = bench();
  if (!b.error.empty()) {
    state.SkipWithError(("skipped: " + b.error).c_str());
    return;
  }
  json d = {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "web"}}},
            {"spec",
             {{"replicas", 2},
              {"selector", {{"matchLabels", {{"app", "web"}}}}},
              {"template",
               {{"metadata", {{"labels", {{"app", "web"}}}}},
                {"spec",
                 {{"containers", {{{"name", "app"}, {"image", "registry.k8s.io/pause:3.10"}}}}}}}}}}};
  if (auto r = b.send("POST", "/apis/apps/v1/namespaces/" + b.ns + "/deployments", d); !r) {
    state.SkipWithError(r.error().c_str());
    return;
  }
  auto oldest_pod = [&]() -> std::string {
    auto list = b.send("GET", "/api/v1/namespaces/" + b.ns + "/pods", nullptr,
                       {{"labelSelector", "app=web"}});
    if (!list) return "";
    std::string name, created;
    for (const auto& p : (*list)["items"]) {
      const json& md = p["metadata"];
      if (md.contains("deletionTimestamp") || !md.contains("ownerReferences")) continue;
      std::string c = md.value("creationTimestamp", "");
      if (name.empty() || c < created) name = md.value("name", ""), created = c;
    }
    return name;
  };
  std::vector<double> ms;
  int n = 0;
  for (auto _ : state) {
    std::string pod;
    for (int i = 0; i < 100 && (pod = oldest_pod()).empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // pods on their way
    }
    const YAML::Node params = YAML::Load(n++ % 2 ? "{replicas: 2}" : "{replicas: 1}");
    if (!timed_run(state, b, "workload.scale", params, pod, &ms)) break;
  }
  finish(state, &ms);
}
BENCHMARK(BM_WorkloadScale)
    ->Name("responder/workload_scale")
    ->Iterations(kRuns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace riposte
