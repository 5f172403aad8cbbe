#include "common/ops_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>

#include "common/log.h"

namespace riposte {

OpsServer::OpsServer(std::string host, int port, const Registry& registry,
                     std::function<std::vector<ReadyCheck>()> ready)
    : host_(std::move(host)), port_(port), registry_(registry), ready_(std::move(ready)) {}

OpsServer::~OpsServer() { stop(); }

std::string OpsServer::readyz_body(const std::vector<ReadyCheck>& checks, bool* all_ok) {
  std::string body;
  bool ok = true;
  for (const auto& c : checks) {
    if (c.ok) {
      body += "[+]" + c.name + " ok\n";
    } else {
      ok = false;
      body +=
          "[-]" + c.name + " failed: " + (c.detail.empty() ? "reason withheld" : c.detail) + "\n";
    }
  }
  body += ok ? "readyz check passed\n" : "readyz check failed\n";
  if (all_ok != nullptr) *all_ok = ok;
  return body;
}

void OpsServer::serve_json(std::string path, std::function<std::string()> body) {
  json_routes_.emplace_back(std::move(path), std::move(body));
}

Status OpsServer::start() {
  if (server_) return Error{"ops server already started"};
  auto server = std::make_unique<httplib::Server>();
  // Probes and scrapes are tiny; a handful of workers is plenty and keeps threads down.
  server->new_task_queue = [] { return new httplib::ThreadPool(4); };
  server->set_read_timeout(5, 0);
  server->set_write_timeout(5, 0);
  server->set_payload_max_length(64 * 1024);
  // httplib's default SO_REUSEPORT would let a second daemon share our port silently; plain
  // SO_REUSEADDR still allows a quick restart over TIME_WAIT sockets.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  server->Get("/livez", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    std::vector<ReadyCheck> checks;
    try {
      if (ready_) checks = ready_();
    } catch (const std::exception& e) {
      checks.push_back({"readiness", false, std::string("check threw: ") + e.what()});
    } catch (...) {
      checks.push_back({"readiness", false, "check threw"});
    }
    bool ok = false;
    std::string body = readyz_body(checks, &ok);
    res.status = ok ? 200 : 503;
    res.set_content(body, "text/plain");
  });
  for (const auto& [path, body] : json_routes_) {
    server->Get(path, [body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body(), "application/json");
    });
  }
  server->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.render(), "text/plain; version=0.0.4; charset=utf-8");
  });

  int bound = 0;
  if (port_ == 0) {
    bound = server->bind_to_any_port(host_);
    if (bound <= 0) return Error{"ops server: cannot bind " + host_ + " on any port"};
  } else {
    if (!server->bind_to_port(host_, port_)) {
      return Error{"ops server: cannot bind " + host_ + ":" + std::to_string(port_) +
                   " (in use, or not a local address?)"};
    }
    bound = port_;
  }
  port_ = bound;

  auto done = std::make_shared<std::atomic<bool>>(false);
  httplib::Server* raw = server.get();
  thread_ = std::thread([raw, done] {
    if (!raw->listen_after_bind()) log::error("ops server stopped accepting connections");
    done->store(true);
  });
  // httplib's stop() is a no-op until the accept loop runs, so a stop() right after start()
  // would leave the thread serving forever; wait for the loop before handing control back.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!raw->is_running() && !done->load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_ = std::move(server);
  if (!server_->is_running()) {
    stop();
    return Error{"ops server: accept loop did not start on " + host_ + ":" + std::to_string(port_)};
  }
  log::info("ops server listening", {{"address", host_ + ":" + std::to_string(port_)}});
  return {};
}

void OpsServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace riposte
