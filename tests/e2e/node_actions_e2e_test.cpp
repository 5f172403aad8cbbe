// Node-local actions (issue 17 part 1) on the local cluster's real node (kubelet + containerd
// + runc, deploy/local/real-node.sh): real containers of nginx, their processes as the host
// sees them, the real riposte-detector with --node-actions and the shipped NATS credentials,
// asked over the cluster's NATS exactly as the responder's steps ask (NatsNodeAgentClient with
// the responder's credentials). Each effect is checked on the host: the process gone, the
// freezer state, the container answering again after a thaw.
//
// Also the latency of a node action, request to effect confirmed (the detector answers
// after the process is dead or the cgroup frozen), over NODE_ACTION_BENCH_N requests: printed,
// never asserted (figures in the README).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "common/nats.h"
#include "common/node_action.h"
#include "responder/actions/node_agent_client.h"
#include "responder/actions/registry.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/support/local_cluster.h"
#include "tests/support/real_node.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte {
namespace {

namespace fs = std::filesystem;
using namespace riposte::testing;  // NOLINT: the test support library, throughout

int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A start time in /proc ticks as the alert's proc.pid.ts (wall clock ns) would say it.
int64_t wall_of_ticks(const std::string& ticks) {
  const int64_t boot_to_wall = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
  return boot_to_wall + std::stoll(ticks) * (1'000'000'000 / sysconf(_SC_CLK_TCK));
}

std::string freezer_state(const std::string& cid) {
  for (const auto& e : fs::recursive_directory_iterator("/sys/fs/cgroup/freezer/kubepods")) {
    if (e.is_directory() && e.path().filename() == cid) {
      return trim(read_file(e.path().string() + "/freezer.state"));
    }
  }
  return "";
}

class NodeActionsE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setup_error_ = setup(); }

  static std::string setup() {
    if (geteuid() != 0) return "loads eBPF programs and kills processes: run as root";
    if (!load_local_cluster(&cluster_)) return "the local cluster is not up (fixture `cluster`)";
    std::string why;
    node_ = real_node_name(cluster_, &why);
    if (node_.empty()) return why;
    src_ = env_or("RIPOSTE_SOURCE_DIR", ".");
    bin_ = env_or("RIPOSTE_BINARY_DIR", ".") + "/bin";
    work_ = make_temp_dir("node-actions-e2e");
    ns_ = "node-actions-e2e-" + std::to_string(getpid());
    if (std::string err = create_namespace(cluster_, ns_); !err.empty()) return err;
    if (std::string err = apply_workloads(cluster_, ns_, src_, work_,
                                          {{"nginx.yaml", "web", "victim", "victim"},
                                           {"nginx.yaml", "web", "frozen", "frozen"},
                                           {"nginx.yaml", "web", "killed", "killed"}});
        !err.empty()) {
      return err;
    }
    std::vector<std::string> argv = {bin_ + "/riposte-detector",
                                     "--rules",
                                     src_ + "/detector/default_rules/riposte_rules.yaml",
                                     "--node-name",
                                     node_,
                                     "--kubeconfig",
                                     cluster_.kubeconfig,
                                     "--ops-addr",
                                     "127.0.0.1:" + std::to_string(ops_port_ = pick_free_port()),
                                     "--node-actions",
                                     "--node-action-rate",
                                     "1000"};
    for (const auto& f : cluster_.nats_flags("detector")) argv.push_back(f);  // shipped NATS user
    auto p = spawn_ready(argv, {{"KUBECONFIG", cluster_.kubeconfig}}, work_ + "/detector.log",
                         "detector running");
    if (!p.ok()) return p.error();
    detector_ = p->release();
    // The node actions client with the responder's shipped credentials, as in the responder.
    auto c = nats::Connection::connect([] {
      nats::Options o = cluster_.nats_options("responder", "node-actions-e2e");
      o.inbox_prefix = kResponderInboxPrefix;
      return o;
    }());
    if (!c.ok()) return "NATS (responder credentials): " + c.error();
    responder_conn_ = c->release();
    client_.bind(responder_conn_);
    return "";
  }

