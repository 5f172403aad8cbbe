#include "common/kube/list_watch.h"

#include <random>

#include "common/log.h"

namespace riposte::kube {

ListWatch::ListWatch(KubeClient* client, std::string path, ListWatchHandlers handlers,
                     ListWatchOptions options)
    : client_(client), path_(std::move(path)), handlers_(std::move(handlers)),
      options_(options) {}

ListWatch::~ListWatch() { stop(); }

void ListWatch::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void ListWatch::stop() {
  stop_ = true;
  sleep_cv_.notify_all();
  if (thread_.joinable()) {
    client_->cancel_streams();
    thread_.join();
  }
}

ListWatch::Stats ListWatch::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void ListWatch::count(uint64_t Stats::*field) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(stats_.*field);
}

void ListWatch::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(sleep_mu_);
  sleep_cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

void ListWatch::run() {
  std::mt19937_64 rng(std::random_device{}());
  auto backoff = options_.backoff_initial;
  auto fail = [&] {
    std::uniform_int_distribution<int64_t> jitter(0, backoff.count() / 2);
    sleep_for(backoff / 2 + std::chrono::milliseconds(jitter(rng)));
    backoff = std::min(backoff * 2, options_.backoff_max);
  };
  bool need_list = true;
  while (!stop_) {
    if (need_list) {
      if (!list()) {
        fail();
        continue;
      }
      need_list = false;
    }
    switch (watch()) {
      case WatchEnd::kResume:
        backoff = options_.backoff_initial;
        break;
      case WatchEnd::kExpired:
        need_list = true;
        break;
      case WatchEnd::kError:
        if (!stop_) fail();
        break;
    }
  }
}

bool ListWatch::list() {
  auto resp = client_->request({.method = "GET", .path = path_, .query = options_.query});
  std::string error;
  nlohmann::json body;
  if (!resp) {
    error = resp.error();
  } else if (auto err = classify(*resp)) {
    error = err->describe();
  } else {
    body = nlohmann::json::parse(resp->body, nullptr, false);
    if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) {
      error = "not a list";
    }
  }
  if (!error.empty()) {
    count(&Stats::errors);
    log::warn("list failed", {{"path", path_}, {"error", error}});
    return false;
  }
  count(&Stats::lists);
  resource_version_.clear();
  if (auto md = body.find("metadata"); md != body.end() && md->is_object()) {
    resource_version_ = md->value("resourceVersion", "");
  }
  std::vector<nlohmann::json> items;
  for (auto& item : body["items"]) items.push_back(std::move(item));
  log::debug("listed", {{"path", path_}, {"items", items.size()}, {"resourceVersion", resource_version_}});
  if (handlers_.on_list) handlers_.on_list(std::move(items));
  synced_ = true;
  return true;
}

ListWatch::WatchEnd ListWatch::watch() {
  KubeRequest req{.method = "GET", .path = path_};
  req.query = options_.query;
  req.query.insert(req.query.end(), {{"watch", "1"},
                                     {"resourceVersion", resource_version_},
                                     {"allowWatchBookmarks", "true"},
                                     {"timeoutSeconds", std::to_string(options_.watch_timeout_s)}});
  count(&Stats::watches);
  std::string pending;  // an event split across chunks
  WatchEnd end = WatchEnd::kResume;
  bool any_data = false;
  const auto started = std::chrono::steady_clock::now();
  auto status = client_->stream(req, [&](std::string_view chunk) {
    any_data = true;
    pending.append(chunk);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (!apply_line(std::string_view(pending).substr(start, nl - start), &end)) return false;
    }
    pending.erase(0, start);
    return !stop_.load();
  });
  if (stop_) return WatchEnd::kResume;
  if (!status) {
    count(&Stats::errors);
    log::warn("watch failed", {{"path", path_}, {"error", status.error()}});
    return WatchEnd::kError;
  }
  if (*status == 410) {
    count(&Stats::expired);
    return WatchEnd::kExpired;
  }
  if (*status < 200 || *status >= 300) {
    count(&Stats::errors);
    log::warn("watch refused", {{"path", path_}, {"status", *status}, {"body", pending.substr(0, 512)}});
    return WatchEnd::kError;
  }
  if (end == WatchEnd::kExpired) count(&Stats::expired);
  // A server closing watches as soon as they open (shutting down) must not make us spin.
  if (end == WatchEnd::kResume && !any_data &&
      std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
    return WatchEnd::kError;
  }
  return end;
}

bool ListWatch::apply_line(std::string_view line, WatchEnd* end) {
  if (line.empty()) return true;
  auto ev = nlohmann::json::parse(line, nullptr, false);
  if (!ev.is_object()) return true;
  const std::string type = ev.value("type", "");
  auto obj_it = ev.find("object");
  if (obj_it == ev.end() || !obj_it->is_object()) return true;
  const nlohmann::json& obj = *obj_it;
  if (type == "ERROR") {
    // A Status: 410 Gone means our resourceVersion is older than the server's watch cache.
    *end = obj.value("code", 0) == 410 ? WatchEnd::kExpired : WatchEnd::kError;
    if (*end == WatchEnd::kError) {
      count(&Stats::errors);
      log::warn("watch error", {{"path", path_}, {"status", obj.dump()}});
    }
    return false;
  }
  if (auto md = obj.find("metadata"); md != obj.end() && md->is_object()) {
    if (std::string rv = md->value("resourceVersion", ""); !rv.empty()) resource_version_ = rv;
  }
  if (type == "BOOKMARK") return true;
  count(&Stats::events);
  if (handlers_.on_event && (type == "ADDED" || type == "MODIFIED" || type == "DELETED")) {
    handlers_.on_event(type, obj);
  }
  return true;
}

}  // namespace riposte::kube
