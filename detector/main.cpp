// riposte-detector: wires the eBPF sensor, process/container/pod state, the rules engine and
// the alert outputs together. Logic lives in riposte_detector; this file only parses flags
// and connects the parts.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/flags.h"
#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/nats.h"
#include "common/ops_server.h"
#include "detector/container/kube_pod_source.h"
#include "detector/detector.h"
#include "detector/output/async_sink.h"
#include "detector/output/nats_sink.h"
#include "detector/output/stream_sink.h"
#include "detector/rules/ruleset.h"
#include "detector/sensor/bpf_exec_source.h"

namespace {

std::atomic<bool> g_stop{false};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "riposte-detector: %s\n", msg.c_str());
  std::exit(1);
}

std::string default_node_name() {
  if (const char* n = std::getenv("RIPOSTE_NODE_NAME"); n && *n) return n;
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace riposte;
  std::vector<std::string> rule_files;
  std::string nats_url, nats_user, nats_password, nats_token, nats_creds, nats_ca;
  std::string node_name = default_node_name();
  std::string kubeconfig, output_file, log_level = "info";
  std::string ops_addr = "0.0.0.0:8765";
  bool json = false, log_json = false, no_kube = false;
  int ring_mb = 8, queue_capacity = 10000, stream_replicas = 1, duration_s = 0;

  Flags f("riposte-detector",
          "Watches syscalls with CO-RE eBPF, keeps process, container and pod context, evaluates "
          "rules written in Falco's rules language and publishes alerts in Falco's JSON format. "
          "Without --nats, alerts are printed to stdout (Falco's text line, or JSON lines with "
          "--json). With --nats, they are published to the JetStream stream RIPOSTE_ALERTS on "
          "riposte.alerts.<priority>.<rule_slug>. Needs root (or CAP_BPF + CAP_PERFMON + "
          "CAP_SYS_RESOURCE) and a kernel with BTF.",
          "riposte-detector --rules FILE [--rules FILE ...] [--nats URL] [--json]");
  f.add_list("rules", &rule_files, "FILE", "Falco rules file; repeat to load several, in order");
  f.add_string("nats", &nats_url, "URL", "publish alerts to NATS JetStream at URL (nats://host:4222)");
  f.add_string("nats-user", &nats_user, "USER", "NATS user (with --nats-password)");
  f.add_string("nats-password", &nats_password, "PASS", "NATS password");
  f.add_string("nats-token", &nats_token, "TOKEN", "NATS token");
  f.add_string("nats-creds", &nats_creds, "FILE", "NATS credentials file (JWT + nkey seed)");
  f.add_string("nats-ca", &nats_ca, "FILE", "CA bundle to verify the NATS server's TLS certificate");
  f.add_int("stream-replicas", &stream_replicas, "N", "replicas of the RIPOSTE_ALERTS stream when it is created");
  f.add_bool("json", &json, "print alerts as JSON lines instead of Falco's text line");
  f.add_string("output-file", &output_file, "FILE", "also append alerts as JSON lines to FILE");
  f.add_string("node-name", &node_name, "NAME", "this node's name: alert hostname and the pods watched (default $RIPOSTE_NODE_NAME or the hostname)");
  f.add_string("kubeconfig", &kubeconfig, "FILE", "kubeconfig for pod lookups (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  f.add_bool("no-kube", &no_kube, "do not look pods up in the Kubernetes API (k8s.* fields stay empty)");
  f.add_int("ring-buffer-mb", &ring_mb, "MB", "size of the kernel ring buffer");
  f.add_int("queue-capacity", &queue_capacity, "N", "alerts queued for publishing before new ones are dropped (and counted)");
  f.add_string("ops-addr", &ops_addr, "HOST:PORT", "serve /livez, /readyz and /metrics here (port 0: any free port; empty: off)");
  f.add_string("log-level", &log_level, "LEVEL", "debug, info, warn or error");
  f.add_bool("log-json", &log_json, "write logs as JSON lines");
  f.add_int("duration", &duration_s, "SECONDS", "exit after this many seconds (0: run until SIGINT/SIGTERM)");
  auto parsed = f.parse(argc, argv);
  if (!parsed) die(parsed.error());
  if (!*parsed) {
    std::fputs(f.help().c_str(), stdout);
    return 0;
  }
  log::Level level;
  if (!log::parse_level(log_level, &level)) die("--log-level must be debug, info, warn or error");
  log::set_level(level);
  log::set_json(log_json);
  if (rule_files.empty()) die("no rules: give at least one --rules FILE (see --help)");

  // Rules first: a typo in a rules file should fail before anything is loaded in the kernel.
  auto loaded = detector::rules::load_rules(rule_files);
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
  if (!loaded.ok()) die("rules have errors (see above)");
  const detector::rules::Ruleset& ruleset = *loaded.ruleset;

  Registry registry;
  std::unique_ptr<nats::Connection> nats_conn;
  std::vector<std::unique_ptr<detector::AlertSink>> sinks;
  if (!nats_url.empty()) {
    nats::Options o;
    o.url = nats_url;
    o.name = "riposte-detector@" + node_name;
    o.user = nats_user;
    o.password = nats_password;
    o.token = nats_token;
    o.creds_file = nats_creds;
    o.ca_file = nats_ca;
    auto conn = nats::Connection::connect(o);
    if (!conn) die("NATS: " + conn.error());
    nats_conn = std::move(*conn);
    nats::StreamConfig sc;
    sc.name = kAlertStream;
    sc.subjects = {kAlertSubjects};
    sc.replicas = stream_replicas;
    if (Status st = nats_conn->ensure_stream(sc); !st.ok()) die("NATS stream: " + st.error());
    sinks.push_back(std::make_unique<detector::NatsSink>(nats_conn.get()));
  } else {
    sinks.push_back(std::make_unique<detector::StreamSink>(stdout, json));
  }
  FILE* out_file = nullptr;
  if (!output_file.empty()) {
    out_file = std::fopen(output_file.c_str(), "a");
    if (!out_file) die("cannot open --output-file " + output_file);
    sinks.push_back(std::make_unique<detector::StreamSink>(out_file, true));
  }
  class FanOut final : public detector::AlertSink {
   public:
    explicit FanOut(std::vector<std::unique_ptr<detector::AlertSink>>* s) : sinks_(s) {}
    Status emit(const Alert& a) override {
      Status result;
      for (auto& s : *sinks_) {
        if (Status st = s->emit(a); !st.ok()) result = st;
      }
      return result;
    }

   private:
    std::vector<std::unique_ptr<detector::AlertSink>>* sinks_;
  } fan_out(&sinks);
  detector::AsyncSink queue(&fan_out, static_cast<size_t>(queue_capacity));

  std::unique_ptr<kube::KubeClient> kube_client;
  std::unique_ptr<detector::PodSource> pods;
  if (!no_kube) {
    auto cfg = kube::load_config(kubeconfig);
    if (!cfg) die("Kubernetes config: " + cfg.error() + " (or run with --no-kube)");
    auto client = kube::HttpKubeClient::create(*cfg);
    if (!client) die("Kubernetes client: " + client.error());
    kube_client = std::move(*client);
    pods = std::make_unique<detector::KubePodSource>(kube_client.get(), node_name);
  }
  detector::ContainerResolver containers(pods.get());
  detector::ProcessTable procs;
  detector::Detector det(&ruleset, &containers, &procs, &queue, &registry, node_name);

  detector::BpfExecSource source(static_cast<uint32_t>(ring_mb) << 20);
  if (Status st = source.start([&det](const detector::ExecRecord& r) { det.on_exec(r); });
      !st.ok()) {
    die(st.error());
  }

  registry.gauge("riposte_detector_alert_queue_depth", "Alerts waiting to be published")
      .set_function([&queue] { return static_cast<double>(queue.depth()); });
  registry.gauge("riposte_detector_alerts_dropped_total", "Alerts dropped because the queue was full")
      .set_function([&queue] { return static_cast<double>(queue.dropped()); });
  registry.gauge("riposte_detector_kernel_drops_total", "Kernel records lost to a full ring buffer")
      .set_function([&source] { return static_cast<double>(source.kernel_drops()); });
  registry.gauge("riposte_detector_rules_loaded", "Enabled rules")
      .set_function([&ruleset] { return static_cast<double>(ruleset.enabled_rules().size()); });

  std::unique_ptr<OpsServer> ops;
  if (!ops_addr.empty()) {
    auto colon = ops_addr.rfind(':');
    if (colon == std::string::npos) die("--ops-addr must be HOST:PORT");
    ops = std::make_unique<OpsServer>(
        ops_addr.substr(0, colon), std::atoi(ops_addr.c_str() + colon + 1), registry, [&] {
          std::vector<ReadyCheck> checks{{"bpf", true, "programs attached"},
                                         {"rules", true, std::to_string(ruleset.enabled_rules().size()) + " rules"}};
          if (nats_conn) {
            checks.push_back({"nats", nats_conn->connected(), nats_conn->connected() ? "" : "not connected"});
          }
          return checks;
        });
    if (Status st = ops->start(); !st.ok()) die("ops server: " + st.error());
  }

  signal(SIGINT, [](int) { g_stop = true; });
  signal(SIGTERM, [](int) { g_stop = true; });
  log::info("detector running", {{"node", node_name},
                                 {"rules", ruleset.enabled_rules().size()},
                                 {"output", nats_url.empty() ? "stdout" : nats_url},
                                 {"ops_port", ops ? ops->port() : 0}});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(duration_s);
  while (!g_stop && (duration_s == 0 || std::chrono::steady_clock::now() < deadline)) {
    if (Status st = source.poll(200); !st.ok()) die(st.error());
  }
  queue.drain(5000);
  if (out_file) std::fclose(out_file);
  log::info("detector stopped", {{"published", queue.published()}, {"dropped", queue.dropped()}});
  return 0;
}
