// riposte-responder: consumes alerts from NATS JetStream, matches them to playbooks and acts
// through the Kubernetes API. Logic lives in riposte_responder; this file wires it.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/alert.h"
#include "common/daemon_flags.h"
#include "common/flags.h"
#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/nats.h"
#include "common/nats_rotation.h"
#include "common/ops_server.h"
#include "responder/alert_consumer.h"
#include "responder/bus.h"
#include "responder/bus_guard.h"
#include "responder/crd/crd_playbook_source.h"
#include "responder/inputs/falcosidekick_bridge.h"
#include "responder/inputs/http_ingest.h"
#include "responder/playbook/duration.h"
#include "responder/playbook_store.h"
#include "responder/responder.h"
#include "ui/web_ui.h"

namespace {

std::atomic<bool> g_stop{false};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "riposte-responder: %s\n", msg.c_str());
  std::exit(1);
}

int64_t duration_flag(const std::string& name, const std::string& value) {
  auto ms = riposte::playbook::parse_duration_ms(value);
  if (!ms) die("--" + name + ": " + ms.error());
  return *ms;
}

std::vector<int64_t> backoff_flag(const std::string& value) {
  std::vector<int64_t> out;
  std::stringstream in(value);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(duration_flag("nak-backoff", item));
  if (out.empty()) die("--nak-backoff: give at least one duration");
  return out;
}

std::pair<std::string, int> host_port(const std::string& flag, const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) die("--" + flag + " must be HOST:PORT");
  return {addr.substr(0, colon), std::atoi(addr.c_str() + colon + 1)};
}

