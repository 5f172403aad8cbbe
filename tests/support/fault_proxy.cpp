#include "tests/support/fault_proxy.h"

#include <chrono>

namespace riposte::testing {

FaultProxy::FaultProxy(std::string upstream, std::string upstream_ca_file)
    : upstream_ca_file_(std::move(upstream_ca_file)),
      ca_(make_ca("fault-proxy-ca")),
      cert_(make_leaf(ca_, "fault-proxy", {"127.0.0.1"}, true)) {
  const std::string prefix = "https://";
  std::string hp = upstream.substr(upstream.rfind(prefix, 0) == 0 ? prefix.size() : 0);
  const auto colon = hp.rfind(':');
  upstream_host_ = hp.substr(0, colon);
  upstream_port_ = std::atoi(hp.c_str() + colon + 1);
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

bool FaultProxy::start() {
  server_ = std::make_unique<httplib::SSLServer>(cert_.cert.get(), cert_.key.get());
  auto h = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  server_->Get(".*", h);
  server_->Post(".*", h);
  server_->Put(".*", h);
  server_->Patch(".*", h);
  server_->Delete(".*", h);
  server_->set_read_timeout(std::chrono::seconds(120));
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) return false;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 2000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return server_->is_running();
}

void FaultProxy::set_rules(std::vector<Rule> rules) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_ = std::move(rules);
  matched_.assign(rules_.size(), 0);
}

std::map<FaultProxy::Fault, int> FaultProxy::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

FaultProxy::Fault FaultProxy::pick(const httplib::Request& req, int* hold_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Fault f = Fault::kNone;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    if (!r.method.empty() && r.method != req.method) continue;
    if (!r.path_contains.empty() && req.path.find(r.path_contains) == std::string::npos) continue;
    if (!r.cycle.empty()) f = r.cycle[static_cast<size_t>(matched_[i]++) % r.cycle.size()];
    *hold_ms = r.hold_ms;
    break;
  }
  ++counts_[f];
  return f;
}

void FaultProxy::handle(const httplib::Request& req, httplib::Response& res) {
  int hold_ms = 0;
  const Fault f = pick(req, &hold_ms);
  auto sleep_unless_stopping = [&](int ms) {
    for (int waited = 0; waited < ms && !stopping_; waited += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  };
  switch (f) {
    case Fault::kHang:
      sleep_unless_stopping(hold_ms);
      res.status = 504;  // if the client is still waiting: it should have given up by now
      return;
    case Fault::kThrottle:
      res.status = 429;
      res.set_header("Retry-After", "1");
      res.set_content(
          R"({"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429})",
          "application/json");
      return;
    case Fault::kServerError:
      res.status = 500;
      res.set_content(R"({"kind":"Status","status":"Failure","reason":"InternalError","code":500})",
                      "application/json");
      return;
    case Fault::kUnavailable:
      res.status = 503;
      res.set_content(
          R"({"kind":"Status","status":"Failure","reason":"ServiceUnavailable","code":503})",
          "application/json");
      return;
    case Fault::kDelay:
      sleep_unless_stopping(hold_ms);
      break;
    default:
      break;
  }
  httplib::SSLClient up(upstream_host_, upstream_port_);
  up.set_ca_cert_path(upstream_ca_file_.c_str());
  up.enable_server_certificate_verification(true);
  up.set_read_timeout(std::chrono::seconds(60));
  httplib::Request fwd;
  fwd.method = req.method;
  fwd.path = req.target.empty() ? req.path : req.target;
  fwd.body = req.body;
  for (const char* h : {"Authorization", "Content-Type", "Accept", "User-Agent"}) {
    if (req.has_header(h)) fwd.headers.emplace(h, req.get_header_value(h));
  }
  auto answer = up.send(fwd);
  if (!answer) {
    res.status = 502;
    res.set_content(std::string("fault proxy: upstream: ") + httplib::to_string(answer.error()),
                    "text/plain");
    return;
  }
  if (f == Fault::kErrorAfter) {
    res.status = 500;
    res.set_content(R"({"kind":"Status","status":"Failure","reason":"InternalError","code":500})",
                    "application/json");
    return;
  }
  if (f == Fault::kDropAfter) {
    // Headers go out, then the body provider fails: httplib closes the connection with the
    // answer cut short, as a proxy or network dying mid-answer would.
    res.status = answer->status;
    res.set_content_provider(answer->body.size() + 1, "application/json",
                             [](size_t, size_t, httplib::DataSink&) { return false; });
    return;
  }
  res.status = answer->status;
  res.set_content(answer->body, answer->get_header_value("Content-Type").empty()
                                    ? "application/json"
                                    : answer->get_header_value("Content-Type"));
}

}  // namespace riposte::testing
