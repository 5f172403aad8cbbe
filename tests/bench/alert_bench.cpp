// common/ benchmarks: the alert codec sits on both daemons' paths.
#include <benchmark/benchmark.h>

#include "common/alert.h"

namespace riposte {
namespace {

Alert sample_alert() {
  Alert a;
  a.time_ns = 1'764'000'000'123'456'789;
  a.rule = "Terminal shell in container";
  a.priority = Priority::kNotice;
  a.hostname = "node-1";
  a.output = "A shell was spawned in a container with an attached terminal (user=root sh)";
  a.output_fields["container.id"] = "0123456789ab";
  a.output_fields["k8s.ns.name"] = "shop";
  a.output_fields["k8s.pod.name"] = "web-7d4b9-x2x9z";
  a.output_fields["proc.pid"] = 4242;
  a.tags = {"container", "shell", "mitre_execution"};
  a.uuid = new_uuid();
  return a;
}

void BM_AlertEncode(benchmark::State& state) {
  const Alert a = sample_alert();
  for (auto _ : state) benchmark::DoNotOptimize(to_json(a));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AlertEncode)->Name("common/alert_encode");

void BM_AlertParse(benchmark::State& state) {
  const std::string json = to_json(sample_alert());
  for (auto _ : state) benchmark::DoNotOptimize(parse_alert(json));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AlertParse)->Name("common/alert_parse");

}  // namespace
}  // namespace riposte
