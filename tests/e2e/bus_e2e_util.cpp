#include "tests/e2e/bus_e2e_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "responder/alert_consumer.h"
#include "tests/support/shell_alert.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_util.h"

namespace riposte::testing {

DryRunSetup::DryRunSetup() {
  dir = make_temp_dir("riposte-bus-e2e");
  playbooks = dir + "/playbooks";
  std::filesystem::create_directories(playbooks);
  std::ofstream(playbooks + "/kill-shell.yaml") << R"(
name: kill-shell
dry_run: true
match: {rules: ["Terminal shell in container"], priority: ">=Notice"}
steps: [{action: pod.delete, params: {grace_period_seconds: 0}}]
)";
  const TestCert ca = make_ca("nowhere");
  std::ofstream(dir + "/ca.crt") << ca.cert_pem;
  kubeconfig = dir + "/kubeconfig";
  std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: "
                               "{server: \"https://127.0.0.1:1\", certificate-authority: " +
                                   dir + "/ca.crt}}]\nusers: [{name: u, user: {token: t}}]\n"
                                         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                                         "current-context: x\n";
}

std::unique_ptr<Subprocess> start_marker_detector(const std::string& dir, const std::string& rule,
                                                  const std::string& marker,
                                                  const std::string& nats_urls,
                                                  const std::string& ops_addr,
                                                  const std::vector<std::string>& credentials) {
  const std::string rules = dir + "/marker-rules.yaml";
  std::ofstream(rules) << "- rule: " << rule
                       << "\n"
                          "  desc: an exec of /bin/true with the test's marker argument\n"
                          "  condition: evt.type in (execve, execveat) and proc.name = true and "
                          "proc.cmdline contains "
                       << marker
                       << "\n"
                          "  output: marker exec (command=%proc.cmdline)\n"
                          "  priority: WARNING\n";
  const char* bin = std::getenv("RIPOSTE_BINARY_DIR");
  EXPECT_NE(bin, nullptr);
  if (!bin) return nullptr;
  std::vector<std::string> argv = {std::string(bin) + "/bin/riposte-detector",
                                   "--rules",
                                   rules,
                                   "--nats",
                                   nats_urls,
                                   "--no-kube",
                                   "--node-name",
                                   "marker-node",
                                   "--ops-addr",
                                   ops_addr};
  for (const auto& f : credentials.empty() ? shipped_auth_flags("riposte-detector") : credentials)
    argv.push_back(f);  // its rights only
  auto p = spawn_ready(argv, {}, dir + "/detector.log", "detector running", 60000);
  EXPECT_TRUE(p.ok()) << p.error();
  return p.ok() ? std::move(*p) : nullptr;
}

std::unique_ptr<Subprocess> start_responder(const ResponderSetup& setup,
                                            const std::string& nats_urls, const std::string& name,
                                            const std::vector<std::string>& extra) {
  // The servers run the shipped users and permissions (NatsServerOptions::shipped_auth).
  std::vector<std::string> nats_flags = {"--nats", nats_urls};
  for (const auto& f : shipped_auth_flags("riposte-responder")) nats_flags.push_back(f);
  return start_responder_as(setup, nats_flags, name, extra);
}

