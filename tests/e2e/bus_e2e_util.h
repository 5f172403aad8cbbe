// Helpers for end-to-end tests of the bus: real riposte-responder processes against private
// nats-servers, a publisher that retries like the detector's, and a watcher of the audit
// stream. No Kubernetes: the playbooks there run in dry-run, so a dummy kubeconfig will do.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/nats.h"
#include "tests/support/nats_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_util.h"

namespace riposte::testing {

// What a responder process runs with: a directory for its log, playbooks and kubeconfig.
struct ResponderSetup {
  std::string dir;
  std::string playbooks;
  std::string kubeconfig;
  std::map<std::string, std::string> env = {};  // added to the responders' environment
};

// A directory with a dry-run playbook for "Terminal shell in container" and a kubeconfig
// that points nowhere (never used by dry-run playbooks).
struct DryRunSetup : ResponderSetup {
  DryRunSetup();
};

// riposte-responder with the usual test flags (--ack-wait 2s) and the shipped responder user
// (servers started with shipped_auth) plus extra; waits for "responder running".
std::unique_ptr<Subprocess> start_responder(const ResponderSetup& setup,
                                            const std::string& nats_urls, const std::string& name,
                                            const std::vector<std::string>& extra = {});
// The same with other NATS flags (--nats and credentials), e.g. the local cluster's.
std::unique_ptr<Subprocess> start_responder_as(const ResponderSetup& setup,
                                               const std::vector<std::string>& nats_flags,
                                               const std::string& name,
                                               const std::vector<std::string>& extra = {});

// riposte-detector (real eBPF) with one rule, `rule`, raising a Warning for each exec of
// /bin/true whose command line contains `marker` (its rules file and log go in dir),
// publishing to nats_urls as the shipped detector user, without Kubernetes, serving /metrics
// on ops_addr; waits for "detector running". Null (with a test failure) if it does not start.
// credentials: its NATS credential flags; empty: the shipped detector user's test password.
std::unique_ptr<Subprocess> start_marker_detector(const std::string& dir, const std::string& rule,
                                                  const std::string& marker,
                                                  const std::string& nats_urls,
                                                  const std::string& ops_addr,
                                                  const std::vector<std::string>& credentials = {});

// A Falco alert for "Terminal shell in container" numbered i (unique output, so unique id).
Alert numbered_alert(int i);

// Publishes to RIPOSTE_ALERTS and retries the same message id until the server stores it, as
// a detector does through a restart or failover.
void publish_until_stored(nats::Connection& conn, const Alert& a);

// Every audit run record published, by alert id (a core subscription sees re-publishes too).
class AuditWatcher {
 public:
  explicit AuditWatcher(nats::Connection& conn);
  size_t distinct() const;
  // Alert ids with records that differ from each other: a playbook that ran twice.
  std::vector<std::string> ran_twice() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<nlohmann::json>> by_alert_;
  std::unique_ptr<nats::Subscription> sub_;
};

// The run records in RIPOSTE_ACTIONS (read from the stream, which misses none), by alert id:
// how many each alert has. Each call reads the stream afresh.
std::map<std::string, std::vector<nlohmann::json>> stored_run_records(nats::Connection& conn);

// Messages still waiting on the responders' durable consumer (binds to it and fetches, so
// call it only once the responders are stopped).
size_t undelivered_or_unacked(nats::Connection& conn, int wait_ms);

}  // namespace riposte::testing
