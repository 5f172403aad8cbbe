// riposte-audit's cost per audit event: Falco's k8s_audit_rules.yaml (../shared/falco-rules,
// rule_matching all as riposte-audit runs it) on 100 audit events as kube-apiserver sends them
// with a RequestResponse policy (tests/support/audit_stream.h): mostly routine reads and
// writes by system users with their request and response objects (leases, events, pods,
// deployments, a PodList), a few events the rules are about. items_per_second = events per
// second on one thread. Run on one core:
//
//   taskset -c 1 build/bin/riposte-bench --benchmark_filter='^audit/'
//
//   audit/evaluate                 evaluation (and the alerts' rendering) of parsed events
//   audit/parse                    the EventList body of the 100 events parsed
//                                  (audit/event_list.cpp: one pass, objects kept as text)
//   audit/parse_dom                the same with a full nlohmann DOM (parse_event_list_dom,
//                                  the parser before issue 16's change)
//   audit/parse_and_evaluate       the webhook's whole CPU path: parse, then evaluate
//   audit/parse_and_evaluate_dom   the same with parse_event_list_dom
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "audit/event_list.h"
#include "detector/rules/ruleset.h"
#include "tests/support/audit_stream.h"

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
  if (!parse_event_list(samples::event_list(samples::stream_mix()).dump(), {}, &batch, &why)) {
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

using Parser = bool (*)(std::string_view, const ParseLimits&, ParsedBatch*, Rejection*);

void parse_only(benchmark::State& state, Parser parse) {
  const std::string body = samples::event_list(samples::stream_mix()).dump();
  size_t events = 0;
  for (auto _ : state) {
    ParsedBatch batch;
    Rejection why;
    if (!parse(body, {}, &batch, &why)) state.SkipWithError(why.detail.c_str());
    events += batch.events.size();
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

void parse_and_evaluate(benchmark::State& state, Parser parse) {
  auto rs = load(state);
  if (!rs) return;
  const std::string body = samples::event_list(samples::stream_mix()).dump();
  std::vector<const detector::rules::CompiledRule*> hits;
  uint64_t num = 0;
  size_t events = 0, alerts = 0;
  for (auto _ : state) {
    ParsedBatch batch;
    Rejection why;
    if (!parse(body, {}, &batch, &why)) state.SkipWithError(why.detail.c_str());
    for (const auto& a : batch.events) alerts += evaluate(*rs, a, ++num, &hits);
    events += batch.events.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["body_bytes"] = static_cast<double>(body.size());
  state.counters["alerts_per_1k"] =
      1000.0 * static_cast<double>(alerts) / static_cast<double>(std::max<size_t>(1, events));
}

BENCHMARK_CAPTURE(parse_only, scan, &parse_event_list)->Name("audit/parse");
BENCHMARK_CAPTURE(parse_only, dom, &parse_event_list_dom)->Name("audit/parse_dom");
BENCHMARK_CAPTURE(parse_and_evaluate, scan, &parse_event_list)->Name("audit/parse_and_evaluate");
BENCHMARK_CAPTURE(parse_and_evaluate, dom, &parse_event_list_dom)
    ->Name("audit/parse_and_evaluate_dom");

}  // namespace
}  // namespace riposte::audit
