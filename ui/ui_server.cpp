#include "ui/ui_server.h"

#include <httplib.h>

#include <chrono>

#include "common/alert.h"
#include "common/bus_contract.h"
#include "common/log.h"
#include "ui/undo_plan.h"

namespace riposte::ui {
namespace {

constexpr const char* kCookie = "riposte_session";

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void send_json(httplib::Response& res, const nlohmann::json& j, int status = 200) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, {{"error", message}}, status);
}

std::string cookie_value(const httplib::Request& req) {
  const std::string header = req.get_header_value("Cookie");
  const std::string key = std::string(kCookie) + "=";
  size_t pos = 0;
  while (pos < header.size()) {
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == ';')) ++pos;
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    if (header.compare(pos, key.size(), key) == 0)
      return header.substr(pos + key.size(), end - pos - key.size());
    pos = end;
  }
  return "";
}

std::optional<int64_t> number(const std::string& s) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(s);
}

bool valid_run_id(const std::string& id) {
  return !id.empty() && id.size() <= 200 &&
         id.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-") ==
             std::string::npos;
}

}  // namespace

Result<Filter> parse_filter(const std::multimap<std::string, std::string>& params) {
  Filter f;
  auto get = [&](const char* key) {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  };
  const std::string priorities = get("priority");
  size_t pos = 0;
  while (pos < priorities.size()) {
    size_t end = priorities.find(',', pos);
    if (end == std::string::npos) end = priorities.size();
    const std::string name = priorities.substr(pos, end - pos);
    if (!name.empty()) {
      auto p = parse_priority(name);
      if (!p) return Error{"priority: unknown priority \"" + name.substr(0, 40) + "\""};
      f.priorities.push_back(static_cast<uint8_t>(*p));
    }
    pos = end + 1;
  }
  f.rule = get("rule");
  f.source = get("source");
  f.ns = get("namespace");
  f.pod = get("pod");
  f.node = get("node");
  f.playbook = get("playbook");
  f.outcome = get("outcome");
  for (auto [key, out] : {std::pair{"from", &f.from_ns}, std::pair{"to", &f.to_ns}}) {
    const std::string v = get(key);
    if (v.empty()) continue;
    auto ms = number(v);
    if (!ms) return Error{std::string(key) + ": give milliseconds since the epoch"};
    *out = *ms * 1000000;
  }
  return f;
}

UiServer::UiServer(UiOptions options, AlertIndex* index, Changes* changes, Auth* auth,
                   Undoer* undoer, nats::Connection* conn)
    : options_(std::move(options)),
      index_(index),
      changes_(changes),
      auth_(auth),
      undoer_(undoer),
      conn_(conn) {}

UiServer::~UiServer() { stop(); }

