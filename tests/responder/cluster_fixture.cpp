#include "tests/responder/cluster_fixture.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include "responder/actions/registry.h"
#include "tests/support/test_util.h"

namespace riposte::testing {
namespace {

// Applies deploy/rbac/responder-clusterrole.yaml (once per process) and returns a fresh token
// of its ServiceAccount, or "" after recording a failure.
std::string responder_token(const LocalCluster& c) {
  static std::mutex mu;
  static std::string token;
  std::lock_guard<std::mutex> lock(mu);
  if (!token.empty()) return token;
  const char* src = std::getenv("RIPOSTE_SOURCE_DIR");
  const std::string yaml = std::string(src ? src : ".") + "/deploy/rbac/responder-clusterrole.yaml";
  int rc = 0;
  std::string out = kubectl(c, "get namespace riposte", &rc);
  if (rc != 0) out = kubectl(c, "create namespace riposte", &rc);
  if (rc != 0) {
    ADD_FAILURE() << "kubectl create namespace riposte: " << out;
    return "";
  }
  out = kubectl(c, "apply -f " + yaml, &rc);
  if (rc != 0) {
    ADD_FAILURE() << "kubectl apply -f " << yaml << ": " << out;
    return "";
  }
  out = trim(kubectl(c, "-n riposte create token riposte-responder --duration=2h", &rc));
  if (rc != 0 || out.empty() || out.find(' ') != std::string::npos) {
    ADD_FAILURE() << "kubectl create token: " << out;
    return "";
  }
  token = out;
  return token;
}

}  // namespace

std::string ClusterFixture::random_suffix() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 8; ++i) s += "0123456789abcdef"[rd() % 16];
  return s;
}

void ClusterFixture::SetUp() {
  ASSERT_TRUE(load_local_cluster(&cluster_));
  auto cfg = kube::load_kubeconfig(cluster_.kubeconfig);
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  config_ = *cfg;
  kube_ = client(config_);
  ASSERT_NE(kube_, nullptr);
  const std::string token = responder_token(cluster_);
  ASSERT_FALSE(token.empty());
  responder_config_ = config_;
  responder_config_.client_cert_pem.clear();
  responder_config_.client_key_pem.clear();
  responder_config_.token = token;
  responder_ = client(responder_config_);
  ASSERT_NE(responder_, nullptr);
  ns_ = "riposte-rt-" + random_suffix();
  auto created = create("/api/v1/namespaces",
                        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}});
  ASSERT_TRUE(created.ok()) << created.error();
}

void ClusterFixture::TearDown() {
  if (!kube_) return;
  if (!ns_.empty()) (void)kube_->request({.method = "DELETE", .path = "/api/v1/namespaces/" + ns_});
  for (const auto& n : nodes_) (void)kube_->request({.method = "DELETE", .path = "/api/v1/nodes/" + n});
}

std::unique_ptr<kube::HttpKubeClient> ClusterFixture::client(const kube::KubeConfig& c) {
  kube::HttpClientOptions o;
  o.initial_backoff = std::chrono::milliseconds(50);
  auto cli = kube::HttpKubeClient::create(c, o);
  EXPECT_TRUE(cli.ok()) << cli.error();
  return cli.ok() ? std::move(*cli) : nullptr;
}

Result<nlohmann::json> ClusterFixture::create(const std::string& path, const json& body) {
  std::string last;
  for (int i = 0; i < 100; ++i) {
    auto res = kube_->request({.method = "POST", .path = path, .body = body.dump()});
    if (!res) return res.err();
    auto err = kube::classify(*res);
    if (!err) return json::parse(res->body);
    last = err->describe();
    if (err->kind != kube::KubeError::kForbidden && err->kind != kube::KubeError::kNotFound) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Error{"POST " + path + ": " + last};
}

nlohmann::json ClusterFixture::get(const std::string& path) {
  auto res = kube_->request({.method = "GET", .path = path});
  EXPECT_TRUE(res.ok()) << res.error();
  if (!res.ok() || res->status == 404) return nullptr;
  EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  return json::parse(res->body, nullptr, false);
}

int ClusterFixture::status_of(const std::string& path) {
  auto res = kube_->request({.method = "GET", .path = path});
  EXPECT_TRUE(res.ok()) << res.error();
  return res.ok() ? res->status : -1;
}

bool ClusterFixture::gone_within(const std::string& path, std::chrono::seconds limit) {
  return eventually([&] { return status_of(path) == 404; }, limit);
}

bool ClusterFixture::eventually(const std::function<bool()>& pred, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return pred();
}

std::string ClusterFixture::create_pod(const std::string& name, const std::string& node,
                                       const json& labels) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", name}, {"labels", labels}}},
              {"spec",
               {{"nodeName", node.empty() ? cluster_.node_name : node},
                {"containers", {{{"name", "app"}, {"image", "registry.k8s.io/pause:3.10"}}}}}}};
  auto created = create("/api/v1/namespaces/" + ns_ + "/pods", pod);
  EXPECT_TRUE(created.ok()) << created.error();
  return created.ok() ? (*created)["metadata"]["uid"].get<std::string>() : "";
}

