#include "tests/support/local_cluster.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tests/support/test_util.h"

namespace riposte::testing {
namespace {

constexpr int kKubectlBoundSeconds = 360;

}  // namespace

bool load_local_cluster(LocalCluster* out) {
  const char* dir = std::getenv("RIPOSTE_LOCAL_DIR");
  if (!dir || !*dir) {
    ADD_FAILURE() << "RIPOSTE_LOCAL_DIR is not set: run this test through ctest (fixture "
                     "`cluster`) or after `deploy/local/cluster.sh up`";
    return false;
  }
  out->dir = dir;
  std::ifstream in(out->dir + "/env");
  if (!in) {
    ADD_FAILURE() << "no " << out->dir << "/env: the local cluster is not up";
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    out->env[line.substr(0, eq)] = v;
  }
  out->kubeconfig = out->env["KUBECONFIG"];
  out->server = out->env["RIPOSTE_KUBE_SERVER"];
  out->ca_file = out->env["RIPOSTE_KUBE_CA"];
  out->nats_url = out->env["RIPOSTE_NATS_URL"];
  out->nats_ca = out->env["RIPOSTE_NATS_CA"];
  out->nats_tls_hostname = out->env["RIPOSTE_NATS_TLS_HOSTNAME"];
  out->node_name = out->env["RIPOSTE_NODE_NAME"];
  if (out->kubeconfig.empty() || out->nats_url.empty()) {
    ADD_FAILURE() << out->dir << "/env lacks KUBECONFIG or RIPOSTE_NATS_URL";
    return false;
  }
  return true;
}

namespace {
std::string password_file(const LocalCluster& c, const std::string& component) {
  std::string var = "RIPOSTE_NATS_" + component + "_PASSWORD_FILE";
  for (auto& ch : var) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto it = c.env.find(var);
  if (it == c.env.end() || it->second.empty()) {
    ADD_FAILURE() << c.dir << "/env lacks " << var;
    return {};
  }
  return it->second;
}
}  // namespace

std::vector<std::string> LocalCluster::nats_flags(const std::string& component) const {
  std::vector<std::string> f = {"--nats",
                                nats_url,
                                "--nats-ca",
                                nats_ca,
                                "--nats-user",
                                "riposte-" + component,
                                "--nats-password-file",
                                password_file(*this, component)};
  if (!nats_tls_hostname.empty()) f.insert(f.end(), {"--nats-tls-hostname", nats_tls_hostname});
  return f;
}

nats::Options LocalCluster::nats_options(const std::string& component,
                                         const std::string& name) const {
  nats::Options o;
  o.url = nats_url;
  o.name = name;
  o.ca_file = nats_ca;
  o.tls_hostname = nats_tls_hostname;
  o.user = "riposte-" + component;
  o.password_file = password_file(*this, component);
  o.inbox_prefix = "_INBOX.riposte-" + component;
  return o;
}

std::string kubectl(const LocalCluster& c, const std::string& args, int* rc) {
  // RIPOSTE_KUBECTL: the kubectl deploy/local built when the machine had none in version skew.
  auto it = c.env.find("RIPOSTE_KUBECTL");
  const std::string bin = it != c.env.end() && !it->second.empty() ? it->second : "kubectl";
  // Bounded: a kubectl that hangs (a stalled exec stream, an API server that stopped
  // answering) becomes a failed call with its output, not a test killed silently by ctest's
  // timeout with nothing printed (a real-node run once ended that way). The bound is past the
  // longest --timeout a test passes to kubectl wait (300 s).
  std::string cmd = "timeout -k 10 " + std::to_string(kKubectlBoundSeconds) + " " + bin +
                    " --kubeconfig '" + c.kubeconfig + "' " + args + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    if (rc) *rc = -1;
    return out;
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 124)
    out += "\n(kubectl " + args + ": killed after " + std::to_string(kKubectlBoundSeconds) + " s)";
  return out;
}

std::string create_namespace(const LocalCluster& c, const std::string& ns) {
  int rc = 0;
  const std::string out = kubectl(c, "create namespace " + ns, &rc);
  if (rc != 0) return "cannot create namespace " + ns + ": " + out;
  const bool ready = eventually([&] {
    int sa_rc = 0;
    kubectl(c, "-n " + ns + " get serviceaccount default", &sa_rc);
    return sa_rc == 0;
  });
  return ready ? "" : "no default ServiceAccount in " + ns;
}

}  // namespace riposte::testing
