// riposte-audit against the local control plane (fixture `cluster`, started with
// RIPOSTE_AUDIT_WEBHOOK=1): kube-apiserver posts its audit events to riposte-audit over mutual
// TLS (certificates from the cluster's PKI), riposte-audit evaluates Falco's k8s_audit_rules.yaml
// (../shared/falco-rules, unchanged) and publishes on RIPOSTE_ALERTS with its shipped NATS
// user; riposte-responder runs the shipped playbooks (playbooks/, chat webhook pointed at this
// test). Each test does something with kubectl and asserts the alert's fields and the
// playbook's effect in the cluster.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "common/alert.h"
#include "common/nats.h"
#include "tests/support/local_cluster.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte::testing {
namespace {

constexpr char kPlaceholderUrl[] = "https://hooks.slack.com/services/REPLACE/WITH/YOURS";

std::string env_of(const LocalCluster& c, const std::string& key) {
  auto it = c.env.find(key);
  return it == c.env.end() ? "" : it->second;
}

class AuditE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(load_local_cluster(&cluster_));
    const std::string port = env_of(cluster_, "RIPOSTE_AUDIT_WEBHOOK_PORT");
    ASSERT_FALSE(port.empty()) << "the cluster was brought up without RIPOSTE_AUDIT_WEBHOOK=1 "
                                  "(tests/CMakeLists.txt's cluster_up sets it)";
    const std::string src = std::getenv("RIPOSTE_SOURCE_DIR");
    const std::string bin = std::string(std::getenv("RIPOSTE_BINARY_DIR")) + "/bin/";
    static int test_number = 0;  // each test its own namespace, consumers, names
    tag_ = std::to_string(getpid()) + "-" + std::to_string(++test_number);
    ns_ = "audit-e2e-" + tag_;
    ASSERT_EQ(create_namespace(cluster_, ns_), "");
    dir_ = make_temp_dir("riposte-audit-e2e");

