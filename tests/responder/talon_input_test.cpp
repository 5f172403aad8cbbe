// Migration from Falco Talon, end to end: a Talon rules file (written here in Talon's format)
// turned into a playbook by `riposte playbook import-talon`, loaded by the real
// riposte-responder binary, which takes what Falco's http_output and Falcosidekick's talon
// output post to Talon (`POST /`), sent by libcurl (what Falco's http_output uses) with the
// token in the URL (`http://user:<token>@…/`, which Go's net/http in Falcosidekick turns into
// the same Basic header), stores each alert and runs the playbooks it matches. Without the
// token nothing is stored: Talon has no authentication, riposte keeps its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "responder/bus.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/responder/bus_test_util.h"

namespace riposte::testing {
namespace {

constexpr const char* kToken = "talon-migration-token";

// A Talon rule as a Talon user has it: label, then terminate, outside two namespaces.
constexpr const char* kTalonRules = R"(- action: Terminate Pod
  actionner: kubernetes:terminate
  parameters:
    grace_period_seconds: 5
- rule: Terminal shell in container
  dry_run: true
  match:
    rules:
      - Terminal shell in container
    output_fields:
      - k8s.ns.name!=kube-system, k8s.ns.name!=falco
  actions:
    - action: Label Pod as Suspicious
      actionner: kubernetes:label
      parameters:
        labels:
          suspicious: "true"
    - action: Terminate Pod
)";

// Falco's http_output body (json_output: true): nanosecond UTC time, typed fields, a null.
std::string falco_http_output_body(const std::string& pod, const std::string& ns = "shop") {
  return R"J({"hostname":"node-1","output":"17:01:02.123456789: Notice A shell was spawned in a container (pod=)J" +
         pod +
         R"J()","priority":"Notice","rule":"Terminal shell in container","source":"syscall",)J"
         R"J("tags":["container","shell","mitre_execution"],"time":"2026-12-03T17:01:02.123456789Z",)J"
         R"J("output_fields":{"evt.time":1796317262123456789,"k8s.ns.name":")J" +
         ns + R"J(","k8s.pod.name":")J" + pod + R"J(","proc.name":"sh","fd.name":null}})J";
}

// Falcosidekick's FalcoPayload as its talon output encodes it (Go's encoding/json): a uuid, no
// hostname (omitempty), and Go's RFC 3339 time: trailing zeros of the fraction dropped, the
// zone as an offset.
std::string falcosidekick_talon_body(const std::string& pod) {
  return R"J({"uuid":"4c0b1e5e-6b5e-4a59-9c39-3a0f1f3c2b7d","output":"A shell was spawned in a container (pod=)J" +
         pod +
         R"J()","priority":"Critical","rule":"Terminal shell in container",)J"
         R"J("time":"2026-12-03T18:01:02.5+01:00","output_fields":{"k8s.ns.name":"shop",)J"
         R"J("k8s.pod.name":")J" +
         pod + R"J("},"source":"syscall","tags":["shell"]})J";
}

class TalonInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.start());
    auto c = nats::Connection::connect(shipped_auth_options(server_.url(), "riposte-test"));
    ASSERT_TRUE(c.ok()) << c.error();
    conn_ = std::move(*c);
    ASSERT_TRUE(responder::ensure_streams(*conn_, {}).ok());
    std::ofstream(setup_.dir + "/token") << kToken << "\n";
    std::ofstream(setup_.dir + "/talon-rules.yaml") << kTalonRules;
    auto import =
        Subprocess::spawn({std::string(std::getenv("RIPOSTE_BINARY_DIR")) + "/bin/riposte",
                           "playbook", "import-talon", setup_.dir + "/talon-rules.yaml", "--output",
                           setup_.playbooks + "/talon.yaml"},
                          {}, setup_.dir + "/import.log");
    ASSERT_TRUE(import.ok()) << import.error();
    int status = -1;
    ASSERT_TRUE((*import)->wait_exit(60000, &status) && status == 0)
        << read_file(setup_.dir + "/import.log");
    http_port_ = pick_free_port();
    responder_ = start_responder(setup_, server_.url(), "talon",
                                 {"--http-addr", "127.0.0.1:" + std::to_string(http_port_),
                                  "--http-token-file", setup_.dir + "/token"});
    ASSERT_TRUE(responder_);
    ASSERT_TRUE(wait_for_port(http_port_, 30000));
  }

  // POSTs body with curl (libcurl, as Falco's http_output) to `url_prefix` + host:port + "/";
  // returns the HTTP status, or 0 when curl failed.
  int curl_post(const std::string& url_prefix, const std::string& body,
                const std::vector<std::string>& extra = {}) {
    const std::string n = std::to_string(++posts_);
    const std::string body_file = setup_.dir + "/body-" + n + ".json";
    const std::string status_file = setup_.dir + "/status-" + n;
    std::ofstream(body_file) << body;
    std::vector<std::string> argv = {"curl",
                                     "-sS",
                                     "-o",
                                     "/dev/null",
                                     "-w",
                                     "%{http_code}",
                                     "-H",
                                     "Content-Type: application/json",
                                     "--data-binary",
                                     "@" + body_file};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url_prefix + "127.0.0.1:" + std::to_string(http_port_) + "/");
    auto p = Subprocess::spawn(argv, {}, status_file);
    if (!p.ok()) return 0;
    int status = 0;
    if (!(*p)->wait_exit(30000, &status) || status != 0) return 0;
    return std::atoi(read_file(status_file).c_str());
  }

  std::vector<nlohmann::json> alerts() { return read_stream(*conn_, kAlertStream, kAlertSubjects); }

  NatsServer server_{{.shipped_auth = true}};
  DryRunSetup setup_;
  std::unique_ptr<nats::Connection> conn_;
  std::unique_ptr<Subprocess> responder_;
  int http_port_ = 0;
  int posts_ = 0;
};

