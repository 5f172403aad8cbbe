// Acceptance of the eBPF sensor with real syscalls in real containers: each attack scenario
// runs in a container on the local cluster's real node (kubelet + containerd + runc,
// deploy/local/real-node.sh), entered with `kubectl exec`, and must be reported by the right
// rule, at the right priority, with the container, pod, process and file it happened in. The
// same actions on the host must not fire the container rules. Detection only: no responder
// (real_node_e2e_test covers the effects).
//
// Rules: Falco's stable ruleset (../shared/falco-rules/falco_rules.yaml), plus its incubating
// and sandbox rulesets (where "Launch Package Management Process in Container", "Write below
// etc" and "Write below binary dir" live), plus riposte's default rules; all matching rules
// are reported (--rule-matching all) so each assertion looks at its own rule.
//
// The scenarios run their commands under `sh -c '...; true'` so that the shell forks them:
// proc.pname is then "sh", as in an attacker's script (a bare `kubectl exec` gives "runc").
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>

#include "common/alert.h"
#include "tests/support/alert_file.h"
#include "tests/support/local_cluster.h"
#include "tests/support/real_node.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte {
namespace {

namespace fs = std::filesystem;
using testing::AlertFile;
using testing::env_or;
using testing::eventually;
using testing::kubectl;
using testing::LocalCluster;
using testing::RealPod;
using testing::Subprocess;
using testing::trim;
constexpr auto field = testing::alert_field;

class SensorE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setup_error_ = setup(); }

  static std::string setup() {
    if (geteuid() != 0) return "loads eBPF programs: run as root";
    if (!testing::load_local_cluster(&cluster_)) return "the local cluster is not up (fixture `cluster`)";
    std::string why;
    node_ = testing::real_node_name(cluster_, &why);
    if (node_.empty()) return why;
    src_ = env_or("RIPOSTE_SOURCE_DIR", ".");
    const std::string falco = env_or("RIPOSTE_FALCO_RULES_DIR", src_ + "/../shared/falco-rules");
    for (const char* f : kFalcoFiles) {
      if (!fs::exists(falco + "/" + f)) {
        return std::string("Falco's upstream rules are needed and were not found: ") + falco + "/" + f +
               " (set RIPOSTE_FALCO_RULES_DIR to the folder holding them)";
      }
    }
    work_ = testing::make_temp_dir("sensor-e2e");
    ns_ = "sensor-e2e-" + std::to_string(getpid());
    if (std::string err = testing::create_namespace(cluster_, ns_); !err.empty()) return err;
    // Pods that exist before the detector starts (its list); a later one tests the watch.
    if (std::string err = testing::apply_workloads(
            cluster_, ns_, src_, work_,
            {{"httpd.yaml", "", "", "httpd"}, {"debian.yaml", "", "", "tools"}});
        !err.empty()) {
      return err;
    }
    httpd_ = testing::running_pod(cluster_, ns_, "httpd");
    tools_ = testing::running_pod(cluster_, ns_, "tools");
    if (httpd_.cid.empty() || tools_.cid.empty()) return "the workloads' containers have no id";

    alerts_ = AlertFile(work_ + "/alerts.jsonl");
    std::vector<std::string> argv = {env_or("RIPOSTE_BINARY_DIR", ".") + "/bin/riposte-detector"};
    for (const char* f : kFalcoFiles) argv.insert(argv.end(), {"--rules", falco + "/" + f});
    argv.insert(argv.end(),
                {"--rules", src_ + "/detector/default_rules/riposte_rules.yaml", "--rule-matching",
                 "all", "--output-file", alerts_.path(), "--node-name", node_, "--kubeconfig",
                 cluster_.kubeconfig, "--ops-addr", "127.0.0.1:0", "--queue-capacity", "1000000"});
    auto p = testing::spawn_ready(argv, {{"KUBECONFIG", cluster_.kubeconfig}},
                                  work_ + "/detector.log", "detector running");
    if (!p.ok()) return p.error();
    detector_ = p->release();
    std::smatch m;
    const std::string log = testing::read_file(detector_->log_path());
    static const std::regex kPort("detector running.* ops_port=([0-9]+)");
    if (!std::regex_search(log, m, kPort)) return "no ops port in the detector's log:\n" + log;
    ops_port_ = std::stoi(m[1]);
    // Ready includes "the node's pods are listed": before that, alerts would lack their pod.
    httplib::Client http("127.0.0.1", ops_port_);
    if (!eventually([&] {
          auto r = http.Get("/readyz");
          return r && r->status == 200;
        })) {
      return "the detector did not become ready:\n" + detector_->log_tail();
    }
    return "";
  }

  static void TearDownTestSuite() {
    delete detector_;
    detector_ = nullptr;
    if (!ns_.empty()) kubectl(cluster_, "delete namespace " + ns_ + " --wait=false");
  }

  void SetUp() override { ASSERT_EQ(setup_error_, "") << setup_error_; }

  // Runs `sh -c 'script; true'` in the pod's container; the exit status of kubectl exec.
  static int sh(const RealPod& pod, const std::string& script) {
    int rc = 0;
    testing::exec_in(cluster_, ns_, pod, "sh -c '" + script + "; true'", &rc);
    return rc;
  }

  static std::function<bool(const Alert&)> rule_in(const std::string& rule, const RealPod& pod) {
    return [rule, pod](const Alert& a) { return a.rule == rule && field(a, "k8s.pod.name") == pod.name; };
  }

  // What every container alert must carry.
  void expect_context(const Alert& a, const RealPod& pod, const std::string& image) {
    EXPECT_EQ(field(a, "container.id"), pod.cid.substr(0, 12)) << a.output;
    EXPECT_EQ(field(a, "container.image.repository"), image) << a.output;
    EXPECT_EQ(field(a, "k8s.pod.name"), pod.name) << a.output;
    EXPECT_EQ(field(a, "k8s.ns.name"), ns_) << a.output;
    EXPECT_EQ(field(a, "user.name"), "root") << a.output;
    EXPECT_EQ(a.hostname, node_);
  }

  static constexpr const char* kFalcoFiles[] = {"falco_rules.yaml", "falco-incubating_rules.yaml",
                                                "falco-sandbox_rules.yaml"};
  static constexpr const char* kDebian = "docker.io/library/debian";
  static inline std::string setup_error_;
  static inline LocalCluster cluster_;
  static inline std::string node_, src_, work_, ns_;
  static inline RealPod httpd_, tools_;
  static inline Subprocess* detector_ = nullptr;
  static inline int ops_port_ = 0;
  static inline AlertFile alerts_;
};

