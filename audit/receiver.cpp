#include "audit/receiver.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "audit/client_cert.h"
#include "common/log.h"

namespace riposte::audit {

namespace {

void answer(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

}  // namespace

Receiver::Receiver(ReceiverOptions opts, Evaluator* evaluator, AuditMetrics* metrics)
    : opts_(std::move(opts)), evaluator_(evaluator), metrics_(metrics) {}

Receiver::~Receiver() { stop(); }

void Receiver::warn_unknown_member(const std::string& name) {
  std::lock_guard<std::mutex> lock(warned_mu_);
  // Bounded: a sender inventing names cannot grow this set, nor flood the log, past the cap.
  if (warned_.size() >= kMaxWarnedMembers || !warned_.insert(name).second) return;
  log::warn("audit events carry a member riposte does not know; kept (--field-validation=Warn)",
            {{"member", name}});
}

Status Receiver::start() {
  std::string tls_error;
  server_ = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    tls_error = setup_mutual_tls(&ctx, opts_.cert_file, opts_.key_file, opts_.client_ca_file);
    return tls_error.empty();
  });
  if (!tls_error.empty()) return Error{tls_error};
  if (!server_->is_valid()) return Error{"TLS server could not be set up"};
  server_->set_payload_max_length(opts_.max_body_bytes);
  // A client that stops sending holds a worker: not for long.
  server_->set_read_timeout(10, 0);
  server_->set_logger([this](const httplib::Request&, const httplib::Response& res) {
    // httplib answers a body over the limit itself, before the handler sees it.
    if (res.status == 413) metrics_->rejected_request("too_large").inc();
  });

  server_->Post(opts_.path, [this](const httplib::Request& req, httplib::Response& res) {
    Rejection why;
    if (!check_client_cert(req.ssl, opts_.allowed_clients, &why)) {
      metrics_->rejected_request(why.reason).inc();
      log::warn("audit webhook request refused",
                {{"reason", why.reason}, {"detail", why.detail}, {"remote", req.remote_addr}});
      answer(res, why.reason == "client_cert" ? 401 : 403,
             {{"reason", why.reason}, {"message", why.detail}});
      return;
    }
    ParsedBatch batch;
    if (!parse_event_list(req.body, opts_.limits, &batch, &why)) {
      metrics_->rejected_request(why.reason).inc();
      log::warn("audit webhook body refused", {{"reason", why.reason}, {"detail", why.detail}});
      answer(res, 400, {{"reason", why.reason}, {"message", why.detail}});
      return;
    }
    nlohmann::json skipped = nlohmann::json::array();
    for (const auto& s : batch.skipped) {
      metrics_->skipped_event(s.reason).inc();
      log::warn("audit event skipped", {{"reason", s.reason}, {"detail", s.detail}});
      skipped.push_back({{"reason", s.reason}, {"message", s.detail}});
    }
    metrics_->unknown_members.inc(static_cast<double>(batch.unknown_members));
    for (const auto& name : batch.unknown_names) warn_unknown_member(name);
    const size_t n = batch.events.size();
    if (!evaluator_->offer(std::move(batch.events))) {
      metrics_->rejected_request("queue_full").inc();
      answer(res, 429,
             {{"reason", "queue_full"}, {"message", "the evaluation queue is full; retry later"}});
      return;
    }
    metrics_->batches.inc();
    metrics_->events.inc(static_cast<double>(n));
    answer(res, 200, {{"accepted", n}, {"skipped", skipped}});
  });

  port_ = opts_.port == 0 ? server_->bind_to_any_port(opts_.host)
                          : (server_->bind_to_port(opts_.host, opts_.port) ? opts_.port : -1);
  if (port_ <= 0) return Error{"cannot listen on " + opts_.host + ":" + std::to_string(opts_.port)};
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void Receiver::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace riposte::audit
