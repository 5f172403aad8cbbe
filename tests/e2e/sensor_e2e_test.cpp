// Acceptance of the eBPF sensor with real syscalls: each attack scenario is run inside a
// test "container" (deploy/local/pod-shell.sh: a kubelet-style pod cgroup, its own mount, pid
// and uts namespaces, a busybox root filesystem, optionally on overlayfs) backed by a pod
// object in the local API server, and must be reported by the right rule, at the right
// priority, with the container, pod, process and file it happened in. The same actions on
// the host must not fire the container rules.
//
// Rules: Falco's stable ruleset (../shared/falco-rules/falco_rules.yaml), plus its incubating
// and sandbox rulesets (where "Launch Package Management Process in Container", "Write below
// etc" and "Write below binary dir" live), plus riposte's default rules; all matching rules
// are reported (--rule-matching all) so each assertion looks at its own rule.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <thread>

#include "common/alert.h"
#include "tests/support/alert_file.h"
#include "tests/support/local_cluster.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte {
namespace {

using testing::env_or;
using testing::eventually;
using testing::trim;

namespace fs = std::filesystem;
using testing::kubectl;
using testing::LocalCluster;
using testing::Subprocess;

using testing::AlertFile;
constexpr auto field = testing::alert_field;

struct Pod {
  std::string name, uid, cid;  // cid: the 64-hex container id pod-shell.sh runs it under
};

class SensorE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setup_error_ = setup(); }

  static std::string setup() {
    if (geteuid() != 0) return "loads eBPF and creates cgroups: run as root";
    if (!testing::load_local_cluster(&cluster_)) return "the local cluster is not up (fixture `cluster`)";
    src_ = env_or("RIPOSTE_SOURCE_DIR", ".");
    const std::string falco = env_or("RIPOSTE_FALCO_RULES_DIR", src_ + "/../shared/falco-rules");
    for (const char* f : {"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}) {
      if (!fs::exists(falco + "/" + f)) {
        return std::string("Falco's upstream rules are needed and were not found: ") + falco + "/" + f +
               " (set RIPOSTE_FALCO_RULES_DIR to the folder holding them)";
      }
    }
    ns_ = "sensor-e2e-" + std::to_string(getpid());
    if (std::string err = testing::create_namespace(cluster_, ns_); !err.empty()) return err;
    // Pods exist before the detector starts (the list), and one is created later (the watch).
    std::string err;
    if (!create_pod("app", "alpine:3.20", &app_, &err) || !create_pod("web", "httpd:2.4", &web_, &err)) return err;

    // The test root filesystem (created by pod-shell.sh on first use) gets what the scenarios
    // read or run: a package manager, a shadow file, a TLS secret as Kubernetes mounts it.
    rootfs_ = cluster_.dir + "/rootfs";
    if (pod_shell(app_, "true") != 0) return "pod-shell.sh does not run (see its stderr)";
    write_file(rootfs_ + "/sbin/apk", "#!/bin/sh\necho \"apk $*\"\n", 0755);
    write_file(rootfs_ + "/etc/shadow", "root:*:19000:0:99999:7:::\n", 0640);
    write_file(rootfs_ + "/etc/nginx/tls/tls.key", "-----BEGIN PRIVATE KEY-----\nnot a key\n", 0600);
    fs::create_directories(rootfs_ + "/usr/local/bin");
    fs::create_directories(rootfs_ + "/usr/bin");

    alerts_ = AlertFile(cluster_.dir + "/sensor-e2e-alerts.jsonl");
    fs::remove(alerts_.path());
    std::vector<std::string> argv = {env_or("RIPOSTE_BINARY_DIR", ".") + "/bin/riposte-detector"};
    for (const char* f : {"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}) {
      argv.insert(argv.end(), {"--rules", falco + "/" + f});
    }
    argv.insert(argv.end(), {"--rules", src_ + "/detector/default_rules/riposte_rules.yaml",
                             "--rule-matching", "all", "--output-file", alerts_.path(),
                             "--node-name", cluster_.node_name, "--kubeconfig", cluster_.kubeconfig,
                             "--ops-addr", "127.0.0.1:0", "--queue-capacity", "1000000"});
    auto p = Subprocess::spawn(argv, {{"KUBECONFIG", cluster_.kubeconfig}}, cluster_.dir + "/sensor-e2e-detector.log");
    if (!p.ok()) return p.error();
    detector_ = p->release();
    std::smatch m;
    const bool up = eventually([&] {
      const std::string log = testing::read_file(detector_->log_path());
      static const std::regex kRunning("detector running.* ops_port=([0-9]+)");
      return std::regex_search(log, m, kRunning) && (ops_port_ = std::stoi(m[1])) > 0;
    });
    if (!up) return "the detector did not start:\n" + detector_->log_tail();
    return "";
  }

  static void TearDownTestSuite() {
    if (detector_ != nullptr) {
      detector_->stop();
      delete detector_;
      detector_ = nullptr;
    }
    if (!ns_.empty()) kubectl(cluster_, "delete namespace " + ns_ + " --wait=false");
  }

  void SetUp() override { ASSERT_EQ(setup_error_, "") << setup_error_; }

  static bool create_pod(const std::string& name, const std::string& image, Pod* out, std::string* err) {
    int rc = 0;
    const std::string o = kubectl(cluster_, "-n " + ns_ + " run " + name + " --image=" + image + " --restart=Never", &rc);
    if (rc != 0) {
      *err = "cannot create pod " + name + ": " + o;
      return false;
    }
    out->name = name;
    out->uid = trim(kubectl(cluster_, "-n " + ns_ + " get pod " + name + " -o jsonpath={.metadata.uid}"));
    std::string hex;
    for (char c : out->uid) {
      if (c != '-') hex.push_back(c);
    }
    out->cid = (hex + hex).substr(0, 64);  // unique to the pod, as a runtime id would be
    return out->uid.size() == 36;
  }

  static void write_file(const std::string& path, const std::string& content, fs::perms mode) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::trunc) << content;
    fs::permissions(path, mode);
  }
  static void write_file(const std::string& path, const std::string& content, int mode) {
    write_file(path, content, static_cast<fs::perms>(mode));
  }

  // Runs `sh -c script` as the container's process; returns its exit status. The root has
  // no /dev (no redirections in scripts), and busybox runs applets named without a path
  // inside the shell (no exec, comm "sh"): scripts name programs by path, as a container's
  // processes exec them.
  static int pod_shell(const Pod& pod, const std::string& script, bool tty = false, bool overlay = false) {
    std::string quoted;
    for (char c : script) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    const std::string cmd = "RIPOSTE_LOCAL_DIR=" + cluster_.dir + " " + src_ + "/deploy/local/pod-shell.sh " +
                            (tty ? "--tty " : "") + (overlay ? "--overlay " : "") + "--pod-uid " + pod.uid +
                            " --container-id " + pod.cid + " -- /bin/sh -c '" + quoted + "' >/dev/null";
    return std::system(cmd.c_str());
  }

  static std::function<bool(const Alert&)> rule_in(const std::string& rule, const Pod& pod) {
    return [rule, pod](const Alert& a) { return a.rule == rule && field(a, "k8s.pod.name") == pod.name; };
  }

  // What every container alert must carry.
  void expect_context(const Alert& a, const Pod& pod) {
    EXPECT_EQ(field(a, "container.id"), pod.cid.substr(0, 12)) << a.output;
    EXPECT_EQ(field(a, "k8s.pod.name"), pod.name) << a.output;
    EXPECT_EQ(field(a, "k8s.ns.name"), ns_) << a.output;
    EXPECT_EQ(field(a, "user.name"), "root") << a.output;
    EXPECT_EQ(a.hostname, cluster_.node_name);
  }

  static inline std::string setup_error_;
  static inline LocalCluster cluster_;
  static inline std::string src_, ns_, rootfs_;
  static inline Pod app_, web_;
  static inline Subprocess* detector_ = nullptr;
  static inline int ops_port_ = 0;
  static inline AlertFile alerts_;
};

