// deploy/grafana/riposte.json names only metrics riposte exports: a real riposte-detector (real
// eBPF, an alert raised by a real exec) and a real riposte-responder (an alert through its HTTP
// input, a playbook run, a cooldown suppression, a dead letter) are scraped, and every metric
// and label the dashboard's queries name must be in what they serve on /metrics. Then a real
// Prometheus scrapes both and evaluates every query as Grafana would send it: each must parse
// and return data.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "responder/bus.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/responder/bus_test_util.h"

namespace riposte::testing {
namespace {

constexpr const char* kMarker = "riposte-grafana-marker";
constexpr const char* kToken = "grafana-token";

// Sample names with the label names seen on them, from Prometheus' text format.
std::map<std::string, std::set<std::string>> samples(const std::string& text) {
  std::map<std::string, std::set<std::string>> out;
  std::istringstream in(text);
  std::string line;
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)=")");
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t end = line.find_first_of("{ ");
    auto& labels = out[line.substr(0, end)];
    if (end != std::string::npos && line[end] == '{') {
      const std::string body = line.substr(end, line.find('}') - end);
      for (std::sregex_iterator it(body.begin(), body.end(), kLabel), stop; it != stop; ++it) {
        labels.insert((*it)[1]);
      }
    }
  }
  return out;
}

// The dashboard's variables as Grafana fills them in for a short range.
std::string as_grafana_sends(std::string q) {
  for (auto [var, value] : {std::pair{"$__rate_interval", "1m"}, std::pair{"$__range", "5m"},
                            std::pair{"$__interval", "15s"}}) {
    for (size_t at; (at = q.find(var)) != std::string::npos;) q.replace(at, strlen(var), value);
  }
  return q;
}

// An instant query against Prometheus' HTTP API: its JSON answer, or null.
nlohmann::json prom_query(int port, const std::string& q) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/api/v1/query", httplib::Params{{"query", q}}, httplib::Headers{});
  if (!r) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

std::string scrape(int port) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/metrics");
  return r && r->status == 200 ? r->body : "";
}

// Every "expr" of the dashboard (panels, rows' panels, targets).
void exprs(const nlohmann::json& j, std::vector<std::string>* out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "expr" && it.value().is_string()) out->push_back(it.value());
      exprs(it.value(), out);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) exprs(v, out);
  }
}

std::string alert_json(const std::string& pod, int n) {
  return R"J({"hostname":"node-1","output":"A shell was spawned )J" + std::to_string(n) +
         R"J(","priority":"Notice","rule":"Terminal shell in container","source":"syscall",)J"
         R"J("tags":["shell"],"time":"2026-12-03T17:01:02.123456789Z",)J"
         R"J("output_fields":{"k8s.ns.name":"shop","k8s.pod.name":")J" +
         pod + R"J("}})J";
}

