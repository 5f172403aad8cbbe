// The web UI: static pages (embedded at build time, ui/static) and a JSON API over the
// AlertIndex, served by the responder on --ui-addr. Every /api route but the session, setup
// and login ones needs a session cookie; every POST but setup and login also needs the
// session's CSRF token in X-CSRF-Token. Live updates are Server-Sent Events (/api/events).
//   GET  /api/session               {state: setup|login|ok, user, csrf}
//   POST /api/setup                 {token, password}   first run only
//   POST /api/login                 {user, password}
//   POST /api/logout
//   GET  /api/alerts?FILTER&limit=&before=   newest first, with their runs
//   GET  /api/stats?FILTER&buckets=          the charts
//   GET  /api/facets                         values for the filter form
//   GET  /api/runs/ID                        the run record, its alert, what can be undone
//   POST /api/runs/ID/undo
//   GET  /api/events                         SSE: "change" whenever the index grew
// FILTER: priority=Critical,Warning rule= source= namespace= pod= node= playbook= outcome=
//         from= to= (ms since the epoch)
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "ui/alert_index.h"
#include "ui/auth.h"
#include "ui/stream_feed.h"
#include "ui/undo.h"

namespace httplib {
class Server;
}

namespace riposte::ui {

struct UiOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  std::string tls_cert_file, tls_key_file;
};

class UiServer {
 public:
  UiServer(UiOptions options, AlertIndex* index, Changes* changes, Auth* auth, Undoer* undoer,
           nats::Connection* conn);
  ~UiServer();
  UiServer(const UiServer&) = delete;
  UiServer& operator=(const UiServer&) = delete;

  Status start();
  void stop();
  int port() const { return port_; }

 private:
  void routes();

  UiOptions options_;
  AlertIndex* index_;
  Changes* changes_;
  Auth* auth_;
  Undoer* undoer_;
  nats::Connection* conn_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// Parses the FILTER query parameters; an error names the bad one.
Result<Filter> parse_filter(const std::multimap<std::string, std::string>& params);

// The embedded static files (ui_assets.cpp, generated from ui/static).
struct Asset {
  const char* path;
  const char* content_type;
  const char* body;
};
const Asset* find_asset(const std::string& path);

}  // namespace riposte::ui
