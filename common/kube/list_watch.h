// List + watch of one API collection, the informer loop without the cache: a background thread
// lists the collection, hands every item to on_list, then watches from the list's
// resourceVersion and hands each ADDED / MODIFIED / DELETED object to on_event. A watch that
// ends (the server's timeoutSeconds, a closed connection) is resumed from the last
// resourceVersion seen, which bookmarks keep fresh; 410 Gone (the version is older than the
// server's watch cache, e.g. after an API server restart) means list again; errors back off
// exponentially with jitter so a fleet of replicas does not retry in step.
//
// Callbacks run on the watcher's thread, one at a time. stop() uses KubeClient::cancel_streams(),
// which ends every stream of that client: watchers sharing a client stop together.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/kube/kube_client.h"

namespace riposte::kube {

struct ListWatchOptions {
  std::chrono::milliseconds backoff_initial{250};
  // Low enough that a watch is back within seconds of an API server coming back.
  std::chrono::milliseconds backoff_max{8000};
  int watch_timeout_s = 300;  // the server ends each watch after this; it is resumed
  // Added to both the list and the watch, e.g. {"fieldSelector", "spec.nodeName=node-a"}.
  std::vector<std::pair<std::string, std::string>> query;
};

struct ListWatchHandlers {
  // Every object of the collection: replaces whatever was known before.
  std::function<void(std::vector<nlohmann::json> items)> on_list;
  // type: ADDED, MODIFIED or DELETED.
  std::function<void(const std::string& type, const nlohmann::json& object)> on_event;
};

class ListWatch {
 public:
  // path: the collection, e.g. "/apis/riposte.dev/v1alpha1/playbooks" (all namespaces).
  ListWatch(KubeClient* client, std::string path, ListWatchHandlers handlers,
            ListWatchOptions options = {});
  ~ListWatch();
  ListWatch(const ListWatch&) = delete;
  ListWatch& operator=(const ListWatch&) = delete;

  void start();
  void stop();

  struct Stats {
    uint64_t lists = 0, watches = 0, events = 0, expired = 0, errors = 0;
  };
  Stats stats() const;
  bool synced() const { return synced_.load(); }  // a list succeeded

 private:
  enum class WatchEnd { kResume, kExpired, kError };
  void run();
  bool list();
  WatchEnd watch();
  // One line of the stream; false ends the stream (an ERROR event).
  bool apply_line(std::string_view line, WatchEnd* end);
  void sleep_for(std::chrono::milliseconds d);
  void count(uint64_t Stats::*field);

  KubeClient* client_;
  const std::string path_;
  ListWatchHandlers handlers_;
  const ListWatchOptions options_;

  mutable std::mutex mu_;  // guards stats_
  Stats stats_;
  std::string resource_version_;  // the watcher thread's only
  std::atomic<bool> synced_{false};
  std::atomic<bool> stop_{false};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;
  std::thread thread_;
};

}  // namespace riposte::kube