void ClusterFixture::create_deployment(const std::string& name, int replicas,
                                       const std::string& node_label) {
  json spec = {{"containers", {{{"name", "app"}, {"image", "registry.k8s.io/pause:3.10"}}}}};
  if (!node_label.empty()) spec["nodeSelector"] = {{"riposte.dev/test-node", node_label}};
  json d = {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"replicas", replicas},
              {"selector", {{"matchLabels", {{"app", name}}}}},
              {"template", {{"metadata", {{"labels", {{"app", name}}}}}, {"spec", spec}}}}}};
  auto created = create(apps_path("deployments"), d);
  EXPECT_TRUE(created.ok()) << created.error();
}

std::vector<std::string> ClusterFixture::live_pods(const std::string& selector) {
  kube::KubeRequest req{.method = "GET", .path = "/api/v1/namespaces/" + ns_ + "/pods"};
  if (!selector.empty()) req.query = {{"labelSelector", selector}};
  auto res = kube_->request(req);
  std::vector<std::string> out;
  if (!res.ok() || res->status != 200) {
    ADD_FAILURE() << "listing pods: " << (res.ok() ? res->body : res.error());
    return out;
  }
  const json list = json::parse(res->body);  // named: a temporary would die before the loop
  for (const auto& p : list["items"]) {
    if (!p["metadata"].contains("deletionTimestamp")) out.push_back(p["metadata"]["name"]);
  }
  return out;
}

bool ClusterFixture::deployment_ready(const std::string& name, int ready) {
  return eventually([&] {
    json d = get(apps_path("deployments", name));
    if (!d.is_object() || !d.contains("status")) return false;
    return d["status"].value("readyReplicas", 0) == ready && d["status"].value("replicas", 0) == ready;
  });
}

std::string ClusterFixture::create_node() {
  const std::string name = "riposte-rt-node-" + random_suffix();
  json node = {
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata",
       {{"name", name},
        {"annotations", {{"kwok.x-k8s.io/node", "fake"}, {"node.alpha.kubernetes.io/ttl", "0"}}},
        {"labels",
         {{"type", "kwok"}, {"kubernetes.io/hostname", name}, {"riposte.dev/test-node", name}}}}},
      {"status",
       {{"allocatable", {{"cpu", "16"}, {"memory", "64Gi"}, {"pods", "110"}}},
        {"capacity", {{"cpu", "16"}, {"memory", "64Gi"}, {"pods", "110"}}}}}};
  auto created = create("/api/v1/nodes", node);
  EXPECT_TRUE(created.ok()) << created.error();
  nodes_.push_back(name);
  // kwok takes it over and reports it Ready; only then does the scheduler use it.
  EXPECT_TRUE(eventually([&] {
    json n = get("/api/v1/nodes/" + name);
    if (!n.is_object()) return false;
    for (const auto& c : n["status"].value("conditions", json::array())) {
      if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
    }
    return false;
  })) << "kwok did not report node " << name << " Ready";
  return name;
}

actions::ActionResult ClusterFixture::run(std::string_view action, const std::string& params_yaml,
                                          const Alert& alert, bool dry_run, kube::KubeClient* kube) {
  const actions::Action* a = actions::ActionRegistry::builtin().find(action);
  if (!a) return actions::ActionResult::failed("no action " + std::string(action));
  YAML::Node params = YAML::Load(params_yaml);
  for (const auto& e : a->validate(params)) ADD_FAILURE() << action << ": " << e.message;
  actions::Guardrails guardrails;
  actions::ActionContext ctx{alert, params, kube ? *kube : *responder_, guardrails, dry_run,
                             "cluster-test"};
  return a->execute(ctx);
}

}  // namespace riposte::testing
