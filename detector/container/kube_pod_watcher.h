// PodSource over the Kubernetes API: the pods of this node (fieldSelector spec.nodeName),
// listed and then watched by kube::ListWatch (resume, 410 re-list, jittered back-off), so a
// pod is known before its first container starts. The cache is indexed by pod UID and by
// container id, and bounded (oldest pods dropped first past max_pods).
//
// A miss (a pod the watch has not delivered yet: a process that starts and exits within a
// millisecond of its pod being created) falls back to one synchronous list, at most every
// min_relist, on the caller's thread: a short stall of the event thread, absorbed by the ring
// buffer, instead of an alert without pod context.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/kube/kube_client.h"
#include "common/kube/list_watch.h"
#include "detector/container/pod_source.h"

namespace riposte::detector {

struct PodWatcherOptions {
  std::string node_name;  // empty: every pod of the cluster
  size_t max_pods = 4096;
  std::chrono::milliseconds min_relist{500};  // between lists on a miss
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  int watch_timeout_s = 300;  // the server ends each watch after this; we resume it
};

class KubePodWatcher final : public PodSource {
 public:
  using Clock = std::chrono::steady_clock;
  KubePodWatcher(kube::KubeClient* client, PodWatcherOptions options);
  ~KubePodWatcher() override;
  KubePodWatcher(const KubePodWatcher&) = delete;
  KubePodWatcher& operator=(const KubePodWatcher&) = delete;

  // Starts the list+watch thread; stop() (or the destructor) ends it.
  void start() { list_watch_.start(); }
  void stop() { list_watch_.stop(); }

  std::optional<PodRecord> lookup(const std::string& pod_uid) override;
  std::optional<PodRecord> lookup_container(const std::string& container_id) override;

  // True once a list succeeded (the cache reflects the node).
  bool synced() const { return list_watch_.synced(); }
  struct Stats {
    uint64_t lists = 0, watches = 0, events = 0, expired = 0, errors = 0, miss_lists = 0;
    size_t pods = 0;
  };
  Stats stats() const;

 private:
  void replace_all(std::vector<nlohmann::json> items);
  void apply(const std::string& type, const nlohmann::json& object);
  // The synchronous list of a miss: adds what it finds, replaces nothing.
  void list_missing();
  void upsert_locked(PodRecord rec);
  void erase_locked(const std::string& uid);
  std::optional<PodRecord> find_locked(const std::string& uid) const;

  kube::KubeClient* client_;
  PodWatcherOptions options_;

  mutable std::mutex mu_;  // guards everything below up to list_mu_
  std::unordered_map<std::string, PodRecord> pods_;             // by UID
  std::unordered_map<std::string, std::string> by_container_;  // container id -> UID
  std::deque<std::string> order_;  // UIDs in insertion order, for the bound (lazy removal)
  Clock::time_point last_miss_list_{};
  uint64_t miss_lists_ = 0;

  std::mutex list_mu_;  // one miss list at a time
  kube::ListWatch list_watch_;  // last: its thread stops before the cache goes
};

}  // namespace riposte::detector
