// Rules engine benchmarks: Falco's stable ruleset evaluated against a realistic mixed event
// stream (tests/detector/rules/event_mix.h), items_per_second = events per second on one
// thread. The stream keeps the events of the types the rules need, as the sensor's kernel-side
// filter does (the _unfiltered variant keeps every event). Run on one core:
//
//   taskset -c 1 build/bin/riposte-bench --benchmark_filter='^rules/'
//
// The upstream rules are read from ../shared/falco-rules beside the repository (or
// $RIPOSTE_FALCO_RULES_DIR); when they are absent, the benchmark says so in its label and
// uses riposte's default rules (detector/default_rules/) instead.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "detector/rules/ruleset.h"
#include "tests/detector/rules/event_mix.h"

namespace riposte::detector::rules {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
  if (const char* s = std::getenv("RIPOSTE_SOURCE_DIR"); s != nullptr && *s != '\0') return s;
  // __FILE__ is <repo>/tests/bench/rules_bench.cpp (CMake passes absolute paths).
  return fs::path(__FILE__).parent_path().parent_path().parent_path();
}

fs::path falco_dir() {
  if (const char* s = std::getenv("RIPOSTE_FALCO_RULES_DIR"); s != nullptr && *s != '\0')
    return s;
  return (source_dir() / ".." / "shared" / "falco-rules").lexically_normal();
}

struct Rules {
  std::vector<std::string> files;
  std::string label;
};

// The upstream files named, or riposte's default rules when the upstream folder is missing.
Rules pick(const std::vector<std::string>& upstream, const std::string& what) {
  Rules r;
  fs::path dir = falco_dir();
  bool ok = true;
  for (const auto& f : upstream) {
    if (!fs::exists(dir / f)) ok = false;
    r.files.push_back((dir / f).string());
  }
  if (ok) {
    r.label = what;
    return r;
  }
  static bool warned = false;
  if (!warned) {
    std::fprintf(stderr,
                 "rules bench: Falco rules not found in %s; using riposte's default rules\n",
                 dir.string().c_str());
    warned = true;
  }
  r.files = {(source_dir() / "detector" / "default_rules" / "riposte_rules.yaml").string()};
  r.label = "UPSTREAM RULES ABSENT (" + dir.string() + "): riposte default rules";
  return r;
}

LoadResult load_or_die(const Rules& rules, RuleMatching m) {
  LoadOptions o;
  o.rule_matching = m;
  o.hostname = "node-1";
  auto res = load_rules(rules.files, o);
  if (!res.ok()) {
    for (const auto& d : res.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
    std::abort();
  }
  return res;
}

// kernel_filter: keep only the events whose type some rule can match, as the sensor's
// kernel-side filter (Ruleset::event_types()) does; otherwise every event of the mix.
void run_stream(benchmark::State& state, const Rules& rules, RuleMatching m,
                bool kernel_filter = true) {
  auto res = load_or_die(rules, m);
  auto mix = testing::make_event_mix(4096);
  std::vector<Event> events;
  for (const auto& ev : mix->events)
    if (!kernel_filter || res.ruleset->event_types().contains(ev.type)) events.push_back(ev);
  std::vector<const CompiledRule*> out;
  out.reserve(64);
  size_t i = 0, matched = 0;
  for (auto _ : state) {
    matched += res.ruleset->evaluate(events[i], &out);
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["rules"] = static_cast<double>(res.ruleset->enabled_rules().size());
  state.counters["match_per_1k"] =
      benchmark::Counter(1000.0 * static_cast<double>(matched) /
                         static_cast<double>(std::max<int64_t>(1, state.iterations())));
  state.SetLabel(rules.label + ", " + std::to_string(events.size()) + " events" +
                (kernel_filter ? " (types the rules need)" : " (all types)"));
}

void BM_StableMixed(benchmark::State& state) {
  run_stream(state, pick({"falco_rules.yaml"}, "falco_rules.yaml (stable)"), RuleMatching::kFirst);
}
BENCHMARK(BM_StableMixed)->Name("rules/stable_mixed_stream");

void BM_StableMixedAll(benchmark::State& state) {
  run_stream(state, pick({"falco_rules.yaml"}, "falco_rules.yaml (stable), rule_matching all"),
             RuleMatching::kAll);
}
BENCHMARK(BM_StableMixedAll)->Name("rules/stable_mixed_stream_match_all");

void BM_StableUnfiltered(benchmark::State& state) {
  run_stream(state, pick({"falco_rules.yaml"}, "falco_rules.yaml (stable)"), RuleMatching::kFirst,
             false);
}
BENCHMARK(BM_StableUnfiltered)->Name("rules/stable_mixed_stream_unfiltered");

void BM_AllUpstreamMixed(benchmark::State& state) {
  run_stream(state,
             pick({"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"},
                  "stable+incubating+sandbox"),
             RuleMatching::kFirst);
}
BENCHMARK(BM_AllUpstreamMixed)->Name("rules/all_upstream_mixed_stream");

void BM_LoadStable(benchmark::State& state) {
  Rules rules = pick({"falco_rules.yaml"}, "falco_rules.yaml (stable)");
  for (auto _ : state) {
    auto res = load_rules(rules.files);
    benchmark::DoNotOptimize(res.ruleset.get());
  }
  state.SetLabel(rules.label);
}
BENCHMARK(BM_LoadStable)->Name("rules/load_stable")->Unit(benchmark::kMillisecond);

void BM_AlertRender(benchmark::State& state) {
  Rules rules = pick({"falco_rules.yaml"}, "falco_rules.yaml (stable)");
  auto res = load_or_die(rules, RuleMatching::kFirst);
  auto mix = testing::make_event_mix(4096);
  // The first event of the mix that matches.
  std::vector<const CompiledRule*> out;
  const Event* hit = nullptr;
  for (const auto& ev : mix->events) {
    if (res.ruleset->evaluate(ev, &out) > 0) {
      hit = &ev;
      break;
    }
  }
  if (hit == nullptr) {
    state.SkipWithError("no event of the mix matches");
    return;
  }
  const CompiledRule* rule = out[0];
  for (auto _ : state) benchmark::DoNotOptimize(make_alert(*rule, *hit, "node-1"));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel(rule->name);
}
BENCHMARK(BM_AlertRender)->Name("rules/alert_render");

}  // namespace
}  // namespace riposte::detector::rules