  static void TearDownTestSuite() {
    delete detector_;
    delete responder_conn_;
    detector_ = nullptr;
    responder_conn_ = nullptr;
    if (!ns_.empty()) kubectl(cluster_, "delete namespace " + ns_ + " --wait=false");
  }

  void SetUp() override { ASSERT_EQ(setup_error_, "") << setup_error_; }

  static NodeActionRequest request(NodeAction action, const HostProcess& p,
                                   const std::string& cid) {
    NodeActionRequest q;
    q.id = "e2e-" + std::to_string(++sequence_);
    q.action = action;
    q.node = node_;
    q.pid = p.pid;
    q.start_time_ns = p.pid != 0 ? wall_of_ticks(p.start_time) : 0;
    q.container_id = cid.substr(0, 12);
    q.protected_namespaces = {"kube-system"};
    q.playbook = "node-actions-e2e";
    return q;
  }

  static NodeActionReply call(const NodeActionRequest& q) {
    auto r = client_.call(q, std::chrono::seconds(10));
    EXPECT_TRUE(r.ok()) << r.error() << "\n" << detector_->log_tail();
    return r.ok() ? *r : NodeActionReply{};
  }

  // A `sleep` started in the pod's container, as the host sees it. The shell prints the
  // sleep's pid in the container ($!), so the host process is known exactly (its innermost
  // NSpid) instead of guessed from a scan; it is returned once it runs sleep (until its exec
  // it is the shell's fork).
  // Right after a container.thaw (LatencyFigures), runc may still refuse the exec ("cannot
  // exec in a paused container", seen after the node agent's thaw had answered done): the
  // exec's exit status was not checked, nothing was started, and the scan returned pid 0. So
  // the exec is retried until it succeeds (bounded by eventually(), each failure printed with
  // the freezer's state), else the test fails with kubectl's output.
  static HostProcess start_sleep(const RealPod& pod, const std::string& secs) {
    std::string out;
    int rc = -1, failures = 0;
    eventually([&] {
      out =
          exec_in(cluster_, ns_, pod, "sh -c 'sleep " + secs + " >/dev/null 2>&1 & echo $!'", &rc);
      if (rc != 0) {
        std::printf("kubectl exec into %s failed (rc %d, freezer %s): %s\n", pod.name.c_str(), rc,
                    freezer_state(pod.cid).c_str(), out.c_str());
        ++failures;
      }
      return rc == 0;
    });
    if (failures > 0)
      std::printf("kubectl exec into %s: %d failed before it ran\n", pod.name.c_str(), failures);
    EXPECT_EQ(rc, 0) << "kubectl exec failed: " << out;
    // kubectl's own messages come with the output (2>&1), e.g. its websocket client's
    // "Unknown stream id 1, discarding message" (seen once: the pid came through): the pid is
    // the last line of digits; the other lines are printed.
    std::string cpid;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      line = trim(line);
      if (line.empty()) continue;
      if (line.find_first_not_of("0123456789") == std::string::npos) {
        cpid = line;
      } else {
        std::printf("kubectl exec into %s said: %s\n", pod.name.c_str(), line.c_str());
      }
    }
    if (rc != 0) return {};
    // Without the pid (should kubectl drop the shell's output), the sleep is the one whose
    // command line has these seconds.
    const auto is_ours = [&](const HostProcess& p) {
      if (cpid.empty()) {
        return read_file("/proc/" + std::to_string(p.pid) + "/cmdline").find(secs) !=
               std::string::npos;
      }
      const std::string status = read_file("/proc/" + std::to_string(p.pid) + "/status");
      const auto at = status.find("NSpid:");
      if (at == std::string::npos) return false;
      const std::string line = status.substr(at, status.find('\n', at) - at);
      return line.substr(line.find_last_of(" \t") + 1) == cpid;
    };
    HostProcess found;
    const bool ran = eventually([&] {
      for (const auto& p : container_processes(pod.cid, "sleep")) {
        if (is_ours(p)) {
          found = p;
          return true;
        }
      }
      return false;
    });
    EXPECT_TRUE(ran) << "container pid " << cpid << " of " << pod.name
                     << " never ran sleep on the host";
    return found;
  }

  static HostProcess nginx_master(const RealPod& pod) {
    for (const auto& p : container_processes(pod.cid, "nginx")) {
      if (read_file("/proc/" + std::to_string(p.pid) + "/cmdline").find("master") !=
          std::string::npos) {
        return p;
      }
    }
    return {};
  }

  // riposte_detector_node_actions_total{action,outcome} from the detector's /metrics.
  static double node_actions(const std::string& action, const std::string& outcome) {
    httplib::Client ops("127.0.0.1", ops_port_);
    auto res = ops.Get("/metrics");
    if (!res) return -1;
    std::smatch m;
    const std::regex re("riposte_detector_node_actions_total\\{action=\"" + action +
                        "\",outcome=\"" + outcome + "\"\\} ([0-9.e+]+)");
    return std::regex_search(res->body, m, re) ? std::stod(m[1]) : 0;
  }

  static inline std::string setup_error_;
  static inline LocalCluster cluster_;
  static inline std::string node_, src_, bin_, work_, ns_;
  static inline int ops_port_ = 0;
  static inline int sequence_ = 0;
  static inline Subprocess* detector_ = nullptr;
  static inline nats::Connection* responder_conn_ = nullptr;
  static inline actions::NatsNodeAgentClient client_;
};

