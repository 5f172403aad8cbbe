// A private nats-server with JetStream for one test (or suite): its own free port, its own
// store directory, removed afterwards. Start failures fail the test with the server's log;
// a missing nats-server binary is a failure, never a skip.
//
//   NatsServer srv;
//   ASSERT_TRUE(srv.start());
//   auto conn = nats::Connection::connect({.url = srv.url()});
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/nats.h"
#include "tests/support/subprocess.h"

namespace riposte::testing {

struct NatsServerOptions {
  std::string user{};      // --user
  std::string password{};  // --pass
  std::string config{};    // nats-server.conf text (e.g. an authorization block), or ""
  bool monitor = false;    // also serve the HTTP monitor (-m) on a free port
  std::string name = "riposte-test";  // server name (-n); unique per node of a cluster
  int port = 0;                       // client port; 0: a free one on the first start
  // Riposte's shipped users and subject permissions (deploy/helm/riposte/files/
  // nats-permissions.conf, the file the chart and the local cluster include), with test
  // passwords, plus riposte-test: the test's own observer with every right (not shipped).
  // Plain TCP: TLS of the shipped configurations is tested in tests/deploy.
  bool shipped_auth = false;
  // With shipped_auth: a password other than the test one, per user.
  std::map<std::string, std::string> passwords{};
};

// On a server (or cluster) started with shipped_auth: a connection as `user`
// ("riposte-detector", "riposte-responder" or "riposte-test"), and the daemon flags for it.
nats::Options shipped_auth_options(const std::string& urls, const std::string& user,
                                   const std::string& name = "");
std::vector<std::string> shipped_auth_flags(const std::string& user);

class NatsServer {
 public:
  explicit NatsServer(NatsServerOptions options = {});
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts and waits until it accepts connections; on failure ADD_FAILURE()s with the tail of
  // its log and returns false. Picks the port on the first start only.
  bool start();
  // SIGTERM (JetStream flushes its store), then reaped.
  void stop();
  // stop() + start() on the same port and store directory: for reconnect tests.
  bool restart();
  // With shipped_auth: gives `user` a new password and has the running server reload its
  // configuration (SIGHUP), as an operator rotating a credential would; waits until the
  // server says it reloaded.
  bool set_password(const std::string& user, const std::string& password);

  bool running() const;
  std::string url() const;  // nats://127.0.0.1:<port>
  int port() const { return port_; }
  int monitor_port() const { return monitor_port_; }
  const std::string& name() const { return options_.name; }
  const std::string& store_dir() const { return store_dir_; }
  std::string log() const;

  // The nats-server binary: $RIPOSTE_NATS_SERVER, else the first of /usr/sbin, /usr/bin and
  // /usr/local/bin that has one.
  static std::string binary();

 private:
  NatsServerOptions options_;
  std::string config_text() const;
  size_t count_reloads() const;  // "Reloaded" lines in the current log
  std::string dir_;  // temp dir: store, config, log
  std::string store_dir_;
  int port_ = 0;
  int monitor_port_ = 0;
  int starts_ = 0;
  std::unique_ptr<Subprocess> proc_;
};

}  // namespace riposte::testing
