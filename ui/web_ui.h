// The web UI wired in one place: the index, the feed that fills it from JetStream, the
// credentials in the RIPOSTE_UI bucket, undo, and the HTTP server. The responder builds it
// when --ui-addr is given (so the UI shares its NATS user, Kubernetes client, guardrails and
// dry-run), and tests build it the same way.
#pragma once

#include <memory>
#include <string>

#include "common/kube/kube_client.h"
#include "common/nats.h"
#include "common/result.h"
#include "responder/actions/guardrails.h"
#include "responder/actions/node_agent_client.h"
#include "ui/ui_server.h"

namespace riposte::ui {

struct WebUiConfig {
  UiOptions http;
  std::string password_file;  // empty: first-run setup with a token from the log
  int bucket_replicas = 1;
  bool dry_run = false;
  std::string replica;
};

class WebUi {
 public:
  static Result<std::unique_ptr<WebUi>> create(nats::Connection* conn, kube::KubeClient* kube,
                                               const actions::Guardrails* guardrails,
                                               WebUiConfig config);
  ~WebUi();
  int port() const { return server_->port(); }
  // "" once an admin password exists.
  std::string setup_token() const { return auth_->setup_token(); }
  const AlertIndex& index() const { return index_; }
  void stop();

 private:
  WebUi() = default;
  AlertIndex index_;
  Changes changes_;
  std::unique_ptr<nats::KeyValue> kv_;
  std::unique_ptr<CredentialStore> store_;
  actions::NatsNodeAgentClient node_agent_;
  std::unique_ptr<Auth> auth_;
  std::unique_ptr<Undoer> undoer_;
  std::unique_ptr<StreamFeed> feed_;
  std::unique_ptr<UiServer> server_;
};

}  // namespace riposte::ui
