// riposte-detector: wires the eBPF sensor, process/fd/container/pod state, the rules engine
// and the alert outputs together. Logic lives in riposte_detector; this file only parses
// flags and connects the parts.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
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
#include "detector/container/kube_pod_watcher.h"
#include "detector/detector.h"
#include "detector/enforce/exec_hold.h"
#include "detector/enforce/playbook_enforce.h"
#include "detector/node_agent/linux_node_host.h"
#include "detector/node_agent/nats_endpoint.h"
#include "detector/node_agent/node_agent.h"
#include "detector/output/async_sink.h"
#include "detector/output/fan_out_sink.h"
#include "detector/output/nats_sink.h"
#include "detector/output/stream_sink.h"
#include "detector/rules/ruleset.h"
#include "detector/rules_reload.h"
#include "detector/sensor/bpf_source.h"
#include "detector/sensor/syscall_table.h"
#include "responder/crd/crd_playbook_source.h"

namespace {

using namespace riposte;

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

int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// NATS is opt-in for the detector: without --nats it prints alerts.
nats::Options no_nats() {
  nats::Options o;
  o.url.clear();
  return o;
}

struct Config {
  std::vector<std::string> rule_files;
  std::string rule_matching = "first";
  nats::Options nats = no_nats();  // no --nats: alerts go to stdout
  LogFlags log;
  std::string node_name = default_node_name();
  std::string kubeconfig, output_file, output_file_format = "json";
  std::string ops_addr = "0.0.0.0:8765";
  std::string syscall_hook = "auto";
  bool json = false, no_kube = false, no_proc_scan = false;
  int ring_mb = 8, wakeup_kb = 256, tick_ms = 10, queue_capacity = 10000;
  int duration_s = 0, max_processes = 65536, max_pods = 4096;
  std::vector<std::string> enforce;
  std::vector<std::string> playbooks;
  bool playbook_objects = false;
  int hold_deadline_ms = 50;
  std::vector<std::string> enforce_namespaces;
  bool enforce_host = false;
  std::string hold_timeout = "resume";
  std::string kernel_decision = "on";
  bool node_actions = false;
  int node_action_rate = 20;
  std::vector<std::string> node_action_protected = {"kube-system", "kube-public",
                                                    "kube-node-lease"};
};

Config parse_flags(int argc, char** argv) {
  Config c;
  Flags f("riposte-detector",
          "Watches syscalls with CO-RE eBPF (exec, fork/exit and the syscalls the loaded rules "
          "can match), keeps process, fd, container and pod context, evaluates rules written in "
          "Falco's rules language and publishes alerts in Falco's format. Without --nats, alerts "
          "are printed to stdout (Falco's text line, or JSON lines with --json). With --nats, "
          "they are published to the JetStream stream RIPOSTE_ALERTS on "
          "riposte.alerts.<priority>.<rule_slug>. Needs root (or CAP_BPF + CAP_PERFMON + "
          "CAP_SYS_RESOURCE + CAP_SYS_PTRACE) and a kernel with BTF.",
          "riposte-detector --rules FILE [--rules FILE ...] [--nats URL] [--json]");
  f.add_list("rules", &c.rule_files, "FILE",
             "Falco rules file; repeat to load several, in order. Reloaded when one changes: "
             "all together, and a set with any error is refused (the last good set stays)");
  f.add_string("rule-matching", &c.rule_matching, "first|all", "per event, report the first matching rule (Falco's default) or all of them");
  add_nats_flags(f, &c.nats);
  f.add_bool("json", &c.json, "print alerts as JSON lines instead of Falco's text line");
  f.add_string("output-file", &c.output_file, "FILE", "also append alerts to FILE, one per line");
  f.add_string("output-file-format", &c.output_file_format, "json|text|output",
               "lines of --output-file: Falco's JSON, Falco's text line, or the rule's output "
               "alone (e.g. a rule whose output is CSV)");
  f.add_string("node-name", &c.node_name, "NAME", "this node's name: alert hostname and the pods watched (default $RIPOSTE_NODE_NAME or the hostname)");
  f.add_string("kubeconfig", &c.kubeconfig, "FILE", "kubeconfig for the pod watch (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  f.add_bool("no-kube", &c.no_kube, "do not watch pods in the Kubernetes API (k8s.* fields stay empty)");
  f.add_int("max-pods", &c.max_pods, "N", "pods kept in the pod cache");
  f.add_int("ring-buffer-mb", &c.ring_mb, "MB", "size of the kernel ring buffer (a power of two)");
  f.add_int("wakeup-kb", &c.wakeup_kb, "KB", "buffered syscall records that wake the reader before its next tick");
  f.add_int("tick-ms", &c.tick_ms, "MS", "longest a buffered syscall record waits to be read");
  f.add_string("syscall-hook", &c.syscall_hook, "auto|fexit|tracepoint", "how syscalls are taken: fexit on each syscall of interest (no cost to the others), tp_btf/sys_exit, or fexit with the tracepoint as fallback");
  f.add_int("max-processes", &c.max_processes, "N", "processes kept in the thread table");
  f.add_bool("no-proc-scan", &c.no_proc_scan, "do not read /proc at start (processes that started earlier are read when first seen)");
  f.add_int("queue-capacity", &c.queue_capacity, "N", "alerts queued for publishing before new ones are dropped (and counted)");
  f.add_string("ops-addr", &c.ops_addr, "HOST:PORT", "serve /livez, /readyz and /metrics here (port 0: any free port; empty: off)");
  f.add_list("enforce", &c.enforce, "RULE",
             "stop processes with this rule before they run (repeat for several): execs that may "
             "match it are held in the kernel until the rule is evaluated, then killed or resumed");
  f.add_list("playbooks", &c.playbooks, "PATH",
             "playbook file or directory (repeat), polled for changes: the exec rules of a "
             "playbook with `enforce` are enforced within its guardrails (as --enforce)");
  f.add_bool("playbook-objects", &c.playbook_objects,
             "also take enforcing playbooks from Playbook and ClusterPlaybook objects (watched)");
  f.add_list(
      "enforce-namespace", &c.enforce_namespaces, "GLOB",
      "kill --enforce matches only in pods of these namespaces (repeat; default: any namespace)");
  f.add_bool(
      "enforce-host", &c.enforce_host,
      "also kill --enforce matches outside containers (default: host processes are never killed)");
  f.add_int("hold-deadline-ms", &c.hold_deadline_ms, "MS",
            "longest an exec is held undecided (then --hold-timeout applies)");
  f.add_string("hold-timeout", &c.hold_timeout, "resume|kill",
               "what happens to an exec held past the deadline or when the detector dies: resume "
               "it (fail-open, the default) or kill it (fail-closed)");
  f.add_string("kernel-decision", &c.kernel_decision, "on|off",
               "kill in the kernel at exec, with no round trip, for enforcing rules the kernel "
               "can decide exactly on its own (see riposte rules explain); off: every enforcing "
               "rule is hold-and-decide");
  f.add_bool("node-actions", &c.node_actions,
             "serve the responder's node actions (process.kill, container.kill/freeze/thaw, "
             "forensics.capture) on riposte.node.<node>.action; needs --nats");
  f.add_int("node-action-rate", &c.node_action_rate, "N",
            "node actions acted on per second at most (refused beyond)");
  f.add_list("node-action-protected-namespace", &c.node_action_protected, "NS",
             "never act on containers of pods in NS (repeat; default kube-system, kube-public, "
             "kube-node-lease, plus $POD_NAMESPACE, the detector's own)");
  add_log_flags(f, &c.log);
  f.add_int("duration", &c.duration_s, "SECONDS", "exit after this many seconds (0: run until SIGINT/SIGTERM)");
  auto parsed = f.parse(argc, argv);
  if (!parsed) die(parsed.error());
  if (!*parsed) {
    std::fputs(f.help().c_str(), stdout);
    std::exit(0);
  }
  if (c.rule_files.empty()) die("no rules: give at least one --rules FILE (see --help)");
  if (c.rule_matching != "first" && c.rule_matching != "all") die("--rule-matching is first or all");
  if (c.syscall_hook != "auto" && c.syscall_hook != "fexit" && c.syscall_hook != "tracepoint") {
    die("--syscall-hook is auto, fexit or tracepoint");
  }
  if (c.ring_mb <= 0 || c.ring_mb > 1024) die("--ring-buffer-mb must be 1..1024");
  if (c.hold_timeout != "resume" && c.hold_timeout != "kill")
    die("--hold-timeout is resume or kill");
  if (c.hold_deadline_ms <= 0) die("--hold-deadline-ms must be positive");
  if (c.kernel_decision != "on" && c.kernel_decision != "off")
    die("--kernel-decision is on or off");
  if (c.node_actions && c.nats.url.empty()) die("--node-actions needs --nats");
  if (c.playbook_objects && c.no_kube) die("--playbook-objects needs the Kubernetes API");
  if (c.node_action_rate <= 0) die("--node-action-rate must be positive");
  return c;
}

std::unique_ptr<nats::RotatingConnection> connect_nats(const Config& c) {
  nats::Options o = c.nats;
  o.name = "riposte-detector@" + c.node_name;
  // The shipped NATS config lets the detector subscribe to its own replies only.
  if (o.inbox_prefix.empty()) o.inbox_prefix = kDetectorInboxPrefix;
  auto conn = nats::RotatingConnection::connect(o);
  if (!conn) die("NATS: " + conn.error());
  // No stream management here: the detector's NATS user may only publish alerts. The
  // responder creates RIPOSTE_ALERTS; until it exists publishes fail and are retried.
  return std::move(*conn);
}

// Kernel-side counters are read, not pushed: turn their growth into counter increments.
class KernelCounters {
 public:
  KernelCounters(Registry* r, const detector::EventSource* source)
      : source_(source),
        drops_(&r->counter("riposte_detector_kernel_dropped_records_total",
                           "Kernel records lost because the ring buffer was full")),
        records_(&r->counter("riposte_detector_kernel_records_total", "Kernel records read")),
        malformed_(&r->counter("riposte_detector_kernel_malformed_records_total",
                               "Kernel records that could not be decoded")) {}
  void sync() {
    sync_one(source_->kernel_drops(), &last_drops_, drops_);
    sync_one(source_->records(), &last_records_, records_);
    sync_one(source_->malformed(), &last_malformed_, malformed_);
  }

 private:
  static void sync_one(uint64_t now, uint64_t* last, Counter* c) {
    if (now > *last) c->inc(static_cast<double>(now - *last));
    *last = now;
  }
  const detector::EventSource* source_;
  Counter *drops_, *records_, *malformed_;
  uint64_t last_drops_ = 0, last_records_ = 0, last_malformed_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Config cfg = parse_flags(argc, argv);
  if (Status st = apply_log_flags(cfg.log); !st.ok()) die(st.error());

  // Rules first: a typo in a rules file should fail before anything is loaded in the kernel.
  detector::rules::LoadOptions load_opts;
  load_opts.rule_matching = cfg.rule_matching == "all" ? detector::rules::RuleMatching::kAll
                                                       : detector::rules::RuleMatching::kFirst;
  load_opts.hostname = cfg.node_name;
  load_opts.warn_unfilled_fields = true;
  auto loaded = detector::rules::load_rules(cfg.rule_files, load_opts);
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
  if (!loaded.ok()) die("rules have errors (see above)");
  Registry registry;
  // The files are watched from here on: a changed set that loads replaces this one (the
  // event path, metrics, readiness); the exec hold keeps the rules of the start.
  detector::RulesReloader rules_files(cfg.rule_files, load_opts, std::move(loaded.ruleset),
                                      &registry);
  const detector::rules::Ruleset& ruleset = rules_files.current();
  auto hold_plan =
      detector::plan_exec_hold(ruleset, cfg.enforce, cfg.enforce_namespaces, cfg.enforce_host);
  if (!hold_plan) die(hold_plan.error());
  const detector::HoldPlan cli_plan = *hold_plan;  // playbooks add to it
  // Enforcing playbooks may come and go: the hold is loaded whenever they are read.
  const bool playbook_enforce = !cfg.playbooks.empty() || cfg.playbook_objects;
  if (playbook_enforce) hold_plan->kernel.enabled = true;
  if (!cfg.playbooks.empty()) {
    auto pbs = detector::load_playbook_files(cfg.playbooks);
    if (!pbs.ok()) die("--playbooks have errors:\n" + pbs.error_text());
  }
  detector::PlaybookEnforcement enforcement(cfg.playbooks);

  std::unique_ptr<nats::RotatingConnection> nats_conn;
  detector::NatsSink* nats_sink = nullptr;
  detector::FanOutSink fan_out;
  if (!cfg.nats.url.empty()) {
    nats_conn = connect_nats(cfg);
    auto sink = std::make_unique<detector::NatsSink>(nats_conn->get());
    nats_sink = sink.get();
    fan_out.add(std::move(sink));
  } else {
    fan_out.add(std::make_unique<detector::StreamSink>(
        stdout, cfg.json ? detector::LineFormat::kJson : detector::LineFormat::kFalcoText));
  }
  if (!cfg.output_file.empty()) {
    auto format = detector::parse_line_format(cfg.output_file_format);
    if (!format) die("--output-file-format: " + format.error());
    auto file = detector::StreamSink::append_to(cfg.output_file, *format);
    if (!file) die("--output-file: " + file.error());
    fan_out.add(std::move(*file));
  }
  detector::AsyncSink queue(&fan_out, static_cast<size_t>(cfg.queue_capacity));

  // The pod watch starts now, so the node's pods are known by the time processes run.
  std::unique_ptr<kube::KubeClient> kube_client;
  std::unique_ptr<detector::KubePodWatcher> pods;
  if (!cfg.no_kube) {
    auto kc = kube::load_config(cfg.kubeconfig);
    if (!kc) die("Kubernetes config: " + kc.error() + " (or run with --no-kube)");
    kube::HttpClientOptions ho;
    ho.user_agent = "riposte-detector";
    ho.max_attempts = 2;  // a miss list runs on the event thread: fail fast, the watch retries
    ho.read_timeout = std::chrono::seconds(5);
    auto client = kube::HttpKubeClient::create(*kc, ho);
    if (!client) die("Kubernetes client: " + client.error());
    kube_client = std::move(*client);
    detector::PodWatcherOptions po;
    po.node_name = cfg.node_name;
    po.max_pods = static_cast<size_t>(cfg.max_pods);
    pods = std::make_unique<detector::KubePodWatcher>(kube_client.get(), po);
    pods->start();
  }

  const int64_t boot_to_wall = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
  detector::ContainerResolver containers(pods.get());
  detector::UserResolver users;
  detector::ProcessEnricher enricher(&containers, &users, boot_to_wall);
  detector::ProcReader reader("/proc", boot_to_wall);
  detector::ProcessTable procs(static_cast<size_t>(cfg.max_processes), &reader,
                               [&enricher](detector::ProcessInfo* p, const detector::ProcSnapshot& s) {
                                 enricher.apply(p, s);
                               });
  detector::Detector det(&ruleset, &enricher, &procs, &reader, &queue, &registry, cfg.node_name,
                         boot_to_wall);

  detector::BpfSourceOptions so;
  so.ring_bytes = static_cast<uint32_t>(cfg.ring_mb) << 20;
  so.wakeup_bytes = static_cast<uint32_t>(std::max(cfg.wakeup_kb, 1)) << 10;
  so.tick_ms = cfg.tick_ms;
  detector::select_syscalls(ruleset, &so);
  reader.set_read_env(so.env);
  so.syscall_hook = cfg.syscall_hook == "fexit"        ? detector::SyscallHook::kFexit
                    : cfg.syscall_hook == "tracepoint" ? detector::SyscallHook::kTracepoint
                                                       : detector::SyscallHook::kAuto;
  so.hold = hold_plan->kernel;
  detector::BpfSource source(so);
  if (Status st = source.start(&det); !st.ok()) die(st.error());
  // Destroyed before the source: resumes what is still held while the map exists.
  detector::HoldOptions hold_opts;
  hold_opts.deadline = std::chrono::milliseconds(cfg.hold_deadline_ms);
  hold_opts.kill_on_timeout = cfg.hold_timeout == "kill";
  // Playbooks' kills spare the namespaces node actions spare.
  hold_opts.protected_namespaces.insert(cfg.node_action_protected.begin(),
                                        cfg.node_action_protected.end());
  if (const char* own = std::getenv("POD_NAMESPACE"); own && *own)
    hold_opts.protected_namespaces.insert(own);
  detector::ExecHold hold(*hold_plan, hold_opts, &registry);
  const bool holding = hold_plan->kernel.enabled;
  const auto hold_alive = [&source] {
    source.hold_alive_until(static_cast<uint64_t>(clock_ns(CLOCK_BOOTTIME)) + 1000000000ull);
  };
  Counter& enforce_reloads = registry.counter(
      "riposte_detector_enforce_reloads_total",
      "Times the enforcing rules changed since start (playbooks added, changed or removed)");
  registry.gauge("riposte_detector_enforcing_rules", "Rules whose matching execs are stopped")
      .set_function([&hold] { return static_cast<double>(hold.rules().size()); });
  std::unique_ptr<detector::KernelDecision> kernel_decision;
  if (holding && cfg.kernel_decision == "on") {
    kernel_decision = std::make_unique<detector::KernelDecision>(
        source.kernel_decision_maps(), [&source](uint32_t n) { source.set_kernel_rule_count(n); },
        &registry);
  }
  const auto install_kernel_rules = [&] {
    if (!kernel_decision) return;
    if (Status st = kernel_decision->install(hold.plan()); !st.ok()) {
      log::error("in-kernel decision not installed (the hold path decides)",
                 {{"error", st.error()}});
      return;
    }
    log::info("in-kernel decision", {{"kernel_rules", kernel_decision->rule_names()}});
  };
  // Applies the playbooks in force when they changed: the rules they enforce join --enforce's.
  const auto reload_enforcing = [&] {
    auto playbooks = enforcement.poll();
    if (!playbooks) return;
    detector::HoldPlan plan = cli_plan;
    std::vector<std::string> unmatched;
    detector::add_playbook_enforcers(ruleset, *playbooks, &plan, &unmatched);
    for (const auto& name : unmatched)
      log::warn("enforcing playbook matches no exec rule", {{"playbook", name}});
    plan.kernel.enabled = true;
    if (Status st = source.set_hold_names(plan.kernel); !st.ok()) {
      log::error("enforcing rules not changed", {{"error", st.error()}});
      return;
    }
    nlohmann::json names = nlohmann::json::array();
    for (const auto& r : plan.rules) names.push_back(r.rule->name);
    hold.replace(std::move(plan));
    install_kernel_rules();
    enforce_reloads.inc();
    log::info("enforcing rules changed",
              {{"enforcing_rules", hold.rules().size()},
               {"rules", names},
               {"reloads", static_cast<uint64_t>(enforce_reloads.value())}});
  };
  std::unique_ptr<responder::crd::CrdPlaybookSource> playbook_objects;
  if (holding) {
    if (Status st = hold.start(source.held_map_fd()); !st.ok()) die(st.error());
    det.set_exec_hold(&hold);
    if (kernel_decision) {
      det.set_kernel_decision(kernel_decision.get());
      install_kernel_rules();
    }
    hold_alive();
    registry
        .gauge("riposte_detector_exec_hold_failures_total",
               "Execs to hold that the kernel could not hold")
        .set_function([&source] { return static_cast<double>(source.hold_failures()); });
    if (cfg.playbook_objects) {
      responder::crd::CrdSourceOptions crd_options;
      crd_options.write_status = false;  // the responder reports each object's verdict
      playbook_objects = std::make_unique<responder::crd::CrdPlaybookSource>(
          *kube_client, [&enforcement](auto pbs) { enforcement.set_objects(std::move(pbs)); },
          crd_options);
      playbook_objects->start();
      // The first set of enforcing rules includes the objects', when they can be listed.
      if (!playbook_objects->wait_synced(std::chrono::seconds(30))) {
        log::warn("Playbook objects not listed yet (CRDs installed? RBAC?); going on without");
      }
    }
    if (playbook_enforce) reload_enforcing();
  }
  // Attached first, then /proc: a process that starts meanwhile is in both, and the records
  // (read after the scan) have the last word.
  const size_t scanned = cfg.no_proc_scan ? 0 : procs.scan();

  // Node actions: after the pod watch (their guardrails need each container's namespace).
  std::unique_ptr<detector::LinuxNodeHost> node_host;
  std::unique_ptr<detector::NodeAgent> node_agent;
  std::unique_ptr<detector::NodeActionEndpoint> node_endpoint;
  if (cfg.node_actions) {
    detector::NodeAgentOptions no;
    no.node = cfg.node_name;
    no.protected_namespaces.insert(cfg.node_action_protected.begin(),
                                   cfg.node_action_protected.end());
    if (const char* own = std::getenv("POD_NAMESPACE"); own && *own)
      no.protected_namespaces.insert(own);
    no.rate_per_second = cfg.node_action_rate;
    no.boot_to_wall_ns = boot_to_wall;
    no.self = getpid();
    node_host = std::make_unique<detector::LinuxNodeHost>();
    node_agent = std::make_unique<detector::NodeAgent>(no, node_host.get(), pods.get(), &registry);
    auto ep =
        detector::NodeActionEndpoint::start(nats_conn->get(), node_agent.get(), cfg.node_name);
    if (!ep) die(ep.error());
    node_endpoint = std::move(*ep);
  }

  KernelCounters kernel(&registry, &source);
  registry.gauge("riposte_detector_alert_queue_depth_alerts", "Alerts waiting to be published")
      .set_function([&queue] { return static_cast<double>(queue.depth()); });
  registry.gauge("riposte_detector_alerts_dropped_total", "Alerts dropped because the publish queue was full")
      .set_function([&queue] { return static_cast<double>(queue.dropped()); });
  registry.gauge("riposte_detector_alerts_published_total", "Alerts the outputs accepted")
      .set_function([&queue] { return static_cast<double>(queue.published()); });
  registry.gauge("riposte_detector_ring_buffer_bytes", "Size of the kernel ring buffer")
      .set_function([&source] { return static_cast<double>(source.ring_bytes()); });
  registry.gauge("riposte_detector_rules_loaded_rules", "Enabled rules")
      .set_function([&rules_files] {
        return static_cast<double>(rules_files.current().enabled_rules().size());
      });
  Gauge& tracked = registry.gauge("riposte_detector_tracked_processes", "Processes in the thread table");
  if (pods) {
    registry.gauge("riposte_detector_cached_pods", "Pods of this node in the pod cache")
        .set_function([&pods] { return static_cast<double>(pods->stats().pods); });
  }

  auto ops_or = start_ops_server(
      cfg.ops_addr, registry,
      [&] {
        std::vector<ReadyCheck> checks{
            {"bpf", source.attached(), source.attached() ? "" : "programs not attached"},
            {"rules", !rules_files.current().enabled_rules().empty(),
             std::to_string(rules_files.current().enabled_rules().size()) + " rules"}};
        // Until the node's pods are listed, alerts from containers would lack their pod.
        if (pods)
          checks.push_back(
              {"pods", pods->synced(), pods->synced() ? "" : "pods of the node not listed yet"});
        if (nats_conn) {
          const bool up = nats_conn->get()->connected();
          checks.push_back({"nats", up, up ? "" : "not connected"});
        }
        return checks;
      },
      {{"/versions", detector::falco_versions_json}});
  if (!ops_or) die("--ops-addr: " + ops_or.error());
  std::unique_ptr<OpsServer> ops = std::move(*ops_or);

  signal(SIGINT, [](int) { g_stop = true; });
  signal(SIGTERM, [](int) { g_stop = true; });
  log::info(
      "detector running",
      {{"node", cfg.node_name},
       {"rules", ruleset.enabled_rules().size()},
       {"event_types", ruleset.event_types().size()},
       {"open_filter_read",
        so.open_read.filter ? std::to_string(so.open_read.prefixes.size()) + " prefixes" : "off"},
       {"open_filter_write",
        so.open_write.filter ? std::to_string(so.open_write.prefixes.size()) + " prefixes" : "off"},
       {"syscall_hook", detector::to_string(source.syscall_hook())},
       {"enforcing_rules", hold.rules().size()},
       {"hold_names", hold.plan().kernel.names_any
                          ? std::string("any")
                          : std::to_string(hold.plan().kernel.names.size())},
       {"processes_scanned", scanned},
       {"output", cfg.nats.url.empty() ? "stdout" : cfg.nats.url},
       {"node_actions", node_endpoint ? node_endpoint->subject() : "off"},
       {"ops_port", ops ? ops->port() : 0}});
  if (nats_conn) {
    // A rotated password (its file changed): publish and serve node actions on a new
    // connection; the old one closes once nothing uses it.
    nats_conn->follow([&](nats::Connection* next) -> Status {
      if (node_endpoint) {
        auto ep = detector::NodeActionEndpoint::start(next, node_agent.get(), cfg.node_name);
        if (!ep) return ep.err();
        node_endpoint = std::move(*ep);  // the old subscription ends here
      }
      nats_sink->rebind(next);
      return {};
    });
  }

  const auto start = std::chrono::steady_clock::now();
  auto next_sync = start;
  while (!g_stop) {
    if (Status st = source.poll(200); !st.ok()) die(st.error());
    if (holding) hold_alive();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_sync) {
      if (playbook_enforce) reload_enforcing();
      if (const auto* reloaded = rules_files.poll()) det.set_rules(reloaded);
      kernel.sync();
      tracked.set(static_cast<double>(procs.size()));
      next_sync = now + std::chrono::seconds(1);
    }
    if (cfg.duration_s > 0 && now - start >= std::chrono::seconds(cfg.duration_s)) break;
  }
  kernel.sync();
  if (nats_conn) nats_conn->stop_following();  // before what its rebind touches goes away
  queue.drain(5000);
  if (pods) pods->stop();
  if (playbook_objects) playbook_objects->stop();
  log::info("detector stopped", {{"events", det.events()},
                                 {"kernel_drops", source.kernel_drops()},
                                 {"published", queue.published()},
                                 {"dropped", queue.dropped()}});
  return 0;
}
