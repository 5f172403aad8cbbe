#include "detector/container/kube_pod_watcher.h"

#include <nlohmann/json.hpp>

#include <random>

#include "common/log.h"
#include "detector/container/pod_parse.h"

namespace riposte::detector {

KubePodWatcher::KubePodWatcher(kube::KubeClient* client, PodWatcherOptions options)
    : client_(client), options_(std::move(options)) {}

KubePodWatcher::~KubePodWatcher() { stop(); }

void KubePodWatcher::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void KubePodWatcher::stop() {
  stop_ = true;
  sleep_cv_.notify_all();
  client_->cancel_streams();
  if (thread_.joinable()) thread_.join();
}

void KubePodWatcher::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(sleep_mu_);
  sleep_cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

void KubePodWatcher::run() {
  std::mt19937_64 rng(std::random_device{}());
  auto backoff = options_.backoff_initial;
  auto fail = [&] {
    // jittered exponential back-off, so a fleet of detectors does not retry in step
    std::uniform_int_distribution<int64_t> jitter(0, backoff.count() / 2);
    sleep_for(backoff / 2 + std::chrono::milliseconds(jitter(rng)));
    backoff = std::min(backoff * 2, options_.backoff_max);
  };
  bool need_list = true;
  while (!stop_) {
    if (need_list) {
      if (!list(true)) {
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

bool KubePodWatcher::list(bool replace) {
  kube::KubeRequest req{.method = "GET", .path = "/api/v1/pods"};
  if (!options_.node_name.empty()) {
    req.query.emplace_back("fieldSelector", "spec.nodeName=" + options_.node_name);
  }
  auto resp = client_->request(req);
  std::string error;
  if (!resp) {
    error = resp.error();
  } else if (auto err = kube::classify(*resp)) {
    error = err->describe();
  }
  PodList parsed;
  if (error.empty()) {
    parsed = parse_pod_list(resp->body);
    if (!parsed.ok) error = "pod list: not a PodList";
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!error.empty()) {
    ++stats_.errors;
    log::warn("pod list failed", {{"error", error}});
    return false;
  }
  ++stats_.lists;
  if (replace) {
    pods_.clear();
    by_container_.clear();
    order_.clear();
    resource_version_ = parsed.resource_version;
  }
  for (auto& [uid, rec] : parsed.pods) upsert_locked(std::move(rec));
  if (replace) synced_ = true;
  log::debug("pods listed", {{"node", options_.node_name}, {"pods", pods_.size()}});
  return true;
}

KubePodWatcher::WatchEnd KubePodWatcher::watch() {
  kube::KubeRequest req{.method = "GET", .path = "/api/v1/pods"};
  if (!options_.node_name.empty()) {
    req.query.emplace_back("fieldSelector", "spec.nodeName=" + options_.node_name);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    req.query.emplace_back("resourceVersion", resource_version_);
    ++stats_.watches;
  }
  req.query.emplace_back("watch", "1");
  req.query.emplace_back("allowWatchBookmarks", "true");
  req.query.emplace_back("timeoutSeconds", std::to_string(options_.watch_timeout_s));
  std::string pending;  // an event split across chunks
  WatchEnd end = WatchEnd::kResume;
  auto status = client_->stream(req, [&](std::string_view chunk) {
    pending.append(chunk);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (!apply_event(std::string_view(pending).substr(start, nl - start), &end)) return false;
    }
    pending.erase(0, start);
    return !stop_.load();
  });
  if (stop_) return WatchEnd::kResume;
  if (!status) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.errors;
    log::warn("pod watch failed", {{"error", status.error()}});
    return WatchEnd::kError;
  }
  if (*status == 410) return WatchEnd::kExpired;
  if (*status < 200 || *status >= 300) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.errors;
    log::warn("pod watch refused", {{"status", *status}, {"body", pending.substr(0, 512)}});
    return WatchEnd::kError;
  }
  if (end == WatchEnd::kExpired) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.expired;
  }
  return end;
}

bool KubePodWatcher::apply_event(std::string_view line, WatchEnd* end) {
  if (line.empty()) return true;
  auto ev = nlohmann::json::parse(line, nullptr, false);
  if (!ev.is_object()) return true;
  const std::string type = ev.value("type", "");
  const auto& obj = ev.value("object", nlohmann::json::object());
  if (type == "ERROR") {
    // A Status: 410 Gone means our resourceVersion is too old for the watch cache.
    *end = obj.value("code", 0) == 410 ? WatchEnd::kExpired : WatchEnd::kError;
    if (*end == WatchEnd::kError) log::warn("pod watch error", {{"status", obj.dump()}});
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.events;
  if (auto meta = obj.find("metadata"); meta != obj.end() && meta->is_object()) {
    if (std::string rv = meta->value("resourceVersion", ""); !rv.empty()) resource_version_ = rv;
  }
  if (type == "BOOKMARK") return true;
  auto rec = parse_pod(obj);
  if (!rec) return true;
  if (type == "DELETED") {
    erase_locked(rec->pod->uid);
  } else if (type == "ADDED" || type == "MODIFIED") {
    upsert_locked(std::move(*rec));
  }
  return true;
}

void KubePodWatcher::upsert_locked(PodRecord rec) {
  const std::string uid = rec.pod->uid;
  auto it = pods_.find(uid);
  if (it == pods_.end()) {
    while (pods_.size() >= options_.max_pods && !order_.empty()) {
      erase_locked(order_.front());  // may be an already-deleted UID: harmless
      order_.pop_front();
    }
    order_.push_back(uid);
  } else {
    for (const auto& c : it->second.containers) by_container_.erase(c.id);
  }
  for (const auto& c : rec.containers) {
    if (!c.id.empty()) by_container_[c.id] = uid;
  }
  pods_.insert_or_assign(uid, std::move(rec));
  stats_.pods = pods_.size();
}

void KubePodWatcher::erase_locked(const std::string& uid) {
  auto it = pods_.find(uid);
  if (it == pods_.end()) return;
  for (const auto& c : it->second.containers) by_container_.erase(c.id);
  pods_.erase(it);
  stats_.pods = pods_.size();
  // order_ keeps the UID until it reaches the front: removal there is lazy.
  if (order_.size() > 2 * options_.max_pods) {
    std::erase_if(order_, [this](const std::string& u) { return pods_.count(u) == 0; });
  }
}

std::optional<PodRecord> KubePodWatcher::find_locked(const std::string& uid) const {
  auto it = pods_.find(uid);
  if (it == pods_.end()) return std::nullopt;
  return it->second;
}

std::optional<PodRecord> KubePodWatcher::lookup(const std::string& pod_uid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto rec = find_locked(pod_uid)) return rec;
  }
  // List on a miss, rate limited: the watch may simply not have delivered the pod yet.
  std::lock_guard<std::mutex> list_lock(list_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto rec = find_locked(pod_uid)) return rec;  // another miss list found it
    const auto now = Clock::now();
    if (now - last_miss_list_ < options_.min_relist) return std::nullopt;
    last_miss_list_ = now;
    ++stats_.miss_lists;
  }
  list(false);
  std::lock_guard<std::mutex> lock(mu_);
  return find_locked(pod_uid);
}

std::optional<PodRecord> KubePodWatcher::lookup_container(const std::string& container_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_container_.find(container_id);
  if (it == by_container_.end()) return std::nullopt;
  return find_locked(it->second);
}

KubePodWatcher::Stats KubePodWatcher::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace riposte::detector