    hook_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      hooks_.push_back(req.body);
      res.set_content("ok", "text/plain");
    });
    const int hook_port = hook_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(hook_port, 0);
    hook_thread_ = std::thread([this] { hook_.listen_after_bind(); });
    for (const auto& e : std::filesystem::directory_iterator(src + "/playbooks")) {
      std::string text = read_file(e.path());
      for (size_t at; (at = text.find(kPlaceholderUrl)) != std::string::npos;)
        text.replace(at, std::strlen(kPlaceholderUrl),
                     "http://127.0.0.1:" + std::to_string(hook_port) + "/hook");
      std::filesystem::create_directories(dir_ + "/playbooks");
      std::ofstream(dir_ + "/playbooks/" + e.path().filename().string()) << text;
    }

    ops_port_ = pick_free_port();
    std::vector<std::string> audit = {bin + "riposte-audit",
                                      "--rules",
                                      src + "/../shared/falco-rules/k8s_audit_rules.yaml",
                                      "--host",
                                      "127.0.0.1",
                                      "--port",
                                      port,
                                      "--tls-cert",
                                      env_of(cluster_, "RIPOSTE_AUDIT_TLS_CERT"),
                                      "--tls-key",
                                      env_of(cluster_, "RIPOSTE_AUDIT_TLS_KEY"),
                                      "--client-ca",
                                      env_of(cluster_, "RIPOSTE_AUDIT_CLIENT_CA"),
                                      "--allowed-client",
                                      "kube-apiserver-audit",
                                      "--ops-addr",
                                      "127.0.0.1:" + std::to_string(ops_port_)};
    for (const auto& f : cluster_.nats_flags("audit")) audit.push_back(f);
    auto a = spawn_ready(audit, {}, dir_ + "/riposte-audit.log", "audit webhook running");
    ASSERT_TRUE(a.ok()) << a.error();
    audit_ = std::move(*a);

    std::vector<std::string> responder = {bin + "riposte-responder",
                                          "--playbooks",
                                          dir_ + "/playbooks",
                                          "--kubeconfig",
                                          cluster_.kubeconfig,
                                          "--durable",
                                          "audit-e2e-" + tag_,
                                          "--ops-addr",
                                          "127.0.0.1:0",
                                          "--replica-name",
                                          "audit-e2e-" + tag_};
    for (const auto& f : cluster_.nats_flags("responder")) responder.push_back(f);
    auto r = spawn_ready(responder, {}, dir_ + "/responder.log", "responder running");
    ASSERT_TRUE(r.ok()) << r.error();
    responder_ = std::move(*r);

    // Reads the alerts as the responder's user may (a consumer of its own on the stream).
    auto c = nats::Connection::connect(cluster_.nats_options("responder", "audit-e2e-reader"));
    ASSERT_TRUE(c.ok()) << c.error();
    conn_ = std::move(*c);
    auto pc = conn_->pull_consumer({.stream = kAlertStream,
                                    .durable = "audit-e2e-reader-" + tag_,
                                    .filter_subject = kAlertSubjects});
    ASSERT_TRUE(pc.ok()) << pc.error();
    reader_ = std::move(*pc);
  }

  void TearDown() override {
    if (HasFailure()) {
      if (audit_) std::cerr << "riposte-audit log:\n" << audit_->log_tail(16384);
      if (responder_) std::cerr << "responder log:\n" << responder_->log_tail(16384);
    }
    if (responder_) responder_->stop();
    if (audit_) audit_->stop();
    hook_.stop();
    if (hook_thread_.joinable()) hook_thread_.join();
    for (const auto& cr : cluster_objects_) kubectl(cluster_, "delete " + cr + " --wait=false");
    kubectl(cluster_, "delete namespace " + ns_ + " --wait=false");
  }

  // Waits for the k8s_audit alert of `rule` whose field `key` is `value`.
  Alert await_alert(const std::string& rule, const std::string& key, const std::string& value) {
    Alert found;
    const bool ok = eventually(
        [&] {
          auto msgs = reader_->fetch(64, 500);
          if (!msgs.ok()) return false;
          for (auto& m : *msgs) {
            (void)m.ack();
            auto a = parse_alert(m.data());
            if (!a.ok() || a->rule != rule || a->source != "k8s_audit") continue;
            auto it = a->output_fields.find(key);
            if (it != a->output_fields.end() && *it == value) {
              found = *a;
              return true;
            }
          }
          return false;
        },
        60000);
    EXPECT_TRUE(ok) << "no \"" << rule << "\" alert with " << key << "=" << value;
    return found;
  }

  std::string get(const std::string& what, const std::string& jsonpath) {
    return trim(
        kubectl(cluster_, "-n " + ns_ + " get " + what + " -o 'jsonpath={" + jsonpath + "}'"));
  }
  bool hooked(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& h : hooks_)
      if (h.find(text) != std::string::npos) return true;
    return false;
  }
  std::string apply(const std::string& name, const std::string& yaml) {
    const std::string path = dir_ + "/" + name + ".yaml";
    std::ofstream(path) << yaml;
    int rc = 0;
    std::string out = kubectl(cluster_, "-n " + ns_ + " create -f " + path, &rc);
    EXPECT_EQ(rc, 0) << out;
    return out;
  }
  double metric(const std::string& line_prefix) {
    httplib::Client ops("127.0.0.1", ops_port_);
    auto res = ops.Get("/metrics");
    if (!res) return -1;
    std::istringstream in(res->body);
    for (std::string l; std::getline(in, l);)
      if (l.rfind(line_prefix + " ", 0) == 0) return std::stod(l.substr(line_prefix.size() + 1));
    return 0;
  }

  LocalCluster cluster_;
  std::string tag_, ns_, dir_;
  int ops_port_ = 0;
  std::unique_ptr<Subprocess> audit_, responder_;
  std::unique_ptr<nats::Connection> conn_;
  std::unique_ptr<nats::PullConsumer> reader_;
  httplib::Server hook_;
  std::thread hook_thread_;
  std::mutex mu_;
  std::vector<std::string> hooks_;
  std::vector<std::string> cluster_objects_;
};

const char* kPlainPod = R"(apiVersion: v1
kind: Pod
metadata: {name: NAME}
spec:
  containers: [{name: c, image: busybox:1.36, command: [sleep, "3600"]PRIV}]
)";

std::string pod_yaml(const std::string& name, bool privileged) {
  std::string y = kPlainPod;
  y.replace(y.find("NAME"), 4, name);
  y.replace(y.find("PRIV"), 4, privileged ? ", securityContext: {privileged: true}" : "");
  return y;
}

TEST_F(AuditE2E, CreatePrivilegedPodIsDeletedByThePlaybook) {
  apply("priv", pod_yaml("priv", true));
  Alert a = await_alert("Create Privileged Pod", "ka.resp.name", "priv");
  EXPECT_EQ(a.output_fields["ka.target.namespace"], ns_);
  EXPECT_EQ(a.output_fields["ka.user.name"], "riposte-admin");
  EXPECT_EQ(a.output_fields["ka.target.resource"], "pods");
  EXPECT_EQ(a.output_fields["ka.req.pod.containers.image"], "(busybox:1.36)");
  EXPECT_EQ(a.priority, Priority::kWarning);
  // The playbook deleted it (the pod is gone, and no one else deletes pods here).
  EXPECT_TRUE(eventually(
      [&] {
        int rc = 0;
        std::string out = kubectl(cluster_, "-n " + ns_ + " get pod priv", &rc);
        return rc != 0 && out.find("NotFound") != std::string::npos;
      },
      60000))
      << "the privileged pod is still there";
  EXPECT_GE(metric("riposte_audit_alerts_total"), 1);
}

