#include "ui/web_ui.h"

#include "common/bus_contract.h"
#include "common/log.h"

namespace riposte::ui {
namespace {

class KvCredentialStore final : public CredentialStore {
 public:
  explicit KvCredentialStore(nats::KeyValue* kv) : kv_(kv) {}
  Result<std::optional<std::string>> get(const std::string& key) override {
    auto e = kv_->get(key);
    if (!e) return Error{e.error()};
    if (!*e) return std::optional<std::string>();
    return std::optional<std::string>((*e)->value);
  }
  Status create(const std::string& key, const std::string& value) override {
    auto r = kv_->create(key, value);
    if (!r) return Error{r.error()};
    return {};
  }
  Status put(const std::string& key, const std::string& value) override {
    auto r = kv_->put(key, value);
    if (!r) return Error{r.error()};
    return {};
  }

 private:
  nats::KeyValue* kv_;
};

}  // namespace

Result<std::unique_ptr<WebUi>> WebUi::create(nats::Connection* conn, kube::KubeClient* kube,
                                             const actions::Guardrails* guardrails,
                                             WebUiConfig config) {
  std::unique_ptr<WebUi> ui(new WebUi());
  auto kv = conn->key_value(kUiBucket, 0, config.bucket_replicas);
  if (!kv) return Error{"UI: key-value bucket " + std::string(kUiBucket) + ": " + kv.error()};
  ui->kv_ = std::move(*kv);
  ui->store_ = std::make_unique<KvCredentialStore>(ui->kv_.get());
  ui->auth_ = std::make_unique<Auth>(ui->store_.get());
  if (Status st = ui->auth_->init(config.password_file); !st.ok()) return Error{st.error()};
  if (!ui->auth_->setup_token().empty()) {
    // The one place the token appears: whoever reads the responder's log may set the password.
    log::warn("UI first-run setup: no admin password yet; open the UI and give this token",
              {{"setup_token", ui->auth_->setup_token()}});
  }
  // Thaws go to the nodes over this connection, as the responder's node actions do.
  ui->node_agent_.bind(conn);
  ui->undoer_ = std::make_unique<Undoer>(
      UndoDeps{conn, kube, guardrails, &ui->node_agent_, config.dry_run, config.replica},
      &ui->index_);
  ui->feed_ = std::make_unique<StreamFeed>(conn, &ui->index_, &ui->changes_);
  if (Status st = ui->feed_->start(); !st.ok()) return Error{st.error()};
  ui->server_ = std::make_unique<UiServer>(config.http, &ui->index_, &ui->changes_, ui->auth_.get(),
                                           ui->undoer_.get(), conn);
  if (Status st = ui->server_->start(); !st.ok()) return Error{st.error()};
  return ui;
}

WebUi::~WebUi() { stop(); }

void WebUi::stop() {
  if (server_) server_->stop();
  if (feed_) feed_->stop();
}

}  // namespace riposte::ui