TEST(GrafanaDashboardTest, EveryQueriedMetricAndLabelIsExported) {
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  std::ifstream in(std::string(src) + "/deploy/grafana/riposte.json");
  const auto dashboard = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(dashboard.is_object()) << "deploy/grafana/riposte.json is not valid JSON";
  std::vector<std::string> queries;
  exprs(dashboard, &queries);
  ASSERT_FALSE(queries.empty());

  NatsServer server({.shipped_auth = true});
  ASSERT_TRUE(server.start());
  auto conn = nats::Connection::connect(shipped_auth_options(server.url(), "riposte-test"));
  ASSERT_TRUE(conn.ok()) << conn.error();
  ASSERT_TRUE(responder::ensure_streams(**conn, {}).ok());

  // The responder: a dry-run playbook, and one with a cooldown so that a second alert about
  // the same pod is suppressed.
  DryRunSetup setup;
  std::ofstream(setup.playbooks + "/cooldown.yaml") << R"(
name: annotate-once
dry_run: true
cooldown: 1h
match: {rules: ["Terminal shell in container"]}
steps: [{action: pod.annotate, params: {annotations: {riposte.dev/seen: "yes"}}}]
)";
  std::ofstream(setup.dir + "/token") << kToken;
  const int http_port = pick_free_port(), responder_ops = pick_free_port();
  auto responder = start_responder(
      setup, server.url(), "grafana",
      {"--http-addr", "127.0.0.1:" + std::to_string(http_port), "--http-token-file",
       setup.dir + "/token", "--ops-addr", "127.0.0.1:" + std::to_string(responder_ops)});
  ASSERT_TRUE(responder);
  ASSERT_TRUE(wait_for_port(http_port, 30000));
  httplib::Client http("127.0.0.1", http_port);
  http.set_bearer_token_auth(kToken);
  for (int i = 0; i < 2; ++i) {
    auto r = http.Post("/", alert_json("web-1", i), "application/json");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : httplib::to_string(r.error()));
  }
  ASSERT_TRUE(
      (*conn)->js_publish("riposte.alerts.notice.garbage", "not an alert", "garbage-1").ok());

  // The detector: real eBPF, a rule for an exec of /bin/true with the test's marker.
  const int detector_ops = pick_free_port();
  auto detector = start_marker_detector(setup.dir, "Grafana marker", kMarker, server.url(),
                                        "127.0.0.1:" + std::to_string(detector_ops));
  ASSERT_TRUE(detector);
  ASSERT_EQ(std::system(("/bin/true " + std::string(kMarker)).c_str()), 0);

  // Scraped once each daemon shows what the test made happen.
  std::map<std::string, std::set<std::string>> exported;
  auto has = [&](const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
  };
  std::string detector_text, responder_text;
  ASSERT_TRUE(eventually(
      [&] {
        detector_text = scrape(detector_ops);
        responder_text = scrape(responder_ops);
        return has(detector_text, "riposte_detector_alerts_total{") &&
               has(responder_text, "riposte_responder_suppressed_total{") &&
               has(responder_text, "outcome=\"dead_lettered\"") &&
               has(responder_text, "riposte_responder_playbook_runs_total{");
      },
      60000))
      << "detector:\n"
      << detector_text << "\nresponder:\n"
      << responder_text;
  for (const auto& text : {detector_text, responder_text}) {
    for (auto& [name, labels] : samples(text)) exported[name].insert(labels.begin(), labels.end());
  }

  // Each metric a query names, and each label it selects, groups or matches by.
  static const std::regex kMetric(R"(riposte_[a-z0-9_]+)");
  static const std::regex kSelector(R"((riposte_[a-z0-9_]+)\{([^}]*)\})");
  static const std::regex kMatcher(R"(([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=))");
  static const std::regex kBy(R"(by \(([^)]*)\)[^(]*\((?:rate|increase)\((riposte_[a-z0-9_]+))");
  std::set<std::string> named;
  for (const std::string& q : queries) {
    for (std::sregex_iterator it(q.begin(), q.end(), kMetric), stop; it != stop; ++it) {
      const std::string m = (*it)[0];
      named.insert(m);
      EXPECT_TRUE(exported.count(m))
          << "the dashboard queries " << m << ", which neither daemon exports: " << q;
    }
    for (std::sregex_iterator it(q.begin(), q.end(), kSelector), stop; it != stop; ++it) {
      const std::string m = (*it)[1], body = (*it)[2];
      for (std::sregex_iterator l(body.begin(), body.end(), kMatcher); l != stop; ++l) {
        EXPECT_TRUE(exported[m].count((*l)[1])) << m << " has no label " << (*l)[1] << ": " << q;
      }
    }
    for (std::sregex_iterator it(q.begin(), q.end(), kBy), stop; it != stop; ++it) {
      const std::string m = (*it)[2];
      std::istringstream labels((*it)[1]);
      for (std::string l; std::getline(labels, l, ',');) {
        l.erase(std::remove(l.begin(), l.end(), ' '), l.end());
        // le: the histogram's buckets; instance: added by Prometheus when it scrapes.
        if (l == "instance" || l == "job") continue;
        EXPECT_TRUE(exported[m].count(l)) << m << " has no label " << l << ": " << q;
      }
    }
  }
  // A real Prometheus, scraping both every second, evaluates each query: it must parse and
  // return data (every series it reads exists once the daemons ran the events above).
  const int prom_port = pick_free_port();
  std::ofstream(setup.dir + "/prometheus.yml")
      << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
         "scrape_configs:\n"
         "  - job_name: riposte-detector\n"
         "    static_configs: [{targets: ['127.0.0.1:"
      << detector_ops
      << "']}]\n"
         "  - job_name: riposte-responder\n"
         "    static_configs: [{targets: ['127.0.0.1:"
      << responder_ops << "']}]\n";
  auto prometheus =
      Subprocess::spawn({"prometheus", "--config.file=" + setup.dir + "/prometheus.yml",
                         "--storage.tsdb.path=" + setup.dir + "/tsdb",
                         "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                        {}, setup.dir + "/prometheus.log");
  ASSERT_TRUE(prometheus.ok()) << prometheus.error();
  // Three scrapes of each target: enough samples for rate() over the window.
  ASSERT_TRUE(eventually(
      [&] {
        auto j = prom_query(prom_port, "min(count_over_time(up[1m])) >= 3 and min(up) == 1");
        return j.is_object() && !j["data"]["result"].empty() &&
               j["data"]["result"][0]["metric"].is_object();
      },
      60000))
      << (*prometheus)->log_tail();
  for (const std::string& q : queries) {
    const auto j = prom_query(prom_port, as_grafana_sends(q));
    ASSERT_TRUE(j.is_object()) << "no answer from Prometheus for " << q;
    if (j.value("status", "") != "success") {
      ADD_FAILURE() << q << ": " << j.value("error", "");
      continue;
    }
    EXPECT_FALSE(j["data"]["result"].empty()) << "no data for " << q;
  }

  // What issue 18 asks the dashboard to show.
  for (const char* m :
       {"riposte_detector_alerts_total", "riposte_responder_alert_to_action_seconds_bucket",
        "riposte_responder_playbook_runs_total", "riposte_responder_actions_total",
        "riposte_responder_suppressed_total", "riposte_responder_alerts_total",
        "riposte_detector_kernel_dropped_records_total"}) {
    EXPECT_TRUE(named.count(m)) << "the dashboard does not show " << m;
  }
}

}  // namespace
}  // namespace riposte::testing
