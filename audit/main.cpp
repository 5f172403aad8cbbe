// riposte-audit: wiring only. The webhook (receiver.h), the parser (event_list.h) and the
// evaluation (evaluator.h) live in riposte_audit.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "audit/audit_metrics.h"
#include "audit/evaluator.h"
#include "audit/receiver.h"
#include "common/alert.h"
#include "common/daemon_flags.h"
#include "common/log.h"
#include "detector/output/async_sink.h"
#include "detector/output/nats_sink.h"
#include "detector/output/stream_sink.h"
#include "detector/rules/ruleset.h"

using namespace riposte;

namespace {

volatile std::sig_atomic_t g_stop = 0;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "riposte-audit: %s\n", msg.c_str());
  std::exit(1);
}

std::string host_name() {
  char buf[256] = {0};
  return gethostname(buf, sizeof buf - 1) == 0 ? buf : "riposte-audit";
}

struct Config {
  std::vector<std::string> rule_files;
  std::string rule_matching = "all";
  nats::Options nats;
  LogFlags log;
  audit::ReceiverOptions receiver;
  std::string hostname = host_name();
  std::string cluster_name;
  std::string ops_addr = "0.0.0.0:8767";
  int queue_events = 100000, alert_queue = 10000;
  int64_t max_body_bytes = 64 << 20, max_event_bytes = 4 << 20;
  std::string field_validation = "Warn";
};