std::unique_ptr<Subprocess> start_responder_as(const ResponderSetup& setup,
                                               const std::vector<std::string>& nats_flags,
                                               const std::string& name,
                                               const std::vector<std::string>& extra) {
  const char* bin_dir = std::getenv("RIPOSTE_BINARY_DIR");
  std::vector<std::string> argv = {std::string(bin_dir ? bin_dir : ".") + "/bin/riposte-responder",
                                   "--playbooks",
                                   setup.playbooks,
                                   "--kubeconfig",
                                   setup.kubeconfig,
                                   "--replica-name",
                                   name,
                                   "--ops-addr",
                                   "127.0.0.1:0",
                                   "--ack-wait",
                                   "2s",
                                   "--nak-backoff",
                                   "100ms",
                                   "--workers",
                                   "2"};
  argv.insert(argv.end(), nats_flags.begin(), nats_flags.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = spawn_ready(argv, setup.env, setup.dir + "/" + name + ".log", "responder running");
  EXPECT_TRUE(p.ok()) << name << ": " << p.error();
  return p.ok() ? std::move(*p) : nullptr;
}

Alert numbered_alert(int i) { return numbered_shell_alert(i, "shop", "web-" + std::to_string(i)); }

void publish_until_stored(nats::Connection& conn, const Alert& a) {
  const std::string subject = alert_subject(a), payload = to_json(a), id = alert_dedup_key(a);
  for (int attempt = 0; attempt < 600; ++attempt) {
    if (conn.js_publish(subject, payload, id).ok()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "alert " << id << " was never stored";
}

AuditWatcher::AuditWatcher(nats::Connection& conn) {
  auto sub = conn.subscribe("riposte.actions.run.>", "", [this](nats::Message&& m) {
    auto j = nlohmann::json::parse(m.data(), nullptr, false);
    if (!j.is_object()) return;
    std::lock_guard<std::mutex> lock(mu_);
    by_alert_[j.value("alert_id", "")].push_back(std::move(j));
  });
  EXPECT_TRUE(sub.ok()) << sub.error();
  if (sub.ok()) sub_ = std::move(*sub);
  (void)conn.flush(2000);
}

size_t AuditWatcher::distinct() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_alert_.size();
}

std::vector<std::string> AuditWatcher::ran_twice() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, records] : by_alert_) {
    for (const auto& r : records) {
      // A re-published record is the same record; a second run has its own start and replica.
      if (r["started"] != records.front()["started"] || r["replica"] != records.front()["replica"]) {
        out.push_back(id);
        break;
      }
    }
  }
  return out;
}

std::map<std::string, std::vector<nlohmann::json>> stored_run_records(nats::Connection& conn) {
  static std::atomic<int> reads{0};
  std::map<std::string, std::vector<nlohmann::json>> out;
  const std::string name = "check-" + std::to_string(getpid()) + "-" + std::to_string(reads++);
  Result<std::unique_ptr<nats::PullConsumer>> pull = Error{"not tried"};
  // Right after a node's loss the cluster may still be electing leaders: creating a consumer
  // times out until it is done.
  eventually(
      [&] {
        pull = conn.pull_consumer({.stream = responder::kActionStream,
                                   .durable = name,
                                   .filter_subject = "riposte.actions.run.>"});
        return pull.ok();
      },
      60000);
  EXPECT_TRUE(pull.ok()) << pull.error();
  if (!pull.ok()) return out;
  // The first fetch waits longer: a consumer created during elections answers late.
  for (int wait_ms = 5000;; wait_ms = 500) {
    auto msgs = (*pull)->fetch(1000, wait_ms);
    if (!msgs.ok() || msgs->empty()) break;
    for (auto& m : *msgs) {
      auto j = nlohmann::json::parse(m.data(), nullptr, false);
      if (j.is_object()) out[j.value("alert_id", "")].push_back(std::move(j));
      (void)m.ack();
    }
  }
  return out;
}

size_t undelivered_or_unacked(nats::Connection& conn, int wait_ms) {
  auto pull = conn.pull_consumer({.stream = kAlertStream,
                                  .durable = responder::kDefaultDurable,
                                  .filter_subject = kAlertSubjects,
                                  .ack_wait_ms = 2000,
                                  .max_deliver = 6});
  EXPECT_TRUE(pull.ok()) << pull.error();
  if (!pull.ok()) return 0;
  auto msgs = (*pull)->fetch(1000, wait_ms);
  EXPECT_TRUE(msgs.ok()) << msgs.error();
  return msgs.ok() ? msgs->size() : 0;
}

}  // namespace riposte::testing