// process.kill on a pid that another process now holds (simulated: the alert's start time
// is not this process's) does nothing; the alert's own start time kills it.
TEST_F(NodeActionsE2E, ProcessKillNeverHitsAReusedPid) {
  const auto pod = running_pod(cluster_, ns_, "victim");
  const auto sleeper = start_sleep(pod, "601");
  ASSERT_NE(sleeper.pid, 0) << "no sleep in " << pod.name;
  NodeActionRequest q = request(NodeAction::kProcessKill, sleeper, pod.cid);
  q.start_time_ns += 5 * (1'000'000'000 / sysconf(_SC_CLK_TCK));  // another process's start
  NodeActionReply r = call(q);
  EXPECT_EQ(r.outcome, NodeActionReply::kRefused) << r.reason;
  EXPECT_NE(r.reason.find("reused"), std::string::npos) << r.reason;
  ASSERT_TRUE(still_running(sleeper)) << "the reused pid was hit";
  // Proof the process was there to be hit: with its real start time it dies, and the reply
  // comes once it is dead.
  r = call(request(NodeAction::kProcessKill, sleeper, pod.cid));
  EXPECT_EQ(r.outcome, NodeActionReply::kDone) << r.reason;
  EXPECT_FALSE(still_running(sleeper));
  EXPECT_EQ(r.targets, (std::vector<std::string>{"pid " + std::to_string(sleeper.pid),
                                                 "container " + pod.cid.substr(0, 12),
                                                 "pods/" + ns_ + "/" + pod.name}));
}

TEST_F(NodeActionsE2E, FreezeThenThawLeavesTheContainerWorking) {
  const auto pod = running_pod(cluster_, ns_, "frozen");
  ASSERT_EQ(pod.cid.size(), 64u);
  NodeActionReply r = call(request(NodeAction::kContainerFreeze, {}, pod.cid));
  ASSERT_EQ(r.outcome, NodeActionReply::kDone) << r.reason;
  EXPECT_EQ(freezer_state(pod.cid), "FROZEN");
  // Frozen, the processes are still there (the evidence in memory), just stopped.
  const auto nginx = container_processes(pod.cid, "nginx");
  ASSERT_FALSE(nginx.empty());
  r = call(request(NodeAction::kContainerThaw, {}, pod.cid));
  ASSERT_EQ(r.outcome, NodeActionReply::kDone) << r.reason;
  EXPECT_EQ(freezer_state(pod.cid), "THAWED");
  for (const auto& p : nginx) EXPECT_TRUE(still_running(p)) << p.pid;
  int rc = 1;
  const std::string out = exec_in(cluster_, ns_, pod, "nginx -t", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(trim(kubectl(cluster_, "-n " + ns_ + " get pod " + pod.name +
                                       " -o jsonpath={.status.containerStatuses[0].restartCount}")),
            "0");
}

// The undo of a freeze by the operator: `riposte container thaw` asks the node as the
// responder's container.thaw does (the responder's NATS user, the UI's undo builds the same
// request). A namespace it is told to protect is refused by the node and stays frozen.
TEST_F(NodeActionsE2E, RiposteContainerThawUndoesAFreeze) {
  const auto pod = running_pod(cluster_, ns_, "frozen");
  NodeActionReply r = call(request(NodeAction::kContainerFreeze, {}, pod.cid));
  ASSERT_EQ(r.outcome, NodeActionReply::kDone) << r.reason;
  ASSERT_EQ(freezer_state(pod.cid), "FROZEN");
  auto thaw = [&](const std::vector<std::string>& extra, std::string* out) {
    std::vector<std::string> argv = {
        bin_ + "/riposte", "container",          "thaw", "--node", node_,
        "--container-id",  pod.cid.substr(0, 12)};
    for (const auto& f : cluster_.nats_flags("responder")) argv.push_back(f);
    for (const auto& f : extra) argv.push_back(f);
    const std::string log = work_ + "/thaw-" + std::to_string(++sequence_) + ".log";
    auto p = Subprocess::spawn(argv, {}, log);
    int status = -1;
    if (!p.ok() || !(*p)->wait_exit(60000, &status)) return -1;
    *out = read_file(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string out;
  EXPECT_EQ(thaw({"--protected-namespace", ns_}, &out), 0) << out;
  EXPECT_NE(out.find("skipped: node " + node_ + ": namespace " + ns_ + " is protected"),
            std::string::npos)
      << out;
  EXPECT_EQ(freezer_state(pod.cid), "FROZEN");
  EXPECT_EQ(thaw({}, &out), 0) << out;
  EXPECT_NE(out.find("succeeded: node " + node_), std::string::npos) << out;
  EXPECT_EQ(freezer_state(pod.cid), "THAWED");
  int rc = 1;
  const std::string answer = exec_in(cluster_, ns_, pod, "nginx -t", &rc);
  EXPECT_EQ(rc, 0) << answer;
}

// pod.logs on a real container (kwok pods have no logs): nginx logs the kubelet's readiness
// probes to its stdout every 2 s. The recent lines come back in the step's reply (the run's
// audit record), bounded in lines and bytes; the dry-run twin fetches nothing.
TEST_F(NodeActionsE2E, PodLogsKeepsTheRecentLinesBounded) {
  const auto pod = running_pod(cluster_, ns_, "victim");
  auto cfg = kube::load_kubeconfig(cluster_.kubeconfig);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  auto kube = kube::HttpKubeClient::create(*cfg);
  ASSERT_TRUE(kube.ok()) << kube.error();
  const actions::Action* logs = actions::ActionRegistry::builtin().find("pod.logs");
  ASSERT_NE(logs, nullptr);
  Alert alert = shell_alert(ns_, pod.name);
  auto run = [&](const std::string& params_yaml, bool dry_run) {
    YAML::Node params = YAML::Load(params_yaml);
    EXPECT_TRUE(logs->validate(params).empty()) << params_yaml;
    actions::Guardrails g;
    actions::ActionContext ctx{alert, params, **kube, g, dry_run, "pod-logs-e2e"};
    return logs->execute(ctx);
  };
  // At least 3 probe lines logged, so that tail_lines: 3 has something to cut.
  ASSERT_TRUE(eventually([&] {
    const std::string l = kubectl(cluster_, "-n " + ns_ + " logs " + pod.name);
    return std::count(l.begin(), l.end(), '\n') >= 3;
  }));
  actions::ActionResult r = run("{tail_lines: 3}", true);
  EXPECT_EQ(r.status, actions::ActionResult::kDryRun) << r.message;
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0].str(), "GET /api/v1/namespaces/" + ns_ + "/pods/" + pod.name +
                                     "/log?container=nginx&tailLines=3&limitBytes=65536");
  EXPECT_TRUE(r.reply.is_null());

  r = run("{tail_lines: 3}", false);
  ASSERT_EQ(r.status, actions::ActionResult::kSucceeded) << r.message;
  const auto& c = r.reply["containers"].at(0);
  EXPECT_EQ(c["container"], "nginx");
  EXPECT_EQ(c["lines"], 3) << c.dump();
  EXPECT_NE(c["log"].get<std::string>().find("kube-probe"), std::string::npos) << c.dump();
  EXPECT_EQ(c["truncated"], false);

  r = run("{tail_lines: 1000, limit_bytes: 100}", false);
  ASSERT_EQ(r.status, actions::ActionResult::kSucceeded) << r.message;
  EXPECT_EQ(r.reply["containers"][0]["bytes"], 100) << r.reply.dump();
  EXPECT_EQ(r.reply["containers"][0]["truncated"], true);
}

TEST_F(NodeActionsE2E, ForensicsReturnsTheTreeOfAKnownProcess) {
  const auto pod = running_pod(cluster_, ns_, "frozen");
  // nginx's master: its workers are its children.
  std::vector<HostProcess> nginx = container_processes(pod.cid, "nginx");
  ASSERT_GE(nginx.size(), 2u);
  const HostProcess master = nginx_master(pod);
  ASSERT_NE(master.pid, 0);
  NodeActionReply r = call(request(NodeAction::kForensicsCapture, master, pod.cid));
  ASSERT_EQ(r.outcome, NodeActionReply::kDone) << r.reason;
  const nlohmann::json& d = r.detail;
  EXPECT_EQ(d["process"]["pid"], master.pid);
  EXPECT_EQ(d["process"]["comm"], "nginx");
  EXPECT_EQ(d["descendants"].size(), nginx.size() - 1) << d["descendants"].dump();
  for (const auto& c : d["descendants"]) EXPECT_EQ(c["ppid"], master.pid);
  EXPECT_EQ(d["exe_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(d["pod"]["namespace"], ns_);
  EXPECT_EQ(d["pod"]["name"], pod.name);
  EXPECT_EQ(d["container_full_id"], pod.cid);
  bool listening = false;
  for (const auto& s : d["sockets"]) listening |= s.value("state", "") == "0A";  // LISTEN
  EXPECT_TRUE(listening) << d["sockets"].dump();
  EXPECT_FALSE(d["environment"].empty());
}

TEST_F(NodeActionsE2E, ContainerKillKillsEveryProcessOfTheContainer) {
  const auto pod = running_pod(cluster_, ns_, "killed");
  ASSERT_NE(start_sleep(pod, "602").pid, 0);
  std::vector<HostProcess> all = container_processes(pod.cid, "");
  ASSERT_GE(all.size(), 3u);  // nginx master, a worker, the sleep
  NodeActionReply r = call(request(NodeAction::kContainerKill, {}, pod.cid));
  ASSERT_EQ(r.outcome, NodeActionReply::kDone) << r.reason;
  for (const auto& p : all) EXPECT_FALSE(still_running(p)) << p.pid;
}

// Malformed, foreign and out-of-scope requests: refused with a reason, audited (log line and
// counter), and nothing acted on (the process is still there for a later legitimate kill).
TEST_F(NodeActionsE2E, MalformedForeignAndOutOfScopeRequestsAreRefusedAndAudited) {
  const auto pod = running_pod(cluster_, ns_, "victim");
  const auto sleeper = start_sleep(pod, "603");
  ASSERT_NE(sleeper.pid, 0);
  const double malformed = node_actions("malformed", "refused");
  const double refused = node_actions("process.kill", "refused");
  auto subject = node_action_subject(node_);
  auto raw = responder_conn_->request(*subject,
                                      R"({"id":"x","action":"process.kill","node":")" + node_ +
                                          R"(","pid":)" + std::to_string(sleeper.pid) +
                                          R"(,"cgroup":"/sys/fs/cgroup/freezer"})",
                                      10000);
  ASSERT_TRUE(raw.ok()) << raw.error();
  EXPECT_NE(raw->find("malformed request"), std::string::npos) << *raw;

  NodeActionRequest foreign = request(NodeAction::kProcessKill, sleeper, pod.cid);
  foreign.node = "another-node";  // sent to this node's subject all the same
  auto a =
      parse_node_action_reply(*responder_conn_->request(*subject, to_json(foreign).dump(), 10000));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->outcome, NodeActionReply::kRefused);
  EXPECT_NE(a->reason.find("this is " + node_), std::string::npos) << a->reason;

  NodeActionRequest wrong_container = request(NodeAction::kProcessKill, sleeper, pod.cid);
  wrong_container.container_id = std::string(12, 'f');
  NodeActionReply r = call(wrong_container);
  EXPECT_EQ(r.outcome, NodeActionReply::kRefused);
  EXPECT_NE(r.reason.find("not in container"), std::string::npos) << r.reason;

  NodeActionRequest host = request(NodeAction::kProcessKill, {}, "");
  host.pid = getpid();
  host.started_before_ns = clock_ns(CLOCK_REALTIME);
  r = call(host);  // this test: a host process, and the request does not say allow_host
  EXPECT_EQ(r.outcome, NodeActionReply::kRefused);
  EXPECT_NE(r.reason.find("host process"), std::string::npos) << r.reason;

  NodeActionRequest protected_ns = request(NodeAction::kProcessKill, sleeper, pod.cid);
  protected_ns.protected_namespaces = {ns_};
  r = call(protected_ns);
  EXPECT_EQ(r.outcome, NodeActionReply::kRefused);
  EXPECT_NE(r.reason.find("is protected"), std::string::npos) << r.reason;

  // Audited: counted, and a log line each. The sleep was never hit: a legitimate kill ends it.
  EXPECT_EQ(node_actions("malformed", "refused"), malformed + 1);
  EXPECT_EQ(node_actions("process.kill", "refused"), refused + 4);
  EXPECT_NE(detector_->log_tail(16384).find("is protected"), std::string::npos);
  ASSERT_TRUE(still_running(sleeper));
  EXPECT_EQ(call(request(NodeAction::kProcessKill, sleeper, pod.cid)).outcome,
            NodeActionReply::kDone);
}

// The whole path: an alert on the bus, the real responder with a playbook of two node steps
// (forensics.capture, then process.kill), the detector acting; the run's audit record carries
// the node's replies (the capture's process tree included) and the process is dead.
TEST_F(NodeActionsE2E, AnAlertsPlaybookCapturesThenKillsAndTheAuditRecordCarriesTheReplies) {
  const auto pod = running_pod(cluster_, ns_, "victim");
  const auto sleeper = start_sleep(pod, "604");
  ASSERT_NE(sleeper.pid, 0);
  ResponderSetup setup;
  setup.dir = make_temp_dir("node-actions-responder");
  setup.playbooks = setup.dir + "/playbooks";
  setup.kubeconfig = cluster_.kubeconfig;
  fs::create_directories(setup.playbooks);
  std::ofstream(setup.playbooks + "/capture-then-kill.yaml") << R"(
name: capture-then-kill
match: {rules: ["Node action e2e"]}
steps:
  - {name: capture, action: forensics.capture}
  - {name: kill, action: process.kill}
)";
  auto responder = start_responder_as(setup, cluster_.nats_flags("responder"), "node-actions-e2e");
  ASSERT_NE(responder, nullptr);
  Alert a;
  a.rule = "Node action e2e";
  a.priority = Priority::kCritical;
  a.hostname = node_;
  a.time_ns = clock_ns(CLOCK_REALTIME);
  a.output = "a process to capture and kill";
  a.uuid = new_uuid();
  a.output_fields = {{"proc.pid", sleeper.pid},
                     {"proc.pid.ts", wall_of_ticks(sleeper.start_time)},
                     {"container.id", pod.cid.substr(0, 12)},
                     {"k8s.ns.name", ns_},
                     {"k8s.pod.name", pod.name}};
  publish_until_stored(*responder_conn_, a);
  ASSERT_TRUE(eventually([&] { return !still_running(sleeper); }))
      << "the process lives; responder log:\n"
      << responder->log_tail();
  nlohmann::json record;
  ASSERT_TRUE(eventually([&] {
    auto records = stored_run_records(*responder_conn_);
    auto it = records.find(alert_dedup_key(a));
    if (it == records.end() || it->second.empty()) return false;
    record = it->second.back();
    return true;
  })) << responder->log_tail();
  ASSERT_EQ(record["steps"].size(), 2u) << record.dump(2);
  const nlohmann::json& capture = record["steps"][0];
  EXPECT_EQ(capture["status"], "succeeded") << capture.dump(2);
  EXPECT_EQ(capture["reply"]["detail"]["process"]["pid"], sleeper.pid);
  EXPECT_EQ(capture["reply"]["detail"]["process"]["comm"], "sleep");
  EXPECT_EQ(capture["reply"]["detail"]["pod"]["name"], pod.name);
  const nlohmann::json& kill = record["steps"][1];
  EXPECT_EQ(kill["status"], "succeeded") << kill.dump(2);
  EXPECT_EQ(kill["reply"]["outcome"], "done");
  std::printf("alert -> process dead (node's answer) in this run: %.1f ms\n",
              record.value("alert_to_action_ms", -1.0));
}