void UiServer::routes() {
  httplib::Server& s = *server_;
  const bool tls = !options_.tls_cert_file.empty();
  const std::string cookie_attrs =
      std::string("; Path=/; HttpOnly; SameSite=Strict") + (tls ? "; Secure" : "");
  auto set_session = [cookie_attrs](httplib::Response& res, const std::string& value) {
    res.set_header("Set-Cookie", std::string(kCookie) + "=" + value + cookie_attrs +
                                     "; Max-Age=" + std::to_string(Auth::kSessionSeconds));
  };
  // The session of a request, or an answer 401 (and 403 for a POST without its CSRF token).
  auto session = [this](const httplib::Request& req,
                        httplib::Response& res) -> std::optional<Session> {
    auto found = auth_->check(cookie_value(req), now_seconds());
    if (!found) {
      send_error(res, 401, "log in first");
      return std::nullopt;
    }
    if (req.method == "POST" && !auth_->check_csrf(*found, req.get_header_value("X-CSRF-Token"))) {
      send_error(res, 403, "missing or wrong CSRF token");
      return std::nullopt;
    }
    return found;
  };

  s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    // No inline script, no third-party origin, no framing: alert fields are attacker text.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    if (res.get_header_value("Cache-Control").empty()) res.set_header("Cache-Control", "no-store");
  });

  auto asset = [](const std::string& path, httplib::Response& res) {
    const Asset* a = find_asset(path);
    if (!a) return send_error(res, 404, "not found");
    res.set_content(a->body, a->content_type);
  };
  s.Get("/",
        [asset](const httplib::Request&, httplib::Response& res) { asset("/index.html", res); });
  s.Get(R"(/(app\.js|style\.css|index\.html))",
        [asset](const httplib::Request& req, httplib::Response& res) { asset(req.path, res); });

  s.Get("/api/session", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto sess = auth_->check(cookie_value(req), now_seconds())) {
      return send_json(res,
                       {{"state", "ok"}, {"user", sess->user}, {"csrf", auth_->csrf_token(*sess)}});
    }
    send_json(res, {{"state", auth_->needs_setup() ? "setup" : "login"}});
  });
  auto body_json = [](const httplib::Request& req) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
  };
  auto str = [](const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  s.Post("/api/setup", [=, this](const httplib::Request& req, httplib::Response& res) {
    const auto j = body_json(req);
    auto cookie = auth_->setup(str(j, "token"), str(j, "password"));
    if (!cookie) return send_error(res, 400, cookie.error());
    log::info("UI: admin password set through the setup page");
    set_session(res, *cookie);
    send_json(res, {{"state", "ok"}});
  });
  s.Post("/api/login", [=, this](const httplib::Request& req, httplib::Response& res) {
    const auto j = body_json(req);
    std::string user = str(j, "user");
    if (user.empty()) user = Auth::kAdmin;
    auto cookie = auth_->login(user, str(j, "password"));
    if (!cookie) {
      log::warn("UI: failed login", {{"user", user.substr(0, 64)}, {"from", req.remote_addr}});
      return send_error(res, 401, cookie.error());
    }
    set_session(res, *cookie);
    send_json(res, {{"state", "ok"}});
  });
  s.Post("/api/logout", [=](const httplib::Request& req, httplib::Response& res) {
    if (!session(req, res)) return;
    res.set_header("Set-Cookie", std::string(kCookie) + "=" + cookie_attrs + "; Max-Age=0");
    send_json(res, {{"state", "login"}});
  });

  s.Get("/api/alerts", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!session(req, res)) return;
    auto f = parse_filter(req.params);
    if (!f) return send_error(res, 400, f.error());
    const auto limit = number(req.get_param_value("limit")).value_or(50);
    const auto before = number(req.get_param_value("before")).value_or(0);
    Page page = index_->query(*f, static_cast<size_t>(std::clamp<int64_t>(limit, 1, 500)),
                              static_cast<uint64_t>(before));
    send_json(res, {{"rows", std::move(page.rows)},
                    {"matched", page.matched},
                    {"next_before", page.next_before},
                    {"indexed", index_->alerts()},
                    {"last_seq", index_->last_alert_seq()}});
  });
  s.Get("/api/stats", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!session(req, res)) return;
    auto f = parse_filter(req.params);
    if (!f) return send_error(res, 400, f.error());
    const auto buckets = number(req.get_param_value("buckets")).value_or(48);
    send_json(res, index_->stats(*f, static_cast<int>(std::min<int64_t>(buckets, 500))));
  });
  s.Get("/api/facets", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!session(req, res)) return;
    send_json(res, index_->facets());
  });
  s.Get(R"(/api/runs/([^/]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!session(req, res)) return;
    const std::string id = req.matches[1];
    auto run = valid_run_id(id) ? index_->run(id) : std::nullopt;
    if (!run) return send_error(res, 404, "no such run");
    auto record = conn_->stream_get(kActionStream, run->seq);
    if (!record) return send_error(res, 502, "reading the run record: " + record.error());
    auto rj = nlohmann::json::parse(record->data(), nullptr, false);
    nlohmann::json alert;
    if (auto a = conn_->stream_get(kAlertStream, run->alert_seq)) {
      alert = nlohmann::json::parse(a->data(), nullptr, false);
    }
    nlohmann::json undo = nlohmann::json::array();
    for (const auto& u : undo_plan(rj)) {
      undo.push_back({{"step", u.step},
                      {"action", u.action},
                      {"undo", u.undo},
                      {"target", u.target},
                      {"replicas", u.replicas}});
    }
    nlohmann::json undo_record;
    if (run->undo_seq) {
      if (auto u = conn_->stream_get(kActionStream, run->undo_seq)) {
        undo_record = nlohmann::json::parse(u->data(), nullptr, false);
      }
    }
    send_json(res, {{"run", rj}, {"alert", alert}, {"undo", undo}, {"undo_record", undo_record}});
  });
  s.Post(R"(/api/runs/([^/]+)/undo)",
         [=, this](const httplib::Request& req, httplib::Response& res) {
           auto sess = session(req, res);
           if (!sess) return;
           const std::string id = req.matches[1];
           if (!valid_run_id(id)) return send_error(res, 404, "no such run");
           auto done = undoer_->undo(id, sess->user);
           if (!done) return send_error(res, 409, done.error());
           send_json(res, *done);
         });
  s.Get("/api/events", [=, this](const httplib::Request& req, httplib::Response& res) {
    if (!session(req, res)) return;
    res.set_header("Cache-Control", "no-store");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, seen = changes_->current()](size_t, httplib::DataSink& sink) mutable {
          if (stopping_.load()) return false;
          const uint64_t now = changes_->wait(seen, 15000);
          std::string event;
          if (now != seen) {
            seen = now;
            event = "event: change\ndata: " + std::to_string(index_->last_alert_seq()) + "\n\n";
          } else {
            event = ": keep-alive\n\n";  // proxies close idle streams
          }
          if (!sink.write(event.data(), event.size())) return false;
          // Bursts become one update per 200 ms for the browser.
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          return !stopping_.load();
        });
  });
}

Status UiServer::start() {
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty())
    return Error{"UI: give both a TLS certificate and its key, or neither"};
  if (!options_.tls_cert_file.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(options_.tls_cert_file.c_str(),
                                                    options_.tls_key_file.c_str());
    if (!ssl->is_valid()) return Error{"UI: cannot load the TLS certificate or key"};
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  // SSE streams each hold a worker: room for several browsers plus their API calls.
  server_->new_task_queue = [] { return new httplib::ThreadPool(16); };
  server_->set_payload_max_length(64 * 1024);
  server_->set_tcp_nodelay(true);
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  routes();
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    if (port_ <= 0) return Error{"UI: cannot bind " + options_.host + " on any port"};
  } else {
    if (!server_->bind_to_port(options_.host, options_.port))
      return Error{"UI: cannot bind " + options_.host + ":" + std::to_string(options_.port)};
    port_ = options_.port;
  }
  httplib::Server* raw = server_.get();
  thread_ = std::thread([raw] {
    if (!raw->listen_after_bind()) log::error("UI server stopped accepting connections");
  });
  // stop() is a no-op until the accept loop runs: wait for it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!raw->is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  log::info("UI listening", {{"address", options_.host + ":" + std::to_string(port_)},
                             {"tls", !options_.tls_cert_file.empty()}});
  return {};
}

void UiServer::stop() {
  stopping_ = true;
  changes_->bump();  // wakes the event streams
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace riposte::ui
