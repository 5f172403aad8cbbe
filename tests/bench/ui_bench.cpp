// ui/: the web UI with a million alerts in RIPOSTE_ALERTS (RIPOSTE_BENCH_UI_ALERTS to change
// it). The stream is filled once with asynchronous JetStream publishes (varied rules,
// priorities, namespaces, pods, nodes), a WebUi indexes it through its ordered consumer, then:
//   ui/first_screen   what the browser asks for on opening the UI: the page, its script, the
//                     session, the newest 50 alerts with their match count, the charts, the
//                     filter suggestions
//   ui/filter         one filter applied: the matching alerts and the charts for them
// Counters: index_load_s (stream to index), publish_per_s. HTTP over loopback, logged in.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <cstdlib>
#include <fstream>

#include "tests/bench/bench_nats.h"
#include "ui/web_ui.h"

namespace riposte::bench {
namespace {

struct UiWorld {
  std::unique_ptr<BenchNats> nats;
  std::unique_ptr<nats::Connection> conn;
  actions::Guardrails guardrails;
  std::unique_ptr<ui::WebUi> web;
  std::string cookie;
  double load_s = 0, publish_per_s = 0;
  uint64_t alerts = 0;
  std::string error;
};

UiWorld& world() {
  static UiWorld* the_world = [] {
    auto* w = new UiWorld();
    const char* n = std::getenv("RIPOSTE_BENCH_UI_ALERTS");
    w->alerts = n ? std::strtoull(n, nullptr, 10) : 1000000;
    w->nats = std::make_unique<BenchNats>();
    w->conn = connect(w->nats->url());
    if (!w->conn) {
      w->error = "no nats-server";
      return w;
    }
    (void)w->conn->ensure_stream({.name = kAlertStream, .subjects = {kAlertSubjects}});
    (void)w->conn->ensure_stream({.name = kActionStream, .subjects = {kActionSubjects}});
    const char* rules[] = {"Terminal shell in container",
                           "Write below etc",
                           "Read sensitive file untrusted",
                           "Launch Privileged Container",
                           "Outbound Connection to C2 Servers",
                           "Drop and execute new binary in container",
                           "Clear Log Activities",
                           "Netcat Remote Code Execution in Container"};
    const auto t0 = std::chrono::steady_clock::now();
    auto batch = w->conn->publish_batch();
    for (uint64_t i = 0; i < w->alerts; ++i) {
      Alert a = bench_alert(static_cast<int64_t>(i), "ns-" + std::to_string(i % 50),
                            "pod-" + std::to_string(i % 5000));
      a.rule = rules[i % 8];
      a.priority = static_cast<Priority>(i % 7 == 0 ? 2 : 4 + i % 3);
      a.hostname = "node-" + std::to_string(i % 20);
      (*batch)->add(alert_subject(a), to_json(a));
      if ((*batch)->size() == 5000) {
        for (auto& r : (*batch)->wait(30000)) {
          if (!r) w->error = "publish: " + r.error();
        }
      }
    }
    for (auto& r : (*batch)->wait(30000)) {
      if (!r) w->error = "publish: " + r.error();
    }
    const auto t1 = std::chrono::steady_clock::now();
    w->publish_per_s =
        static_cast<double>(w->alerts) / std::chrono::duration<double>(t1 - t0).count();
    const std::string pw = "/tmp/riposte-bench-ui-password-" + std::to_string(getpid());
    std::ofstream(pw) << "bench password 123\n";
    ui::WebUiConfig c;
    c.password_file = pw;
    auto web = ui::WebUi::create(w->conn.get(), nullptr, &w->guardrails, c);
    std::remove(pw.c_str());
    if (!web) {
      w->error = web.error();
      return w;
    }
    w->web = std::move(*web);
    while (w->web->index().alerts() < w->alerts)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    w->load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    httplib::Client cli("127.0.0.1", w->web->port());
    auto res = cli.Post("/api/login", R"({"user":"admin","password":"bench password 123"})",
                        "application/json");
    if (!res || res->status != 200) {
      w->error = "login failed";
      return w;
    }
    std::string set = res->get_header_value("Set-Cookie");
    w->cookie = set.substr(0, set.find(';'));
    return w;
  }();
  return *the_world;
}

void get(httplib::Client& cli, const UiWorld& w, const std::string& path, benchmark::State& state) {
  auto res = cli.Get(path, {{"Cookie", w.cookie}});
  if (!res || res->status != 200) state.SkipWithError(("GET " + path + " failed").c_str());
}

void BM_UiFirstScreen(benchmark::State& state) {
  UiWorld& w = world();
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  httplib::Client cli("127.0.0.1", w.web->port());
  for (auto _ : state) {
    for (const char* p : {"/", "/app.js", "/style.css", "/api/session", "/api/alerts?limit=50",
                          "/api/stats?buckets=48", "/api/facets"}) {
      get(cli, w, p, state);
    }
  }
  state.counters["alerts"] = static_cast<double>(w.alerts);
  state.counters["index_load_s"] = w.load_s;
  state.counters["publish_per_s"] = w.publish_per_s;
}
BENCHMARK(BM_UiFirstScreen)->Name("ui/first_screen")->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_UiFilter(benchmark::State& state) {
  UiWorld& w = world();
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  httplib::Client cli("127.0.0.1", w.web->port());
  const std::string f = "namespace=ns-7&priority=Critical,Warning&node=node-7";
  for (auto _ : state) {
    get(cli, w, "/api/alerts?limit=50&" + f, state);
    get(cli, w, "/api/stats?buckets=48&" + f, state);
  }
  state.counters["alerts"] = static_cast<double>(w.alerts);
}
BENCHMARK(BM_UiFilter)->Name("ui/filter")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace riposte::bench