// Not a check: request -> effect confirmed, for process.kill and container.freeze (+ thaw),
// NODE_ACTION_BENCH_N times each (default 20). The README's figures come from 200.
TEST_F(NodeActionsE2E, LatencyFigures) {
  const int n = std::stoi(env_or("NODE_ACTION_BENCH_N", "20"));
  const auto pod = running_pod(cluster_, ns_, "frozen");
  const auto master = nginx_master(pod);
  ASSERT_NE(master.pid, 0);
  std::vector<double> kill_ms, freeze_ms;
  for (int i = 0; i < n; ++i) {
    const auto sleeper = start_sleep(pod, std::to_string(1000 + i));
    ASSERT_NE(sleeper.pid, 0);
    auto q = request(NodeAction::kProcessKill, sleeper, pod.cid);
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(call(q).outcome, NodeActionReply::kDone) << detector_->log_tail();
    kill_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    // As the responder asks for an alert: its process (here the master nginx) and container.
    q = request(NodeAction::kContainerFreeze, master, pod.cid);
    t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(call(q).outcome, NodeActionReply::kDone) << detector_->log_tail();
    freeze_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_EQ(call(request(NodeAction::kContainerThaw, {}, pod.cid)).outcome,
              NodeActionReply::kDone);
  }
  auto pct = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
  };
  std::printf("node action latency, request -> effect confirmed, n=%d:\n", n);
  std::printf("  process.kill      p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", pct(kill_ms, 0.5),
              pct(kill_ms, 0.99), pct(kill_ms, 1));
  std::printf("  container.freeze  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", pct(freeze_ms, 0.5),
              pct(freeze_ms, 0.99), pct(freeze_ms, 1));
}

}  // namespace
}  // namespace riposte
