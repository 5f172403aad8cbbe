#include "common/kube/kube_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "tests/support/test_pki.h"
#include "tests/support/test_util.h"

namespace riposte::kube {
namespace {

using riposte::testing::ScopedEnv;
using riposte::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string b64(const std::string& s) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t n = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(n >> (6 * k)) & 63];
  }
  if (size_t rest = s.size() - i) {
    uint32_t n = uint8_t(s[i]) << 16 | (rest == 2 ? uint8_t(s[i + 1]) << 8 : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

class KubeConfigTest : public ::testing::Test {
 protected:
  KubeConfigTest()
      : ca_(testing::make_ca("test-ca")),
        client_(testing::make_leaf(ca_, "alice", {}, false, "system:masters")) {}

  // A kubeconfig with one context "main" -> cluster "c", user "u".
  std::string kubeconfig(const std::string& cluster_body, const std::string& user_body) {
    return dir_.write("config",
                      "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
                      "contexts:\n- name: main\n  context: {cluster: c, user: u, namespace: shop}\n"
                      "clusters:\n- name: c\n  cluster:\n" +
                          cluster_body + "users:\n- name: u\n  user:\n" + user_body);
  }
  std::string ca_data() const {
    return "    certificate-authority-data: " + b64(ca_.cert_pem) + "\n";
  }

  TempDir dir_;
  testing::TestCert ca_;
  testing::TestCert client_;
};

TEST_F(KubeConfigTest, TokenWithInlineCa) {
  auto cfg = load_kubeconfig(
      kubeconfig("    server: https://127.0.0.1:6443\n" + ca_data(), "    token: abc.def\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");
  EXPECT_EQ(cfg->ca_pem, ca_.cert_pem);
  EXPECT_EQ(cfg->token, "abc.def");
  EXPECT_EQ(cfg->namespace_, "shop");
  EXPECT_THAT(cfg->ca_origin, HasSubstr("certificate-authority-data"));
  EXPECT_THAT(cfg->origin, HasSubstr("context main"));
}

TEST_F(KubeConfigTest, ClientCertificateFilesRelativeToTheKubeconfig) {
  dir_.write("pki/ca.crt", ca_.cert_pem);
  dir_.write("pki/alice.crt", client_.cert_pem);
  dir_.write("pki/alice.key", client_.key_pem);
  auto cfg = load_kubeconfig(
      kubeconfig("    server: https://k8s.example:443\n    certificate-authority: pki/ca.crt\n",
                 "    client-certificate: pki/alice.crt\n    client-key: " + dir_.path() +
                     "/pki/alice.key\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->ca_pem, ca_.cert_pem);
  EXPECT_EQ(cfg->client_cert_pem, client_.cert_pem);
  EXPECT_EQ(cfg->client_key_pem, client_.key_pem);
  EXPECT_EQ(cfg->ca_origin, "kubeconfig " + dir_.path() +
                                "/config: cluster \"c\": certificate-authority " + dir_.path() +
                                "/pki/ca.crt");
  EXPECT_TRUE(cfg->token.empty());
}

TEST_F(KubeConfigTest, InlineClientCertificateData) {
  auto cfg =
      load_kubeconfig(kubeconfig("    server: https://127.0.0.1:6443\n" + ca_data(),
                                 "    client-certificate-data: " + b64(client_.cert_pem) +
                                     "\n    client-key-data: " + b64(client_.key_pem) + "\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->client_cert_pem, client_.cert_pem);
}

TEST_F(KubeConfigTest, TokenFileIsRecordedAndChecked) {
  std::string token = dir_.write("token", "from-file\n");
  auto cfg = load_kubeconfig(
      kubeconfig("    server: https://127.0.0.1:6443\n" + ca_data(), "    tokenFile: token\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->token_file, token);
  std::remove(token.c_str());
  auto missing = load_kubeconfig(dir_.path() + "/config");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), AllOf(HasSubstr(token), HasSubstr("No such file")));
}

TEST_F(KubeConfigTest, MismatchedClientKeyIsRejected) {
  auto other = testing::make_leaf(ca_, "bob", {}, false);
  auto cfg = load_kubeconfig(kubeconfig("    server: https://127.0.0.1:6443\n" + ca_data(),
                                        "    client-certificate-data: " + b64(client_.cert_pem) +
                                            "\n    client-key-data: " + b64(other.key_pem) + "\n"));
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error(), AllOf(HasSubstr("user \"u\""), HasSubstr("does not match")));
}

TEST_F(KubeConfigTest, CertificateWithoutKeyIsRejected) {
  auto cfg =
      load_kubeconfig(kubeconfig("    server: https://127.0.0.1:6443\n" + ca_data(),
                                 "    client-certificate-data: " + b64(client_.cert_pem) + "\n"));
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error(), HasSubstr("needs both"));
}

TEST_F(KubeConfigTest, BadFilesNameTheFileAndTheProblem) {
  struct Case {
    std::string cluster, user, want1, want2;
  };
  dir_.write("garbage.crt", "not a certificate\n");
  dir_.write("broken.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  const std::string server = "    server: https://127.0.0.1:6443\n";
  const std::vector<Case> cases = {
      {server + "    certificate-authority: nope.crt\n", "    token: t\n",
       dir_.path() + "/nope.crt", "No such file"},
      {server + "    certificate-authority: garbage.crt\n", "    token: t\n",
       dir_.path() + "/garbage.crt", "no PEM certificate"},
      {server + "    certificate-authority: broken.crt\n", "    token: t\n",
       dir_.path() + "/broken.crt", "malformed PEM"},
      {server + "    certificate-authority-data: '%%%'\n", "    token: t\n",
       "certificate-authority-data", "base64"},
      {server, "    token: t\n", "cluster \"c\"", "no certificate-authority"},
      {"    certificate-authority: garbage.crt\n", "    token: t\n", "cluster \"c\"",
       "no \"server\""},
      {"    server: http://127.0.0.1:8080\n" + ca_data(), "    token: t\n", "http://127.0.0.1:8080",
       "not an https"},
      {server + ca_data() + "    insecure-skip-tls-verify: true\n", "    token: t\n",
       "insecure-skip-tls-verify", "refused"},
      {server + ca_data(), "    exec:\n      command: aws\n", "user \"u\"",
       "\"exec\" is not supported"},
      {server + ca_data(), "    client-key: missing.key\n    client-certificate: missing.crt\n",
       dir_.path() + "/missing.crt", "cannot read"},
  };
  for (const auto& c : cases) {
    auto cfg = load_kubeconfig(kubeconfig(c.cluster, c.user));
    ASSERT_FALSE(cfg.ok()) << c.cluster << c.user;
    EXPECT_THAT(cfg.error(),
                AllOf(HasSubstr(dir_.path() + "/config"), HasSubstr(c.want1), HasSubstr(c.want2)))
        << c.cluster << c.user;
  }
}

TEST_F(KubeConfigTest, StructuralErrors) {
  auto missing = load_kubeconfig(dir_.path() + "/absent");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(),
              AllOf(HasSubstr(dir_.path() + "/absent"), HasSubstr("No such file")));

  auto syntax = load_kubeconfig(dir_.write("bad", "clusters: [\n  - a: b\n  c\n"));
  ASSERT_FALSE(syntax.ok());
  EXPECT_THAT(syntax.error(), HasSubstr(dir_.path() + "/bad:"));

  auto no_ctx = load_kubeconfig(dir_.write("noctx", "apiVersion: v1\nkind: Config\n"));
  ASSERT_FALSE(no_ctx.ok());
  EXPECT_THAT(no_ctx.error(), HasSubstr("no current-context"));

  std::string path =
      kubeconfig("    server: https://127.0.0.1:6443\n" + ca_data(), "    token: t\n");
  auto wrong_ctx = load_kubeconfig(path, "other");
  ASSERT_FALSE(wrong_ctx.ok());
  EXPECT_THAT(wrong_ctx.error(), HasSubstr("context \"other\" not found"));
}

TEST_F(KubeConfigTest, KubeconfigEnvListIsMergedFirstWins) {
  std::string a = dir_.write(
      "a",
      "current-context: main\ncontexts:\n- name: main\n  context: {cluster: c, user: u}\n"
      "users:\n- name: u\n  user: {token: first}\n");
  std::string b = dir_.write("b",
                             "current-context: ignored\nclusters:\n- name: c\n  cluster:\n"
                             "    server: https://10.0.0.1\n" +
                                 ca_data() + "users:\n- name: u\n  user: {token: second}\n");
  ScopedEnv env("KUBECONFIG", (a + ":" + dir_.path() + "/absent:" + b).c_str());
  auto cfg = load_kubeconfig();
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->token, "first");
  EXPECT_EQ(cfg->server, "https://10.0.0.1");
  EXPECT_EQ(cfg->namespace_, "default");
}

TEST_F(KubeConfigTest, InClusterFromServiceAccountDir) {
  dir_.write("sa/token", "sa-token\n");
  dir_.write("sa/ca.crt", ca_.cert_pem);
  dir_.write("sa/namespace", "riposte");
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  auto cfg = load_in_cluster_config(dir_.path() + "/sa");
  ASSERT_TRUE(cfg.ok()) << cfg.error();
  EXPECT_EQ(cfg->server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg->token_file, dir_.path() + "/sa/token");
  EXPECT_EQ(cfg->ca_pem, ca_.cert_pem);
  EXPECT_EQ(cfg->namespace_, "riposte");

  ScopedEnv v6("KUBERNETES_SERVICE_HOST", "fd00::1");
  auto cfg6 = load_in_cluster_config(dir_.path() + "/sa");
  ASSERT_TRUE(cfg6.ok()) << cfg6.error();
  EXPECT_EQ(cfg6->server, "https://[fd00::1]:443");
}

TEST_F(KubeConfigTest, InClusterErrors) {
  {
    ScopedEnv host("KUBERNETES_SERVICE_HOST", nullptr);
    auto cfg = load_in_cluster_config(dir_.path());
    ASSERT_FALSE(cfg.ok());
    EXPECT_THAT(cfg.error(), HasSubstr("KUBERNETES_SERVICE_HOST"));
  }
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  auto no_token = load_in_cluster_config(dir_.path() + "/empty");
  ASSERT_FALSE(no_token.ok());
  EXPECT_THAT(no_token.error(),
              AllOf(HasSubstr(dir_.path() + "/empty/token"), HasSubstr("No such file")));
  dir_.write("sa/token", "t");
  dir_.write("sa/ca.crt", "garbage");
  auto bad_ca = load_in_cluster_config(dir_.path() + "/sa");
  ASSERT_FALSE(bad_ca.ok());
  EXPECT_THAT(bad_ca.error(), AllOf(HasSubstr(dir_.path() + "/sa/ca.crt"), HasSubstr("no PEM")));
}

TEST(TokenSourceTest, RereadsTheFileWhenItIsReplaced) {
  TempDir dir;
  std::string path = dir.write("token", "one\n");
  TokenSource tokens("", path);
  ASSERT_TRUE(tokens.get().ok());
  EXPECT_EQ(*tokens.get(), "one");
  // The kubelet rotates projected tokens by swapping in a new file.
  std::string next = dir.write("token.new", "two");
  ASSERT_EQ(std::rename(next.c_str(), path.c_str()), 0);
  EXPECT_EQ(*tokens.get(), "two");
  // Briefly missing during a swap: the last token stays in use.
  std::remove(path.c_str());
  EXPECT_EQ(*tokens.get(), "two");
}

TEST(TokenSourceTest, StaticTokenAndNone) {
  TokenSource fixed("abc", "");
  EXPECT_EQ(*fixed.get(), "abc");
  TokenSource none("", "");
  EXPECT_EQ(*none.get(), "");
  TokenSource missing("", "/nonexistent/token");
  EXPECT_FALSE(missing.get().ok());
}

TEST(ServerUrlTest, Parses) {
  auto u = parse_server_url("https://127.0.0.1:6443");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 6443);
  EXPECT_EQ(u->path_prefix, "");
  u = parse_server_url("https://[::1]/k8s/clusters/x/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path_prefix, "/k8s/clusters/x");
  for (const char* bad : {"http://x", "https://", "https://:443", "https://x:0", "https://x:99999",
                          "https://x:", "https://u:p@x", "https://x/?a=b", "https://[::1"}) {
    EXPECT_FALSE(parse_server_url(bad).ok()) << bad;
  }
}

TEST(Base64Test, Decodes) {
  EXPECT_EQ(*base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(*base64_decode("aGVs\nbG8h"), "hello!");
  EXPECT_FALSE(base64_decode("aGVsbG8").ok());
  EXPECT_FALSE(base64_decode("aGV=bG8=").ok());
  EXPECT_FALSE(base64_decode("a%Vs").ok());
}

}  // namespace
}  // namespace riposte::kube