// "Terminal shell in container", apt-get's scale to zero, sed -i below /etc, the TLS Secret
// rule and the CSV output are in real_node_e2e_test, with the shipped playbooks' effects.

TEST_F(SensorE2E, PackageManagerInContainer) {
  ASSERT_EQ(sh(tools_, "dpkg -l e2e-no-such-package"), 0);
  auto a = alerts_.wait([](const Alert& x) {
    return x.rule == "Launch Package Management Process in Container" &&
           field(x, "proc.cmdline") == "dpkg -l e2e-no-such-package";
  });
  ASSERT_TRUE(a) << detector_->log_tail();
  EXPECT_EQ(a->priority, Priority::kError);
  expect_context(*a, tools_, kDebian);
  EXPECT_EQ(field(*a, "proc.name"), "dpkg");
  EXPECT_EQ(field(*a, "proc.pname"), "sh");
}

TEST_F(SensorE2E, WriteBelowEtcInHttpdContainer) {
  ASSERT_EQ(sh(httpd_, "touch /etc/e2e-written"), 0);
  auto a = alerts_.wait(rule_in("Write below etc", httpd_));
  ASSERT_TRUE(a) << detector_->log_tail();
  EXPECT_EQ(a->priority, Priority::kError);
  expect_context(*a, httpd_, "docker.io/library/httpd");
  EXPECT_EQ(field(*a, "proc.name"), "touch");
  EXPECT_EQ(field(*a, "proc.pname"), "sh");
  EXPECT_EQ(field(*a, "fd.name"), "/etc/e2e-written");
}