// "Terminal shell in container" is tested on the real node (real_node_e2e_test): Falco's
// rule wants the container runtime as the shell's parent, which only a real `kubectl exec`
// gives; a pod-shell.sh shell's parent is sh or unshare.

TEST_F(SensorE2E, PackageManagerInContainer) {
  ASSERT_EQ(pod_shell(app_, "/sbin/apk add e2e-curl; true"), 0);
  auto a = alerts_.wait([](const Alert& x) {
    // a script: the kernel runs "/bin/sh /sbin/apk add e2e-curl", comm stays "apk"
    return x.rule == "Launch Package Management Process in Container" &&
           field(x, "proc.cmdline").find("e2e-curl") != std::string::npos;
  });
  ASSERT_TRUE(a) << detector_->log_tail();
  EXPECT_EQ(a->priority, Priority::kError);
  expect_context(*a, app_);
  EXPECT_EQ(field(*a, "proc.name"), "apk");
  EXPECT_EQ(field(*a, "proc.pname"), "sh");
}

TEST_F(SensorE2E, WriteBelowEtcInHttpdContainer) {
  ASSERT_EQ(pod_shell(web_, "/bin/sed -i 's/^root:/root:/' /etc/passwd; true", false, /*overlay=*/true), 0);
  auto a = alerts_.wait([](const Alert& x) {
    return x.rule == "Write below etc" && field(x, "proc.name") == "sed" && field(x, "k8s.pod.name") == "web";
  });
  ASSERT_TRUE(a) << detector_->log_tail();
  EXPECT_EQ(a->priority, Priority::kError);
  expect_context(*a, web_);
  EXPECT_EQ(field(*a, "container.image.repository"), "httpd");
  EXPECT_EQ(field(*a, "proc.pname"), "sh");
  // busybox sed writes a temporary file beside the target, then renames it over
  EXPECT_EQ(field(*a, "fd.name").rfind("/etc/passwd", 0), 0u) << field(*a, "fd.name");
}

