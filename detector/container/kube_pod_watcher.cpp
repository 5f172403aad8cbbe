#include "detector/container/kube_pod_watcher.h"

#include <nlohmann/json.hpp>


#include "common/log.h"
#include "detector/container/pod_parse.h"

namespace riposte::detector {

namespace {

std::vector<std::pair<std::string, std::string>> node_selector(const std::string& node_name) {
  if (node_name.empty()) return {};
  return {{"fieldSelector", "spec.nodeName=" + node_name}};
}

kube::ListWatchOptions list_watch_options(const PodWatcherOptions& o) {
  kube::ListWatchOptions lw;
  lw.backoff_initial = o.backoff_initial;
  lw.backoff_max = o.backoff_max;
  lw.watch_timeout_s = o.watch_timeout_s;
  lw.query = node_selector(o.node_name);
  return lw;
}

}  // namespace

KubePodWatcher::KubePodWatcher(kube::KubeClient* client, PodWatcherOptions options)
    : client_(client),
      options_(std::move(options)),
      list_watch_(client, "/api/v1/pods",
                  {.on_list = [this](std::vector<nlohmann::json> items) { replace_all(std::move(items)); },
                   .on_event = [this](const std::string& type,
                                      const nlohmann::json& object) { apply(type, object); }},
                  list_watch_options(options_)) {}

KubePodWatcher::~KubePodWatcher() { stop(); }

void KubePodWatcher::replace_all(std::vector<nlohmann::json> items) {
  std::lock_guard<std::mutex> lock(mu_);
  pods_.clear();
  by_container_.clear();
  order_.clear();
  for (const auto& item : items) {
    if (auto rec = parse_pod(item)) upsert_locked(std::move(*rec));
  }
  log::debug("pods listed", {{"node", options_.node_name}, {"pods", pods_.size()}});
}

void KubePodWatcher::apply(const std::string& type, const nlohmann::json& object) {
  auto rec = parse_pod(object);
  if (!rec) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (type == "DELETED") {
    erase_locked(rec->pod->uid);
  } else {
    upsert_locked(std::move(*rec));
  }
}

void KubePodWatcher::list_missing() {
  auto resp = client_->request(
      {.method = "GET", .path = "/api/v1/pods", .query = node_selector(options_.node_name)});
  std::string error;
  if (!resp) {
    error = resp.error();
  } else if (auto err = kube::classify(*resp)) {
    error = err->describe();
  }
  PodList parsed;
  if (error.empty()) {
    parsed = parse_pod_list(resp->body);
    if (!parsed.ok) error = "not a PodList";
  }
  if (!error.empty()) {
    log::warn("pod list on a miss failed", {{"error", error}});
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [uid, rec] : parsed.pods) upsert_locked(std::move(rec));
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
}

void KubePodWatcher::erase_locked(const std::string& uid) {
  auto it = pods_.find(uid);
  if (it == pods_.end()) return;
  for (const auto& c : it->second.containers) by_container_.erase(c.id);
  pods_.erase(it);
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
    ++miss_lists_;
  }
  list_missing();
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
  const kube::ListWatch::Stats lw = list_watch_.stats();
  std::lock_guard<std::mutex> lock(mu_);
  return {.lists = lw.lists, .watches = lw.watches, .events = lw.events, .expired = lw.expired,
          .errors = lw.errors, .miss_lists = miss_lists_, .pods = pods_.size()};
}

}  // namespace riposte::detector