TEST_F(TalonInputTest, FalcoAndFalcosidekickTalonPostsRunPlaybooksAndNeedTheToken) {
  // Talon's own setup, unchanged: no credentials. Refused, and so is a wrong token.
  EXPECT_EQ(curl_post("http://", falco_http_output_body("web-0")), 401);
  EXPECT_EQ(curl_post("http://talon:wrong-token@", falco_http_output_body("web-0")), 401);
  EXPECT_EQ(curl_post("http://", falco_http_output_body("web-0"),
                      {"-H", std::string("Authorization: Basic ") + kToken}),
            401);

  // The token in the URL: what Falco's http_output.url and Falcosidekick's talon.address can
  // carry, as neither can add a header.
  EXPECT_EQ(curl_post(std::string("http://falco:") + kToken + "@", falco_http_output_body("web-1")),
            200);
  EXPECT_EQ(curl_post(std::string("http://falcosidekick:") + kToken + "@",
                      falcosidekick_talon_body("web-2")),
            200);
  // The bearer header still works on the same path.
  EXPECT_EQ(curl_post("http://", falco_http_output_body("web-3"),
                      {"-H", std::string("Authorization: Bearer ") + kToken}),
            200);

  // A 200 means stored: exactly the three authenticated posts are in the stream (so far).
  auto stored = alerts();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[1]["output_fields"]["k8s.pod.name"], "web-2");
  EXPECT_EQ(stored[1]["priority"], "Critical");
  EXPECT_EQ(stored[1]["time"], "2026-12-03T17:01:02.500000000Z");
  EXPECT_EQ(stored[1]["uuid"], "4c0b1e5e-6b5e-4a59-9c39-3a0f1f3c2b7d");

  // Talon's rule, imported, is outside these two namespaces: an alert from falco runs
  // only the other playbook (whose run record proves the alert was handled).
  EXPECT_EQ(curl_post(std::string("http://falco:") + kToken + "@",
                      falco_http_output_body("sensor-1", "falco")),
            200);

  // Each alert ran kill-shell (a dry-run pod.delete); the three outside falco also ran
  // the imported Talon rule: label, then terminate, as Talon would (dry-run here).
  std::map<std::string, std::set<std::string>> requests_by_playbook;
  std::map<std::string, std::vector<nlohmann::json>> runs;
  ASSERT_TRUE(eventually([&] {
    runs = stored_run_records(*conn_);
    size_t records = 0;
    for (const auto& [id, rs] : runs) records += rs.size();
    return runs.size() == 4u && records == 7u;
  })) << "alerts with run records: "
      << runs.size() << "\n"
      << responder_->log_tail();
  for (const auto& [id, records] : runs) {
    for (const auto& r : records) {
      EXPECT_EQ(r["outcome"], "dry-run") << r.dump();
      std::string steps;
      for (const auto& step : r["steps"]) {
        steps += step["action"].get<std::string>() + " ";
        for (const auto& req : step["requests"]) {
          requests_by_playbook[r["playbook"]].insert(req["method"].get<std::string>() + " " +
                                                     req["path"].get<std::string>());
        }
      }
      if (r["playbook"] == "terminal-shell-in-container") {
        EXPECT_EQ(steps, "pod.label pod.delete ");
      }
    }
  }
  EXPECT_EQ(requests_by_playbook["kill-shell"],
            (std::set<std::string>{"DELETE /api/v1/namespaces/shop/pods/web-1",
                                   "DELETE /api/v1/namespaces/shop/pods/web-2",
                                   "DELETE /api/v1/namespaces/shop/pods/web-3",
                                   "DELETE /api/v1/namespaces/falco/pods/sensor-1"}));
  EXPECT_EQ(
      requests_by_playbook["terminal-shell-in-container"],
      (std::set<std::string>{
          "PATCH /api/v1/namespaces/shop/pods/web-1", "PATCH /api/v1/namespaces/shop/pods/web-2",
          "PATCH /api/v1/namespaces/shop/pods/web-3", "DELETE /api/v1/namespaces/shop/pods/web-1",
          "DELETE /api/v1/namespaces/shop/pods/web-2",
          "DELETE /api/v1/namespaces/shop/pods/web-3"}));
}

}  // namespace
}  // namespace riposte::testing
