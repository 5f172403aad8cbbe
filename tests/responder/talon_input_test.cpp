// Migration from Falco Talon: the real riposte-responder binary takes what Falco's http_output
// and Falcosidekick's talon output post to Talon (`POST /`, Talon's port 2803), sent by
// libcurl (what Falco's http_output uses) with the token in the URL (`http://user:<token>@…/`,
// which Go's net/http in Falcosidekick turns into the same Basic header), stores each alert and
// runs the playbook it matches. Without the token nothing is stored: Talon has no
// authentication, riposte keeps its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "responder/bus.h"
#include "tests/e2e/bus_e2e_util.h"
#include "tests/responder/bus_test_util.h"

namespace riposte::testing {
namespace {

constexpr const char* kToken = "talon-migration-token";

// Falco's http_output body (json_output: true): nanosecond UTC time, typed fields, a null.
std::string falco_http_output_body(const std::string& pod) {
  return R"J({"hostname":"node-1","output":"17:01:02.123456789: Notice A shell was spawned in a container (pod=)J" +
         pod +
         R"J()","priority":"Notice","rule":"Terminal shell in container","source":"syscall",)J"
         R"J("tags":["container","shell","mitre_execution"],"time":"2026-12-03T17:01:02.123456789Z",)J"
         R"J("output_fields":{"evt.time":1796317262123456789,"k8s.ns.name":"shop","k8s.pod.name":")J" +
         pod + R"J(","proc.name":"sh","fd.name":null}})J";
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

  // A 200 means stored: exactly the three authenticated posts are in the stream.
  auto stored = alerts();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[1]["output_fields"]["k8s.pod.name"], "web-2");
  EXPECT_EQ(stored[1]["priority"], "Critical");
  EXPECT_EQ(stored[1]["time"], "2026-12-03T17:01:02.500000000Z");
  EXPECT_EQ(stored[1]["uuid"], "4c0b1e5e-6b5e-4a59-9c39-3a0f1f3c2b7d");

  // Each one ran the playbook (a dry-run pod.delete of its pod).
  std::map<std::string, std::vector<nlohmann::json>> runs;
  ASSERT_TRUE(eventually([&] {
    runs = stored_run_records(*conn_);
    return runs.size() == 3u;
  })) << "run records: "
      << runs.size() << "\n"
      << responder_->log_tail();
  std::set<std::string> pods;
  for (const auto& [id, records] : runs) {
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records[0]["playbook"], "kill-shell");
    EXPECT_EQ(records[0]["outcome"], "dry-run");
    for (const auto& step : records[0]["steps"]) {
      for (const auto& req : step["requests"]) pods.insert(req["path"].get<std::string>());
    }
  }
  EXPECT_EQ(pods, (std::set<std::string>{"/api/v1/namespaces/shop/pods/web-1",
                                         "/api/v1/namespaces/shop/pods/web-2",
                                         "/api/v1/namespaces/shop/pods/web-3"}));
}

}  // namespace
}  // namespace riposte::testing
