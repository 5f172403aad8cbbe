// riposte-audit's cost per audit event: Falco's k8s_audit_rules.yaml (../shared/falco-rules,
// rule_matching all as riposte-audit runs it) on a mix of audit events shaped as kube-apiserver
// writes them (tests/support/audit_samples.h): mostly routine reads and writes by system
// users and ordinary ones, a few the rules are about. items_per_second = events per second on
// one thread. Run on one core:
//
//   taskset -c 1 build/bin/riposte-bench --benchmark_filter='^audit/'
//
//   audit/evaluate             evaluation (and the alerts' rendering) of parsed events
//   audit/parse_and_evaluate   the webhook's whole CPU path: an EventList body of 100 events
//                              parsed (audit/event_list.cpp), then evaluated
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "audit/event_list.h"
#include "detector/rules/ruleset.h"
#include "tests/support/audit_samples.h"

namespace riposte::audit {
namespace {

namespace fs = std::filesystem;
namespace samples = riposte::testing::audit;
using nlohmann::json;

std::string rules_file() {
  fs::path src = std::getenv("RIPOSTE_SOURCE_DIR") != nullptr
                     ? fs::path(std::getenv("RIPOSTE_SOURCE_DIR"))
                     : fs::path(__FILE__).parent_path().parent_path().parent_path();
  return (src / ".." / "shared" / "falco-rules" / "k8s_audit_rules.yaml").lexically_normal();
}

// 100 events: 90 routine (lists, gets, configmap and deployment updates by system users and a
// CI user), 10 the rules take (privileged pods, exec, wildcard roles, secret reads).
std::vector<json> event_mix() {
  std::vector<json> v;
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 10) {
      case 0:
        if (i % 40 == 0)
          v.push_back(samples::privileged_pod_create("shop", "p" + n, "alice"));
        else if (i % 40 == 10)
          v.push_back(samples::pod_exec("shop", "web-" + n, "bob"));
        else if (i % 40 == 20)
          v.push_back(samples::wildcard_clusterrole_create("r" + n, "carol"));
        else
          v.push_back(samples::secret_get("shop", "db", "mallory"));
        break;
      case 1:
      case 2:
      case 3:
        v.push_back(samples::routine_list("ns-" + n));
        break;
      case 4:
        v.push_back(samples::base("get", "configmaps", "kube-system", "cfg-" + n,
                                  "system:serviceaccount:kube-system:coredns"));
        break;
      case 5: {
        json e = samples::base("update", "configmaps", "shop", "settings", "admin");
        e["requestObject"] = {{"kind", "ConfigMap"}, {"data", {{"color", "blue"}}}};
        v.push_back(e);
        break;
      }
      case 6:
        v.push_back(samples::base("patch", "deployments", "shop", "web", "ci-deployer"));
        break;
      case 7:
        v.push_back(samples::base("watch", "pods", "", "", "system:node:node-1"));
        break;
      default: {
        json e = samples::base("create", "pods", "shop", "web-" + n,
                               "system:serviceaccount:kube-system:replicaset-controller");
        e["requestObject"] = {
            {"kind", "Pod"},
            {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx:1.25"}}}}}}};
        v.push_back(e);
      }
    }
  }
  return v;
}

std::unique_ptr<detector::rules::Ruleset> load(benchmark::State& state) {
  detector::rules::LoadOptions o;
  o.rule_matching = detector::rules::RuleMatching::kAll;
  o.hostname = "bench";
  auto r = detector::rules::load_rules({rules_file()}, o);
  if (!r.ok()) {
    state.SkipWithError(("cannot load " + rules_file()).c_str());
    return nullptr;
  }
  return std::move(r.ruleset);
}

size_t evaluate(const detector::rules::Ruleset& rs, const detector::AuditEvent& a, uint64_t num,
                std::vector<const detector::rules::CompiledRule*>* hits) {
  detector::Event ev = detector::make_audit_event(a, num);
  rs.evaluate(ev, hits);
  for (const auto* r : *hits)
    benchmark::DoNotOptimize(detector::rules::make_alert(*r, ev, "bench"));
  return hits->size();
}

void BM_Evaluate(benchmark::State& state) {
  auto rs = load(state);
  if (!rs) return;
  ParsedBatch batch;
  Rejection why;
  if (!parse_event_list(samples::event_list(event_mix()).dump(), {}, &batch, &why)) {
    state.SkipWithError(why.detail.c_str());
    return;
  }
  std::vector<const detector::rules::CompiledRule*> hits;
  size_t i = 0, alerts = 0;
  uint64_t num = 0;
  for (auto _ : state) {
    alerts += evaluate(*rs, batch.events[i], ++num, &hits);
    if (++i == batch.events.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["rules"] = static_cast<double>(rs->enabled_rules().size());
  state.counters["alerts_per_1k"] = 1000.0 * static_cast<double>(alerts) /
                                    static_cast<double>(std::max<int64_t>(1, state.iterations()));
}
BENCHMARK(BM_Evaluate)->Name("audit/evaluate");

void BM_ParseAndEvaluate(benchmark::State& state) {
  auto rs = load(state);
  if (!rs) return;
  const std::string body = samples::event_list(event_mix()).dump();
  std::vector<const detector::rules::CompiledRule*> hits;
  uint64_t num = 0;
  for (auto _ : state) {
    ParsedBatch batch;
    Rejection why;
    if (!parse_event_list(body, {}, &batch, &why)) state.SkipWithError(why.detail.c_str());
    for (const auto& a : batch.events) evaluate(*rs, a, ++num, &hits);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 100);
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_ParseAndEvaluate)->Name("audit/parse_and_evaluate");

}  // namespace
}  // namespace riposte::audit