TEST_F(SensorE2E, WriteBelowBinaryDirs) {
  ASSERT_EQ(sh(tools_, "touch /usr/local/bin/e2e-x; touch /usr/bin/e2e-x"), 0);
  // Falco's "Write below binary dir" covers /bin, /sbin, /usr/bin and /usr/sbin; /usr/local/bin
  // is in its monitored_directories, which "Write below monitored dir" covers.
  auto local = alerts_.wait([](const Alert& x) {
    return x.rule == "Write below monitored dir" && field(x, "fd.name") == "/usr/local/bin/e2e-x";
  });
  ASSERT_TRUE(local) << detector_->log_tail();
  EXPECT_EQ(local->priority, Priority::kError);
  expect_context(*local, tools_, kDebian);
  EXPECT_EQ(field(*local, "proc.name"), "touch");
  EXPECT_EQ(field(*local, "proc.pname"), "sh");
  auto bin = alerts_.wait([](const Alert& x) {
    return x.rule == "Write below binary dir" && field(x, "fd.name") == "/usr/bin/e2e-x";
  });
  ASSERT_TRUE(bin) << detector_->log_tail();
  EXPECT_EQ(bin->priority, Priority::kError);
  expect_context(*bin, tools_, kDebian);
  EXPECT_EQ(field(*bin, "proc.name"), "touch");
}

TEST_F(SensorE2E, ReadSensitiveFileUntrusted) {
  ASSERT_EQ(sh(tools_, "cd /etc && cat ./shadow >/dev/null"), 0);
  auto a = alerts_.wait(rule_in("Read sensitive file untrusted", tools_));
  ASSERT_TRUE(a) << detector_->log_tail();
  EXPECT_EQ(a->priority, Priority::kWarning);
  expect_context(*a, tools_, kDebian);
  EXPECT_EQ(field(*a, "proc.name"), "cat");
  EXPECT_EQ(field(*a, "proc.pname"), "sh");
  EXPECT_EQ(field(*a, "fd.name"), "/etc/shadow") << "relative path resolved in the container's root";
}

TEST_F(SensorE2E, DropAndExecuteNewBinary) {
  // The copy lands in the container's overlayfs upper layer: not part of the image.
  ASSERT_EQ(sh(tools_, "cp /bin/true /tmp/e2e-true && /tmp/e2e-true"), 0);
  auto a = alerts_.wait(rule_in("Drop and execute new binary in container", tools_));
  ASSERT_TRUE(a) << detector_->log_tail();
  EXPECT_EQ(a->priority, Priority::kCritical);
  expect_context(*a, tools_, kDebian);
  EXPECT_EQ(field(*a, "proc.name"), "e2e-true");
  EXPECT_EQ(field(*a, "proc.pname"), "sh");
  EXPECT_EQ(field(*a, "proc.exepath"), "/tmp/e2e-true");
}

