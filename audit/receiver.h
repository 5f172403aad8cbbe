// The audit webhook kube-apiserver posts to (--audit-webhook-config-file, batch mode): HTTPS
// with mutual TLS, POST <path> with an audit.k8s.io/v1 EventList. Every refusal has a reason,
// in the answer and in riposte_audit_rejected_requests_total:
//   401 client_cert   no client certificate, or one the client CA did not sign
//   403 client_name   a valid certificate whose name is not in the allowed list
//   413 too_large     a body over --max-body-bytes (httplib refuses it before reading it all)
//   400 too_deep / malformed / not_event_list
//   429 queue_full    the evaluation queue cannot take the batch (the API server retries)
// Events inside an accepted list may still be skipped, each with its reason (malformed_event,
// event_too_large, unknown_field with --field-validation=Strict) in the answer and in
// riposte_audit_skipped_events_total. With Warn (the default) an unknown member is logged
// once per name and counted; the event is kept.
// An accepted list is answered 200 as soon as its events are queued.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_metrics.h"
#include "audit/evaluator.h"
#include "audit/event_list.h"
#include "common/result.h"

namespace httplib {
class SSLServer;
}

namespace riposte::audit {

struct ReceiverOptions {
  std::string host = "0.0.0.0";
  int port = 8443;  // 0: any free port (tests)
  std::string path = "/k8s-audit";
  std::string cert_file, key_file;  // the receiver's serving certificate
  std::string client_ca_file;       // signs the API server's client certificate
  // Common names (or DNS names) a client certificate may carry; empty: any the CA signed.
  std::vector<std::string> allowed_clients;
  size_t max_body_bytes = 64u << 20;
  ParseLimits limits;
};

class Receiver {
 public:
  Receiver(ReceiverOptions opts, Evaluator* evaluator, AuditMetrics* metrics);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Loads the certificates, binds and serves from a background thread.
  Status start();
  int port() const { return port_; }
  void stop();

 private:
  static constexpr size_t kMaxWarnedMembers = 64;
  void warn_unknown_member(const std::string& name);

  ReceiverOptions opts_;
  Evaluator* evaluator_;
  AuditMetrics* metrics_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex warned_mu_;
  std::set<std::string> warned_;  // unknown member names already logged
};

}  // namespace riposte::audit