TEST_F(AuditE2E, ExecIntoAPodIsAnnotatedAndNotified) {
  apply("web", pod_yaml("web", false));
  ASSERT_TRUE(eventually([&] { return get("pod web", ".spec.nodeName") != ""; }, 60000));
  // The kwok node has no kubelet to run it: the exec fails after the API server has
  // authorized and audited it (pods/exec create, stage ResponseStarted or a failed complete).
  int rc = 0;
  kubectl(cluster_, "-n " + ns_ + " exec web -- id", &rc);
  Alert a = await_alert("Attach/Exec Pod", "ka.target.name", "web");
  EXPECT_EQ(a.output_fields["ka.target.namespace"], ns_);
  EXPECT_EQ(a.output_fields["ka.target.subresource"], "exec");
  EXPECT_EQ(a.output_fields["ka.user.name"], "riposte-admin");
  EXPECT_EQ(a.output_fields["ka.uri.param[command]"], "id");
  EXPECT_TRUE(eventually(
      [&] {
        return get("pod web", ".metadata.annotations.riposte\\.dev/exec-by") == "riposte-admin";
      },
      60000))
      << "pod not annotated";
  EXPECT_TRUE(eventually([&] { return hooked("ran exec in pod " + ns_ + "/web"); }, 60000))
      << "no notice";
}

TEST_F(AuditE2E, AClusterRoleWithWildcardsRaisesItsRule) {
  const std::string role = "audit-e2e-all-" + tag_;
  cluster_objects_.push_back("clusterrole " + role);
  int rc = 0;
  std::string out =
      kubectl(cluster_, "create clusterrole " + role + " --verb='*' --resource='*'", &rc);
  ASSERT_EQ(rc, 0) << out;
  Alert a = await_alert("ClusterRole With Wildcard Created", "ka.target.name", role);
  EXPECT_EQ(a.output_fields["ka.user.name"], "riposte-admin");
  EXPECT_EQ(a.output_fields["ka.target.resource"], "clusterroles");
  EXPECT_NE(a.output_fields["ka.req.role.rules"].get<std::string>().find("\"*\""),
            std::string::npos);
}

TEST_F(AuditE2E, ASecretReadByAUserNotInTheAllowedList) {
  // A user the cluster CA vouches for (a client certificate), allowed to read one Secret.
  const std::string user = "mallory-" + tag_;
  const std::string pki = std::filesystem::path(cluster_.ca_file).parent_path().string();
  const std::string key = dir_ + "/u.key", crt = dir_ + "/u.crt", csr = dir_ + "/u.csr";
  const std::string ssl =
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + user +
      " -keyout " + key + " -out " + csr + " 2>/dev/null && openssl x509 -req -in " + csr +
      " -CA " + pki + "/ca.crt -CAkey " + pki +
      "/ca.key -set_serial 0x$(openssl rand -hex 8) -days 1 -out " + crt + " 2>/dev/null";
  ASSERT_EQ(std::system(ssl.c_str()), 0);
  int rc = 0;
  kubectl(cluster_, "-n " + ns_ + " create secret generic db --from-literal=password=hunter2", &rc);
  ASSERT_EQ(rc, 0);
  kubectl(cluster_,
          "-n " + ns_ + " create role read-db --verb=get --resource=secrets --resource-name=db",
          &rc);
  ASSERT_EQ(rc, 0);
  kubectl(cluster_, "-n " + ns_ + " create rolebinding read-db --role=read-db --user=" + user, &rc);
  ASSERT_EQ(rc, 0);
  LocalCluster as_user = cluster_;
  as_user.kubeconfig = dir_ + "/u.kubeconfig";
  std::ofstream(as_user.kubeconfig)
      << "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: " << cluster_.server
      << ", certificate-authority: " << cluster_.ca_file << "}}]\n"
      << "users: [{name: u, user: {client-certificate: " << crt << ", client-key: " << key
      << "}}]\n"
      << "contexts: [{name: u, context: {cluster: c, user: u}}]\ncurrent-context: u\n";
  std::string out = kubectl(as_user, "-n " + ns_ + " get secret db -o name", &rc);
  ASSERT_EQ(rc, 0) << out;
  Alert a = await_alert("Disallowed K8s User", "ka.user.name", user);
  EXPECT_EQ(a.output_fields["ka.verb"], "get");
  EXPECT_EQ(a.output_fields["ka.target.name"], "db");
  EXPECT_EQ(a.output_fields["ka.target.resource"], "secrets");
  EXPECT_EQ(a.output_fields["ka.response.code"], "200");
}

}  // namespace
}  // namespace riposte::testing