TEST_F(SensorE2E, ShortLivedProcessInANewPodHasPodContext) {
  // A pod created after the detector started (its watch, or the list on a miss), whose
  // process lives about a millisecond: by the time its records are read it is gone from
  // /proc; the records and the pod must be enough.
  std::string pod_yaml = testing::read_file(src_ + "/deploy/local/workloads/debian.yaml");
  pod_yaml = std::regex_replace(pod_yaml, std::regex("\\btools\\b"), "flash");
  pod_yaml =
      std::regex_replace(pod_yaml, std::regex("command: \\[sleep, infinity\\]"),
                         "command: [sh, -c, \"cat /etc/shadow >/dev/null; exec sleep infinity\"]");
  ASSERT_NE(pod_yaml.find("cat /etc/shadow"), std::string::npos) << "debian.yaml changed shape";
  std::ofstream(work_ + "/flash.yaml") << pod_yaml;
  ASSERT_EQ(testing::apply_workloads(cluster_, ns_, src_, work_,
                                     {{work_ + "/flash.yaml", "", "", "flash"}}),
            "");
  const RealPod flash = testing::running_pod(cluster_, ns_, "flash");
  auto a = alerts_.wait(rule_in("Read sensitive file untrusted", flash));
  ASSERT_TRUE(a) << detector_->log_tail();
  expect_context(*a, flash, kDebian);
  EXPECT_EQ(field(*a, "proc.name"), "cat");
  EXPECT_EQ(field(*a, "fd.name"), "/etc/shadow");
}

TEST_F(SensorE2E, SameActionsOnTheHostDoNotFireContainerRules) {
  testing::TempDir dir;
  const std::string apk = dir.path() + "/apk";
  std::ofstream(apk) << "#!/bin/sh\necho \"apk $*\"\n";
  fs::permissions(apk, fs::perms::owner_all);
  fs::copy_file("/bin/true", dir.path() + "/dropped-true");
  const std::string host =
      "script -qec \"/bin/sh -c 'echo e2e-host-terminal'\" /dev/null >/dev/null; " + apk +
      " add e2e-host-curl >/dev/null; " + dir.path() + "/dropped-true";
  ASSERT_EQ(std::system(host.c_str()), 0);
  // Records are read in kernel order: once an alert for a later action is in, the host
  // actions before it have been evaluated.
  sh(tools_, "cat /etc/shadow /e2e-host-sentinel >/dev/null 2>&1");
  ASSERT_TRUE(alerts_.wait([](const Alert& x) {
    return field(x, "proc.cmdline") == "cat /etc/shadow /e2e-host-sentinel";
  })) << detector_->log_tail();
  for (const Alert& x : alerts_.read()) {
    const std::string cmd = field(x, "proc.cmdline");
    const bool host_action = cmd.find("e2e-host-terminal") != std::string::npos ||
                             cmd.find("e2e-host-curl") != std::string::npos ||
                             field(x, "proc.name") == "dropped-true";
    if (!host_action) continue;
    EXPECT_NE(x.rule, "Terminal shell in container") << x.output;
    EXPECT_NE(x.rule, "Launch Package Management Process in Container") << x.output;
    EXPECT_NE(x.rule, "Drop and execute new binary in container") << x.output;
    EXPECT_EQ(field(x, "container.id"), "host") << x.output;
  }
}

TEST_F(SensorE2E, OpsEndpointsReportHealthAndCounters) {
  httplib::Client http("127.0.0.1", ops_port_);
  auto ready = http.Get("/readyz?verbose");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_NE(ready->body.find("pods ok"), std::string::npos) << ready->body;
  ASSERT_EQ(sh(tools_, "cat /etc/shadow >/dev/null"), 0);
  std::string metrics;
  ASSERT_TRUE(eventually([&] {
    auto m = http.Get("/metrics");
    metrics = m ? m->body : "";
    return metrics.find("rule=\"Read sensitive file untrusted\"}") != std::string::npos &&
           metrics.find("riposte_detector_kernel_records_total") != std::string::npos;
  })) << metrics;
  for (const char* name : {"riposte_detector_events_total{type=\"execve\"}", "riposte_detector_events_total{type=\"openat\"}",
                           "riposte_detector_kernel_dropped_records_total 0", "riposte_detector_alert_queue_depth_alerts",
                           "riposte_detector_alerts_dropped_total 0", "riposte_detector_tracked_processes",
                           "riposte_detector_cached_pods"}) {
    EXPECT_NE(metrics.find(name), std::string::npos) << name << "\n" << metrics;
  }
}

}  // namespace
}  // namespace riposte
