// A fault-injecting HTTPS proxy between a client under test (the responder) and the real
// kube-apiserver. It terminates TLS with a certificate of its own CA (the client's kubeconfig
// trusts that CA), forwards each request to the API server (verified against the cluster's
// CA, the client's Authorization header passed on), and applies the fault a rule picks:
//   kHang           holds the request, never forwards it, and answers nothing for hold_ms
//   kThrottle       answers 429 without forwarding (the API server's flow control does so)
//   kServerError    answers 500 without forwarding
//   kErrorAfter     forwards, then answers 500 instead of the server's answer
//   kDropAfter      forwards, then cuts the connection in the middle of the answer
//   kDelay          forwards after hold_ms (a slow API server: a step longer than the ack wait)
//   kUnavailable    answers 503 without forwarding (a load balancer with no ready backend)
// Every request is counted, with the fault it got, so a test can tell that each fault
// happened.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_pki.h"

namespace riposte::testing {

class FaultProxy {
 public:
  enum class Fault {
    kNone,
    kHang,
    kThrottle,
    kServerError,
    kErrorAfter,
    kDropAfter,
    kDelay,
    kUnavailable
  };
  struct Rule {
    std::string method = {};         // "" for any
    std::string path_contains = {};  // "" for any
    std::vector<Fault> cycle = {};   // the n-th matching request gets cycle[n % size]
    int hold_ms = 0;                 // kHang, kDelay
  };

  // upstream: https://127.0.0.1:PORT of the API server; upstream_ca_file: its CA.
  FaultProxy(std::string upstream, std::string upstream_ca_file);
  ~FaultProxy();
  bool start();
  // Rules are tried in order; the first matching one applies.
  void set_rules(std::vector<Rule> rules);
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& ca_pem() const { return ca_.cert_pem; }
  // Requests seen per fault applied (kNone: forwarded as is).
  std::map<Fault, int> counts() const;

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  Fault pick(const httplib::Request& req, int* hold_ms);

  std::string upstream_host_;
  int upstream_port_ = 0;
  std::string upstream_ca_file_;
  TestCert ca_, cert_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  std::vector<int> matched_;  // per rule
  std::map<Fault, int> counts_;
  std::atomic<bool> stopping_{false};
};

}  // namespace riposte::testing