TEST_F(SensorE2E, WriteBelowBinaryDirs) {
  ASSERT_EQ(pod_shell(app_, "/bin/touch /usr/local/bin/x; /bin/touch /usr/bin/e2e-x; true", false, true), 0);
  // Falco's "Write below binary dir" covers /bin, /sbin, /usr/bin and /usr/sbin; /usr/local/bin
  // is in its monitored_directories, which "Write below monitored dir" covers.
  auto local = alerts_.wait([](const Alert& x) {
    return x.rule == "Write below monitored dir" && field(x, "fd.name") == "/usr/local/bin/x";
  });
  ASSERT_TRUE(local) << detector_->log_tail();
  EXPECT_EQ(local->priority, Priority::kError);
  expect_context(*local, app_);
  EXPECT_EQ(field(*local, "proc.name"), "touch");
  EXPECT_EQ(field(*local, "proc.pname"), "sh");
  auto bin = alerts_.wait([](const Alert& x) {
    return x.rule == "Write below binary dir" && field(x, "fd.name") == "/usr/bin/e2e-x";
  });
  ASSERT_TRUE(bin) << detector_->log_tail();
  EXPECT_EQ(bin->priority, Priority::kError);
  expect_context(*bin, app_);
  EXPECT_EQ(field(*bin, "proc.name"), "touch");
}

TEST_F(SensorE2E, ReadTlsSecretByNonNginx) {
  ASSERT_EQ(pod_shell(app_, "/bin/cat /etc/nginx/tls/tls.key; true"), 0);
  auto a = alerts_.wait(rule_in("Unauthorized Access to Nginx TLS Secrets", app_));
  ASSERT_TRUE(a) << detector_->log_tail();
  EXPECT_EQ(a->priority, Priority::kWarning);
  expect_context(*a, app_);
  EXPECT_EQ(field(*a, "proc.name"), "cat");
  EXPECT_EQ(field(*a, "proc.pname"), "sh");
  EXPECT_EQ(field(*a, "fd.name"), "/etc/nginx/tls/tls.key");
}

TEST_F(SensorE2E, ReadSensitiveFileUntrusted) {
  ASSERT_EQ(pod_shell(app_, "cd /etc && /bin/cat ./shadow; true"), 0);
  auto a = alerts_.wait(rule_in("Read sensitive file untrusted", app_));
  ASSERT_TRUE(a) << detector_->log_tail();
  EXPECT_EQ(a->priority, Priority::kWarning);
  expect_context(*a, app_);
  EXPECT_EQ(field(*a, "proc.name"), "cat");
  EXPECT_EQ(field(*a, "proc.pname"), "sh");
  EXPECT_EQ(field(*a, "fd.name"), "/etc/shadow") << "relative path resolved in the container's root";
}

TEST_F(SensorE2E, DropAndExecuteNewBinary) {
  // The copy lands in the overlay's upper layer: not part of the image.
  ASSERT_EQ(pod_shell(app_, "/bin/cp /bin/busybox /tmp/true && /tmp/true; true", false, true), 0);
  auto a = alerts_.wait(rule_in("Drop and execute new binary in container", app_));
  ASSERT_TRUE(a) << detector_->log_tail();
  EXPECT_EQ(a->priority, Priority::kCritical);
  expect_context(*a, app_);
  EXPECT_EQ(field(*a, "proc.name"), "true");
  EXPECT_EQ(field(*a, "proc.pname"), "sh");
  EXPECT_EQ(field(*a, "proc.exepath"), "/tmp/true");
}

TEST_F(SensorE2E, ShortLivedProcessInANewPodHasPodContext) {
  // A pod the detector has not seen yet, and a process that lives about a millisecond: by
  // the time its records are read it is gone from /proc; the records and the pod watch (or
  // the list on a miss) must be enough.
  Pod flash;
  std::string err;
  ASSERT_TRUE(create_pod("flash", "busybox:1.36", &flash, &err)) << err;
  ASSERT_EQ(pod_shell(flash, "/bin/cat /etc/shadow"), 0);
  auto a = alerts_.wait(rule_in("Read sensitive file untrusted", flash));
  ASSERT_TRUE(a) << detector_->log_tail();
  expect_context(*a, flash);
  EXPECT_EQ(field(*a, "proc.name"), "cat");
  EXPECT_EQ(field(*a, "fd.name"), "/etc/shadow");
}

TEST_F(SensorE2E, SameActionsOnTheHostDoNotFireContainerRules) {
  testing::TempDir dir;
  write_file(dir.path() + "/apk", "#!/bin/sh\necho \"apk $*\"\n", 0755);
  fs::copy_file("/bin/true", dir.path() + "/dropped-true");
  const std::string host = "script -qec \"/bin/sh -c 'echo e2e-host-terminal'\" /dev/null >/dev/null; " +
                           dir.path() + "/apk add e2e-host-curl >/dev/null; " + dir.path() + "/dropped-true";
  ASSERT_EQ(std::system(host.c_str()), 0);
  // Records are read in kernel order: once an alert for a later action is in, the host
  // actions before it have been evaluated.
  ASSERT_EQ(pod_shell(app_, "/bin/cat /etc/shadow /e2e-host-sentinel; true"), 0);
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
  auto ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  ASSERT_EQ(pod_shell(app_, "/bin/cat /etc/shadow; true"), 0);
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