Config parse_flags(int argc, char** argv) {
  Config c;
  c.nats.url.clear();  // no --nats: alerts go to stdout as JSON lines
  Flags f(
      "riposte-audit",
      "Receives the Kubernetes API server's audit events on an HTTPS webhook (batches of "
      "audit.k8s.io/v1 EventList, mutual TLS: the API server's client certificate must be "
      "signed by --client-ca), evaluates Falco's k8s_audit rules on them and publishes the "
      "alerts in Falco's JSON (source k8s_audit) to the JetStream stream RIPOSTE_ALERTS, as "
      "riposte-detector does for syscalls. Without --nats, alerts are printed as JSON lines.",
      "riposte-audit --rules FILE --tls-cert FILE --tls-key FILE --client-ca FILE [--nats URL]");
  f.add_list("rules", &c.rule_files, "FILE",
             "rules file (k8s_audit rules; syscall rules in it are never matched); repeat to load "
             "several, in order");
  f.add_string("rule-matching", &c.rule_matching, "all|first",
               "per event, report every matching rule (the default: Falco's audit rules overlap, "
               "e.g. Disallowed K8s User with every other) or the first");
  f.add_string("host", &c.receiver.host, "ADDR", "address the webhook listens on");
  f.add_int("port", &c.receiver.port, "PORT", "port the webhook listens on (0: any free port)");
  f.add_string("path", &c.receiver.path, "PATH", "URL path the API server posts to");
  f.add_string("tls-cert", &c.receiver.cert_file, "FILE",
               "the webhook's serving certificate (PEM, with its chain)");
  f.add_string("tls-key", &c.receiver.key_file, "FILE", "its private key");
  f.add_string("client-ca", &c.receiver.client_ca_file, "FILE",
               "CA that signs the API server's client certificate; others are refused");
  f.add_list("allowed-client", &c.receiver.allowed_clients, "NAME",
             "a client certificate must carry this common name or DNS name (repeat; default: any "
             "the CA signed)");
  f.add_int("max-body-bytes", &c.max_body_bytes, "BYTES",
            "largest request body accepted (413 above)");
  f.add_int("max-event-bytes", &c.max_event_bytes, "BYTES",
            "an event larger than this is skipped and counted");
  f.add_string("field-validation", &c.field_validation, "Ignore|Warn|Strict",
               "an event member that is not in audit.k8s.io/v1 Event, as kube-apiserver's own "
               "fieldValidation: Warn (the default) keeps the event, counts the member and logs "
               "its name once; Strict skips the event (reason unknown_field, counted, in the "
               "answer); Ignore keeps and counts");
  f.add_int("queue-events", &c.queue_events, "N",
            "events waiting for evaluation at most; a batch that does not fit is refused with 429 "
            "(the API server retries)");
  f.add_int("alert-queue", &c.alert_queue, "N",
            "alerts queued for publishing before new ones are dropped (and counted)");
  f.add_string("hostname", &c.hostname, "NAME", "hostname in the alerts");
  f.add_string("cluster-name", &c.cluster_name, "NAME", "value of ka.cluster.name");
  add_nats_flags(f, &c.nats);
  f.add_string("ops-addr", &c.ops_addr, "HOST:PORT",
               "serve /livez, /readyz and /metrics here (port 0: any free port; empty: off)");
  add_log_flags(f, &c.log);
  auto parsed = f.parse(argc, argv);
  if (!parsed) die(parsed.error());
  if (!*parsed) {
    std::fputs(f.help().c_str(), stdout);
    std::exit(0);
  }
  if (c.rule_files.empty()) die("--rules is required (e.g. Falco's k8s_audit_rules.yaml)");
  if (c.receiver.cert_file.empty() || c.receiver.key_file.empty() ||
      c.receiver.client_ca_file.empty())
    die("--tls-cert, --tls-key and --client-ca are required: the webhook only speaks mutual TLS");
  if (c.rule_matching != "first" && c.rule_matching != "all")
    die("--rule-matching is all or first");
  if (c.queue_events <= 0 || c.alert_queue <= 0 || c.max_body_bytes <= 0 || c.max_event_bytes <= 0)
    die("queue sizes and byte limits must be positive");
  c.receiver.max_body_bytes = static_cast<size_t>(c.max_body_bytes);
  c.receiver.limits.max_event_bytes = static_cast<size_t>(c.max_event_bytes);
  if (!audit::parse_field_validation(c.field_validation, &c.receiver.limits.unknown_members))
    die("--field-validation is Ignore, Warn or Strict, not " + c.field_validation);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg = parse_flags(argc, argv);
  if (Status st = apply_log_flags(cfg.log); !st.ok()) die(st.error());

  detector::rules::LoadOptions lo;
  lo.rule_matching = cfg.rule_matching == "all" ? detector::rules::RuleMatching::kAll
                                                : detector::rules::RuleMatching::kFirst;
  lo.hostname = cfg.hostname;
  auto loaded = detector::rules::load_rules(cfg.rule_files, lo);
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
  if (!loaded.ok()) die("rules have errors (see above)");
  const detector::rules::Ruleset& ruleset = *loaded.ruleset;
  size_t audit_rules = 0;
  for (const auto* r : ruleset.enabled_rules()) audit_rules += r->source == "k8s_audit";
  if (audit_rules == 0) die("no enabled rule has source k8s_audit");

  Registry registry;
  audit::AuditMetrics metrics(registry);
  std::unique_ptr<nats::Connection> conn;
  std::unique_ptr<detector::AlertSink> out;
  if (!cfg.nats.url.empty()) {
    nats::Options o = cfg.nats;
    o.name = "riposte-audit@" + cfg.hostname;
    // The shipped NATS config lets riposte-audit subscribe to its own replies only.
    if (o.inbox_prefix.empty()) o.inbox_prefix = kAuditInboxPrefix;
    auto c = nats::Connection::connect(o);
    if (!c) die("NATS: " + c.error());
    conn = std::move(*c);
    out = std::make_unique<detector::NatsSink>(conn.get());
  } else {
    out = std::make_unique<detector::StreamSink>(stdout, detector::LineFormat::kJson);
  }
  detector::AsyncSink publisher(out.get(), static_cast<size_t>(cfg.alert_queue));
  registry
      .gauge("riposte_audit_alerts_dropped", "Alerts dropped because the publish queue was full")
      .set_function([&publisher] { return static_cast<double>(publisher.dropped()); });
  registry.gauge("riposte_audit_alerts_published", "Alerts handed to the output")
      .set_function([&publisher] { return static_cast<double>(publisher.published()); });

  audit::Evaluator evaluator(ruleset, &publisher, cfg.hostname,
                             static_cast<size_t>(cfg.queue_events), &metrics);
  audit::Receiver receiver(cfg.receiver, &evaluator, &metrics);
  if (Status st = receiver.start(); !st.ok()) die("webhook: " + st.error());

  auto ops_or = start_ops_server(cfg.ops_addr, registry, [&] {
    std::vector<ReadyCheck> checks{{"webhook", receiver.port() > 0, ""},
                                   {"rules", true, std::to_string(audit_rules) + " rules"}};
    if (conn)
      checks.push_back({"nats", conn->connected(), conn->connected() ? "" : "not connected"});
    return checks;
  });
  if (!ops_or) die("--ops-addr: " + ops_or.error());
  std::unique_ptr<OpsServer> ops = std::move(*ops_or);

  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  log::info("audit webhook running", {{"port", receiver.port()},
                                      {"path", cfg.receiver.path},
                                      {"rules", audit_rules},
                                      {"output", cfg.nats.url.empty() ? "stdout" : cfg.nats.url},
                                      {"ops_port", ops ? ops->port() : 0}});
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  receiver.stop();
  evaluator.drain(5000);
  publisher.drain(5000);
  log::info("audit webhook stopped",
            {{"published", publisher.published()}, {"dropped", publisher.dropped()}});
  return 0;
}
