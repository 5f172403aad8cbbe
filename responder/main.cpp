// riposte-responder: consumes alerts from NATS JetStream, matches them to playbooks and acts
// through the Kubernetes API. Logic lives in riposte_responder; this file wires it.
#include <signal.h>

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
#include "responder/alert_consumer.h"
#include "responder/playbook/engine.h"
#include "responder/playbook/playbook.h"

namespace {

std::atomic<bool> g_stop{false};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "riposte-responder: %s\n", msg.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace riposte;
  std::vector<std::string> playbook_paths, protected_ns;
  std::string nats_url = "nats://127.0.0.1:4222", nats_user, nats_password, nats_token,
              nats_creds, nats_ca;
  std::string kubeconfig, durable = responder::kDefaultDurable, log_level = "info";
  std::string ops_addr = "0.0.0.0:8766", own_namespace = "riposte";
  bool dry_run = false, log_json = false;
  int stream_replicas = 1, batch = 64, max_deliver = 5;

  Flags f("riposte-responder",
          "Consumes Falco-format alerts from the NATS JetStream stream RIPOSTE_ALERTS through a "
          "durable pull consumer shared by every replica, matches them to YAML playbooks and "
          "runs their actions through the Kubernetes API. A message is acknowledged only once "
          "its playbooks have run; failures are redelivered with back-off, and messages that "
          "are not valid alerts go to riposte.deadletter.alerts with the reason. Protected "
          "namespaces (kube-system, kube-public, kube-node-lease and riposte's own) are never "
          "acted on.",
          "riposte-responder --playbooks DIR|FILE [--nats URL] [--dry-run]");
  f.add_list("playbooks", &playbook_paths, "PATH", "playbook file or directory of *.yaml; repeatable");
  f.add_string("nats", &nats_url, "URL", "NATS server URL");
  f.add_string("nats-user", &nats_user, "USER", "NATS user (with --nats-password)");
  f.add_string("nats-password", &nats_password, "PASS", "NATS password");
  f.add_string("nats-token", &nats_token, "TOKEN", "NATS token");
  f.add_string("nats-creds", &nats_creds, "FILE", "NATS credentials file (JWT + nkey seed)");
  f.add_string("nats-ca", &nats_ca, "FILE", "CA bundle to verify the NATS server's TLS certificate");
  f.add_int("stream-replicas", &stream_replicas, "N", "replicas of the RIPOSTE_ALERTS stream when it is created");
  f.add_string("durable", &durable, "NAME", "durable consumer name; replicas sharing it split the alerts");
  f.add_int("batch", &batch, "N", "alerts fetched per pull");
  f.add_int("max-deliver", &max_deliver, "N", "deliveries of an alert whose playbooks fail before giving up");
  f.add_string("kubeconfig", &kubeconfig, "FILE", "kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  f.add_bool("dry-run", &dry_run, "run every playbook in dry-run: log the exact requests, send none");
  f.add_string("own-namespace", &own_namespace, "NS", "the namespace riposte runs in (protected)");
  f.add_list("protected-namespace", &protected_ns, "NS", "another namespace never to act in; repeatable");
  f.add_string("ops-addr", &ops_addr, "HOST:PORT", "serve /livez, /readyz and /metrics here (port 0: any free port; empty: off)");
  f.add_string("log-level", &log_level, "LEVEL", "debug, info, warn or error");
  f.add_bool("log-json", &log_json, "write logs as JSON lines");
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
  if (playbook_paths.empty()) die("no playbooks: give at least one --playbooks PATH (see --help)");

  std::vector<playbook::Playbook> playbooks;
  for (const auto& path : playbook_paths) {
    auto loaded = playbook::load_playbooks(path);
    if (!loaded.ok()) {
      std::fputs(loaded.error_text().c_str(), stderr);
      die("playbooks have errors (see above)");
    }
    for (auto& pb : loaded.playbooks) playbooks.push_back(std::move(pb));
  }

  auto cfg = kube::load_config(kubeconfig);
  if (!cfg) die("Kubernetes config: " + cfg.error());
  auto kube_client = kube::HttpKubeClient::create(*cfg);
  if (!kube_client) die("Kubernetes client: " + kube_client.error());

  actions::Guardrails guardrails;
  guardrails.protected_namespaces = actions::default_protected_namespaces(own_namespace);
  for (const auto& ns : protected_ns) guardrails.protected_namespaces.insert(ns);
  const size_t playbook_count = playbooks.size();
  playbook::Engine engine(std::move(playbooks), **kube_client, guardrails);

  nats::Options o;
  o.url = nats_url;
  o.name = "riposte-responder";
  o.user = nats_user;
  o.password = nats_password;
  o.token = nats_token;
  o.creds_file = nats_creds;
  o.ca_file = nats_ca;
  auto conn = nats::Connection::connect(o);
  if (!conn) die("NATS: " + conn.error());
  nats::StreamConfig sc;
  sc.name = kAlertStream;
  sc.subjects = {kAlertSubjects};
  sc.replicas = stream_replicas;
  if (Status st = (*conn)->ensure_stream(sc); !st.ok()) die("NATS stream: " + st.error());
  nats::ConsumerConfig cc;
  cc.stream = kAlertStream;
  cc.durable = durable;
  cc.filter_subject = kAlertSubjects;
  cc.max_deliver = max_deliver;
  auto pull = (*conn)->pull_consumer(cc);
  if (!pull) die("NATS consumer: " + pull.error());

  Registry registry;
  registry.gauge("riposte_responder_playbooks_loaded", "Playbooks loaded")
      .set(static_cast<double>(playbook_count));
  responder::ConsumerOptions copts;
  copts.dry_run = dry_run;
  copts.batch = batch;
  copts.max_deliver = max_deliver;
  responder::AlertConsumer consumer(conn->get(), pull->get(), &engine, &registry, copts);

  std::unique_ptr<OpsServer> ops;
  if (!ops_addr.empty()) {
    auto colon = ops_addr.rfind(':');
    if (colon == std::string::npos) die("--ops-addr must be HOST:PORT");
    nats::Connection* nc = conn->get();
    ops = std::make_unique<OpsServer>(
        ops_addr.substr(0, colon), std::atoi(ops_addr.c_str() + colon + 1), registry, [nc] {
          return std::vector<ReadyCheck>{
              {"playbooks", true, ""},
              {"nats", nc->connected(), nc->connected() ? "" : "not connected"}};
        });
    if (Status st = ops->start(); !st.ok()) die("ops server: " + st.error());
  }

  signal(SIGINT, [](int) { g_stop = true; });
  signal(SIGTERM, [](int) { g_stop = true; });
  log::info("responder running", {{"playbooks", playbook_count},
                                  {"nats", nats_url},
                                  {"durable", durable},
                                  {"dry_run", dry_run},
                                  {"ops_port", ops ? ops->port() : 0}});
  consumer.run(&g_stop);
  log::info("responder stopped");
  return 0;
}