std::string default_replica_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace riposte;
  std::vector<std::string> playbook_paths, protected_ns;
  nats::Options no;
  no.url = "nats://127.0.0.1:4222";
  std::string kubeconfig, durable = responder::kDefaultDurable;
  LogFlags log_flags;
  std::string ops_addr = "0.0.0.0:8766", own_namespace = "riposte", replica = default_replica_name();
  std::string ack_wait = "2s", nak_backoff = "1s,5s,15s,30s", run_ttl = "1h", reload = "2s";
  std::string http_addr, http_token_file, http_tls_cert, http_tls_key;
  std::string ui_addr, ui_password_file, ui_tls_cert, ui_tls_key;
  std::string falco_subjects = responder::kFalcosidekickSubjects;
  bool dry_run = false, falcosidekick = false, watch_crds = false, allow_open_bus = false;
  // 32 workers: an action is a blocking API call, and with few workers one slow DELETE makes
  // the next alerts wait (bus/latency: p99 33-66 ms with 8 workers, 12-26 ms with 32, at
  // 100 alerts/s); threads waiting on I/O cost next to nothing.
  int stream_replicas = 1, batch = 64, max_deliver = 5, workers = 32, rate_global = 0, rate_ns = 0;
  int64_t http_max_body = 1024 * 1024;
  int http_workers = responder::HttpIngestOptions{}.workers,
      http_queue = responder::HttpIngestOptions{}.queue;

  Flags f("riposte-responder",
          "Consumes Falco-format alerts from the NATS JetStream stream RIPOSTE_ALERTS through a "
          "durable pull consumer shared by every replica, matches them to YAML playbooks and "
          "runs their actions through the Kubernetes API. Each playbook runs at most once per "
          "alert across all replicas (run records in the JetStream key-value bucket "
          "RIPOSTE_RUNS); a message is acknowledged only once its outcome is recorded; "
          "retryable failures are redelivered with back-off, and after --max-deliver "
          "deliveries, or when a message is not a valid alert, it goes to "
          "riposte.deadletter.alerts with the reason. Every run is audited on "
          "riposte.actions.> (stream RIPOSTE_ACTIONS). Optional inputs: Falcosidekick's NATS "
          "output (falco.>) and an HTTP endpoint for Falco's http_output / Falcosidekick's "
          "webhook, both republished to RIPOSTE_ALERTS. Playbook files are reloaded when they "
          "change; an invalid new version is refused and the last good set keeps running. "
          "Protected namespaces (kube-system, kube-public, kube-node-lease and riposte's own) "
          "are never acted on.",
          "riposte-responder --playbooks DIR|FILE [--nats URL] [--dry-run]");
  f.add_list("playbooks", &playbook_paths, "PATH", "playbook file or directory of *.yaml; repeatable");
  f.add_bool("watch-crds", &watch_crds, "also run the cluster's Playbook and ClusterPlaybook objects (riposte.dev/v1alpha1): watched, validated like files, verdict written to their status");
  f.add_string("reload-interval", &reload, "DURATION", "how often to check playbook files for changes (0s: never)");
  add_nats_flags(f, &no);
  f.add_bool("allow-unauthenticated-bus", &allow_open_bus,
             "start even when NATS lets clients without credentials publish alerts (anyone "
             "reaching it could then make riposte act; for trusted test setups only)");
  f.add_int("stream-replicas", &stream_replicas, "N", "replicas of the streams and key-value buckets (1 or 3 on a cluster)");
  f.add_string("durable", &durable, "NAME", "durable consumer name; replicas sharing it split the alerts");
  f.add_int("workers", &workers, "N", "alerts handled in parallel by this replica");
  f.add_int("batch", &batch, "N", "alerts fetched per pull");
  f.add_int("max-deliver", &max_deliver, "N", "deliveries of an alert whose playbooks keep failing before it is dead-lettered");
  f.add_string(
      "ack-wait", &ack_wait, "DURATION",
      "redeliver an alert not acknowledged within this time, and take a claimed run over when its "
      "record goes that long without a renewal: how fast a dead replica's work is taken over (a "
      "live replica renews both every third of it, however long its steps take)");
  f.add_string("nak-backoff", &nak_backoff, "D1,D2,...", "redelivery delay after the 1st, 2nd, ... failed delivery (the last repeats)");
  f.add_string("dedup-ttl", &run_ttl, "DURATION", "how long run records (idempotency keys) are kept");
  f.add_int("rate-limit", &rate_global, "N", "at most N actions per minute across all replicas (0: no limit)");
  f.add_int("rate-limit-namespace", &rate_ns, "N", "at most N actions per minute per namespace across all replicas (0: no limit)");
  f.add_bool("falcosidekick", &falcosidekick, "republish Falcosidekick's NATS output (core NATS) into RIPOSTE_ALERTS");
  f.add_string("falcosidekick-subjects", &falco_subjects, "SUBJECT", "subjects Falcosidekick publishes to");
  f.add_string("http-addr", &http_addr, "HOST:PORT", "serve the HTTP alert input here (Falco http_output, Falcosidekick webhook); empty: off");
  f.add_string("http-token-file", &http_token_file, "FILE", "file holding the bearer token the HTTP input requires");
  f.add_int("http-max-body", &http_max_body, "BYTES", "largest accepted HTTP body");
  f.add_int("http-workers", &http_workers, "N",
            "HTTP connections served at once (a kept-open connection holds one)");
  f.add_int(
      "http-queue", &http_queue, "N",
      "HTTP connections waiting for a worker; beyond, new ones are answered 503 with Retry-After");
  f.add_string("http-tls-cert", &http_tls_cert, "FILE", "serve the HTTP input over TLS with this certificate");
  f.add_string("http-tls-key", &http_tls_key, "FILE", "key of --http-tls-cert");
  f.add_string("ui-addr", &ui_addr, "HOST:PORT",
               "serve the web UI here (timeline, filters, charts, run details, undo; read from "
               "the JetStream streams); empty: off");
  f.add_string("ui-password-file", &ui_password_file, "FILE",
               "the UI admin's password (a mounted Secret); without it the first run logs a "
               "one-time setup token that the UI's setup page asks for");
  f.add_string("ui-tls-cert", &ui_tls_cert, "FILE", "serve the UI over TLS with this certificate");
  f.add_string("ui-tls-key", &ui_tls_key, "FILE", "key of --ui-tls-cert");
  f.add_string("kubeconfig", &kubeconfig, "FILE", "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  f.add_bool("dry-run", &dry_run, "run every playbook in dry-run: log and audit the exact requests, send none");
  f.add_string("own-namespace", &own_namespace, "NS", "the namespace riposte runs in (protected)");
  f.add_list("protected-namespace", &protected_ns, "NS", "another namespace never to act in; repeatable");
  f.add_string("replica-name", &replica, "NAME", "this replica's name in audit records and run claims");
  f.add_string("ops-addr", &ops_addr, "HOST:PORT", "serve /livez, /readyz and /metrics here (port 0: any free port; empty: off)");
  add_log_flags(f, &log_flags);
  auto parsed = f.parse(argc, argv);
  if (!parsed) die(parsed.error());
  if (!*parsed) {
    std::fputs(f.help().c_str(), stdout);
    return 0;
  }
  if (Status st = apply_log_flags(log_flags); !st.ok()) die(st.error());
  if (playbook_paths.empty() && !watch_crds) die("no playbooks: give --playbooks PATH or --watch-crds (see --help)");
  if (workers < 1 || batch < 1) die("--workers and --batch must be at least 1");
  const int64_t ack_wait_ms = duration_flag("ack-wait", ack_wait);
  const int64_t reload_ms = reload == "0" || reload == "0s" ? 0 : duration_flag("reload-interval", reload);

  Registry registry;
  responder::ResponderMetrics metrics(&registry);

  auto cfg = kube::load_config(kubeconfig);
  if (!cfg) die("Kubernetes config: " + cfg.error());
  auto kube_client = kube::HttpKubeClient::create(*cfg);
  if (!kube_client) die("Kubernetes client: " + kube_client.error());
  actions::Guardrails guardrails;
  guardrails.protected_namespaces = actions::default_protected_namespaces(own_namespace);
  for (const auto& ns : protected_ns) guardrails.protected_namespaces.insert(ns);
  // Node actions go over the NATS connection made below (the playbooks load first).
  actions::NatsNodeAgentClient node_agent;
  responder::PlaybookStore store(playbook_paths, **kube_client, guardrails, &metrics, &node_agent);
  if (auto loaded = store.load(); !loaded.ok()) {
    std::fputs((loaded.error_text() + "\n").c_str(), stderr);
    die("playbooks have errors (see above)");
  }
  std::unique_ptr<responder::crd::CrdPlaybookSource> crds;
  if (watch_crds) {
    responder::crd::CrdSourceOptions crd_options;
    crd_options.write_status = !dry_run;  // a dry run writes nothing to the cluster, status included
    crds = std::make_unique<responder::crd::CrdPlaybookSource>(
        **kube_client, [&store](auto pbs) { store.set_object_playbooks(std::move(pbs)); },
        crd_options);
    crds->start();
    // Alerts handled before the objects are known would miss their playbooks for good.
    if (!crds->wait_synced(std::chrono::seconds(30))) {
      log::warn("Playbook objects not listed yet (CRDs installed? RBAC?); going on with the files");
    }
  }

  no.name = "riposte-responder";
  if (no.inbox_prefix.empty()) no.inbox_prefix = kResponderInboxPrefix;  // see its comment
  // The password follows its file: see the rebind below.
  auto conn = nats::RotatingConnection::connect(no);
  if (!conn) die("NATS: " + conn.error());
  node_agent.bind((*conn)->get());
  responder::ResponderConfig rc;
  rc.bus.replicas = stream_replicas;
  rc.bus.run_ttl_ms = duration_flag("dedup-ttl", run_ttl);
  rc.consumer.dry_run = dry_run;
  rc.consumer.batch = batch;
  rc.consumer.max_deliver = max_deliver;
  rc.consumer.backoff_ms = backoff_flag(nak_backoff);
  rc.consumer.replica = replica;
  rc.durable = durable;
  rc.workers = workers;
  rc.lease_ms = ack_wait_ms;
  rc.rate_global = rate_global;
  rc.rate_namespace = rate_ns;
  const responder::Responder::EngineSource engine = [&store] { return store.current(); };
  auto created = responder::Responder::create((*conn)->get(), engine, &metrics, rc);
  if (!created) die(created.error());
  std::unique_ptr<responder::Responder> alerts = std::move(*created);
  // After the streams exist: the probe needs JetStream to answer for the alert subjects.
  if (!allow_open_bus) {
    if (Status st = responder::check_bus_closed_to_anonymous(no); !st.ok()) die(st.error());
  }

  responder::AlertIngest ingest((*conn)->get(), &metrics);
  auto make_bridge =
      [&](nats::Connection* c) -> Result<std::unique_ptr<responder::FalcosidekickBridge>> {
    auto b = std::make_unique<responder::FalcosidekickBridge>(c, c, &ingest);
    if (Status st = b->start(falco_subjects); !st.ok())
      return Error{"falcosidekick input: " + st.error()};
    return b;
  };
  std::unique_ptr<responder::FalcosidekickBridge> bridge;
  if (falcosidekick) {
    auto b = make_bridge((*conn)->get());
    if (!b) die(b.error());
    bridge = std::move(*b);
  }
  std::unique_ptr<responder::HttpIngest> http;
  if (!http_addr.empty()) {
    responder::HttpIngestOptions ho;
    std::tie(ho.host, ho.port) = host_port("http-addr", http_addr);
    // The file is followed (a rotated Secret takes effect without a restart).
    const char* env_token = std::getenv("RIPOSTE_HTTP_TOKEN");
    ho.token_file = http_token_file;
    if (http_token_file.empty()) ho.token = env_token ? env_token : "";
    if (ho.token.empty() && ho.token_file.empty())
      die("--http-addr needs --http-token-file (or $RIPOSTE_HTTP_TOKEN)");
    ho.workers = http_workers;
    ho.queue = http_queue;
    ho.max_body_bytes = static_cast<size_t>(http_max_body);
    ho.tls_cert_file = http_tls_cert;
    ho.tls_key_file = http_tls_key;
    http = std::make_unique<responder::HttpIngest>(ho, &ingest, &metrics);
    if (Status st = http->start(); !st.ok()) die(st.error());
  }

  ui::WebUiConfig uc;
  auto make_ui = [&](nats::Connection* c) { return ui::WebUi::create(c, kube_client->get(), &guardrails, uc); };
  std::unique_ptr<ui::WebUi> web_ui;
  if (!ui_addr.empty()) {
    std::tie(uc.http.host, uc.http.port) = host_port("ui-addr", ui_addr);
    uc.http.tls_cert_file = ui_tls_cert;
    uc.http.tls_key_file = ui_tls_key;
    uc.password_file = ui_password_file;
    uc.bucket_replicas = stream_replicas;
    uc.dry_run = dry_run;
    uc.replica = replica;
    auto made = make_ui((*conn)->get());
    if (!made) die("--ui-addr: " + made.error());
    web_ui = std::move(*made);
  }

  nats::RotatingConnection* nc = conn->get();
  auto ops_or = start_ops_server(ops_addr, registry, [nc, &store, &crds] {
    const bool loaded = store.current() != nullptr;
    const bool up = nc->get()->connected();
    std::vector<ReadyCheck> checks{{"playbooks", loaded, loaded ? "" : "no playbooks loaded"},
                                   {"nats", up, up ? "" : "not connected"}};
    if (crds) checks.push_back({"playbook objects", crds->synced(), crds->synced() ? "" : "not listed yet"});
    return checks;
  });
  if (!ops_or) die("--ops-addr: " + ops_or.error());
  std::unique_ptr<OpsServer> ops = std::move(*ops_or);
  if (reload_ms > 0) store.watch(static_cast<int>(reload_ms));

  signal(SIGINT, [](int) { g_stop = true; });
  signal(SIGTERM, [](int) { g_stop = true; });
  alerts->start();
  // A rotated NATS password (its file changed): everything on the bus moves to a connection
  // made with the new one. The new consumers start before the old ones stop (the run ledger
  // keeps the two from acting twice), so no alert waits for the switch.
  nc->follow([&](nats::Connection* next) -> Status {
    auto fresh = responder::Responder::create(next, engine, &metrics, rc);
    if (!fresh) return fresh.err();
    std::unique_ptr<responder::FalcosidekickBridge> next_bridge;
    if (falcosidekick) {
      auto b = make_bridge(next);
      if (!b) return b.err();
      next_bridge = std::move(*b);
    }
    (*fresh)->start();
    node_agent.bind(next);
    ingest.rebind(next);
    alerts->stop();
    alerts = std::move(*fresh);
    if (bridge) bridge->stop();
    bridge = std::move(next_bridge);
    if (web_ui) {
      // Its port is taken until the old one stops; it re-reads the streams on the new one.
      web_ui->stop();
      web_ui.reset();
      auto made = make_ui(next);
      if (!made) {
        log::error("the web UI could not move to the new NATS connection", {{"error", made.error()}});
      } else {
        web_ui = std::move(*made);
      }
    }
    return {};
  });
  log::info("responder running", {{"playbooks", store.current()->playbooks().size()},
                                  {"nats", no.url},
                                  {"durable", durable},
                                  {"workers", workers},
                                  {"replica", replica},
                                  {"dry_run", dry_run},
                                  {"http_port", http ? http->port() : 0},
                                  {"ui_port", web_ui ? web_ui->port() : 0},
                                  {"ops_port", ops ? ops->port() : 0}});
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  nc->stop_following();  // no rebind from here on
  if (web_ui) web_ui->stop();
  alerts->stop();
  store.stop();
  if (crds) crds->stop();
  if (http) http->stop();
  if (bridge) bridge->stop();
  log::info("responder stopped");
  return 0;
}
