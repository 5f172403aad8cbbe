// The Kubernetes client's configurations against the real kube-apiserver of the local
// control plane (ctest fixture `cluster`): CA and client certificate as files and as inline
// data, bearer tokens inline and from a file, in-cluster config from a service-account
// directory, and wrong credentials failing closed. A SelfSubjectReview says who the server
// took us for, so each test proves which credential was used.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/kube/http_kube_client.h"
#include "common/kube/kube_config.h"
#include "tests/support/local_cluster.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_util.h"

namespace riposte::kube {
namespace {

using riposte::testing::trim;

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class KubeClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::load_local_cluster(&cluster_));
    cert_ = cluster_.env["RIPOSTE_KUBE_CLIENT_CERT"];
    key_ = cluster_.env["RIPOSTE_KUBE_CLIENT_KEY"];
    ASSERT_FALSE(cert_.empty() || key_.empty() || cluster_.ca_file.empty());
  }

  // A kubeconfig with `cluster` and `user` entries given as YAML mapping bodies.
  std::string kubeconfig(const std::string& cluster, const std::string& user) {
    return dir_.write("kubeconfig-" + std::to_string(++n_),
                      "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: " +
                          cluster_.server + ", " + cluster + "}\nusers:\n- name: u\n  user: {" +
                          user + "}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n" +
                          "current-context: x\n");
  }

  // A token of a fresh ServiceAccount in default (no rights needed: whoami is open to all).
  std::string sa_token() {
    int rc = 0;
    testing::kubectl(cluster_, "-n default create serviceaccount riposte-kube-test", &rc);
    std::string token = trim(testing::kubectl(
        cluster_, "-n default create token riposte-kube-test --duration=10m", &rc));
    EXPECT_EQ(rc, 0) << token;
    return token;
  }

  // Who the API server says we are, or the error.
  static std::string whoami(const KubeConfig& cfg) {
    auto cli = HttpKubeClient::create(cfg);
    if (!cli) return "create: " + cli.error();
    auto res = (*cli)->request(
        {.method = "POST",
         .path = "/apis/authentication.k8s.io/v1/selfsubjectreviews",
         .body = R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})"});
    if (!res) return "transport: " + res.error();
    if (auto err = classify(*res)) return err->describe();
    return json::parse(res->body)["status"]["userInfo"]["username"];
  }

  testing::LocalCluster cluster_;
  testing::TempDir dir_;
  std::string cert_, key_;
  int n_ = 0;
};

TEST_F(KubeClusterTest, CaAndClientCertificateAsFilesOrInlineData) {
  auto files = load_kubeconfig(kubeconfig("certificate-authority: " + cluster_.ca_file,
                                          "client-certificate: " + cert_ + ", client-key: " + key_));
  ASSERT_TRUE(files.ok()) << files.error();
  EXPECT_EQ(whoami(*files), "riposte-admin");

  // cluster.sh's own kubeconfig carries everything as *-data.
  auto inline_data = load_kubeconfig(cluster_.kubeconfig);
  ASSERT_TRUE(inline_data.ok()) << inline_data.error();
  EXPECT_EQ(whoami(*inline_data), "riposte-admin");
  EXPECT_EQ(inline_data->ca_pem, slurp(cluster_.ca_file));
}

TEST_F(KubeClusterTest, BearerTokenInlineAndFromAFile) {
  const std::string token = sa_token();
  ASSERT_FALSE(token.empty());
  auto inline_token = load_kubeconfig(
      kubeconfig("certificate-authority: " + cluster_.ca_file, "token: " + token));
  ASSERT_TRUE(inline_token.ok()) << inline_token.error();
  EXPECT_EQ(whoami(*inline_token), "system:serviceaccount:default:riposte-kube-test");

  auto file = load_kubeconfig(kubeconfig("certificate-authority: " + cluster_.ca_file,
                                         "tokenFile: " + dir_.write("token", token + "\n")));
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_EQ(whoami(*file), "system:serviceaccount:default:riposte-kube-test");
}

TEST_F(KubeClusterTest, InClusterConfigFromAServiceAccountDirectory) {
  const std::string token = sa_token();
  ASSERT_FALSE(token.empty());
  dir_.write("sa/token", token);
  dir_.write("sa/ca.crt", slurp(cluster_.ca_file));
  dir_.write("sa/namespace", "default");
  const std::string port = cluster_.server.substr(cluster_.server.rfind(':') + 1);
  testing::ScopedEnv host("KUBERNETES_SERVICE_HOST", "127.0.0.1");
  testing::ScopedEnv service_port("KUBERNETES_SERVICE_PORT", port.c_str());
  auto cfg = load_in_cluster_config(dir_.path() + "/sa");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->server, cluster_.server);
  EXPECT_EQ(cfg->namespace_, "default");
  EXPECT_EQ(whoami(*cfg), "system:serviceaccount:default:riposte-kube-test");
}

TEST_F(KubeClusterTest, WrongCredentialsFailClosed) {
  // A CA that did not sign the server's certificate: no request is answered.
  const std::string other_ca = dir_.write("other-ca.crt", testing::make_ca("other").cert_pem);
  auto wrong_ca = load_kubeconfig(kubeconfig("certificate-authority: " + other_ca,
                                             "client-certificate: " + cert_ + ", client-key: " + key_));
  ASSERT_TRUE(wrong_ca.ok()) << wrong_ca.error();
  EXPECT_THAT(whoami(*wrong_ca), AllOf(HasSubstr("transport: "),
                                       HasSubstr("certificate verification failed"),
                                       HasSubstr(other_ca)));

  // A client certificate from a CA the server does not trust: anonymous is not assumed.
  testing::TestCert ca = testing::make_ca("rogue");
  testing::TestCert rogue = testing::make_leaf(ca, "riposte-admin", {}, false, "system:masters");
  auto forged = load_kubeconfig(kubeconfig(
      "certificate-authority: " + cluster_.ca_file,
      "client-certificate: " + dir_.write("rogue.crt", rogue.cert_pem) +
          ", client-key: " + dir_.write("rogue.key", rogue.key_pem)));
  ASSERT_TRUE(forged.ok()) << forged.error();
  EXPECT_THAT(whoami(*forged), HasSubstr("unauthorized (401)"));

  auto bad_token = load_kubeconfig(
      kubeconfig("certificate-authority: " + cluster_.ca_file, "token: not-a-token"));
  ASSERT_TRUE(bad_token.ok()) << bad_token.error();
  EXPECT_THAT(whoami(*bad_token), HasSubstr("unauthorized (401)"));
}

}  // namespace
}  // namespace riposte::kube
