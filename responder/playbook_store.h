// The playbooks in force, reloaded when their files change. Files are polled (size, mtime and
// the set of files in each directory) rather than watched with inotify: Kubernetes updates a
// mounted ConfigMap by swapping a symlink, which inotify on the files themselves misses. A new
// version with any error is refused as a whole, its errors logged, and the last good set
// keeps running.
//
// Playbooks defined as Kubernetes objects (crd/crd_playbook_source.h) are handed in whole with
// set_object_playbooks() and run after the files' ones; either side changing rebuilds the
// engine with the other side as it was.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/kube/kube_client.h"
#include "responder/actions/guardrails.h"
#include "responder/playbook/engine.h"
#include "responder/responder_metrics.h"

namespace riposte::responder {

class PlaybookStore {
 public:
  // kube must outlive the store and every engine it hands out. No paths: only objects.
  // node_agent: where node actions go (may be null); must outlive the store too.
  PlaybookStore(std::vector<std::string> paths, kube::KubeClient& kube,
                actions::Guardrails guardrails, ResponderMetrics* metrics,
                actions::NodeAgentClient* node_agent = nullptr);
  ~PlaybookStore();
  PlaybookStore(const PlaybookStore&) = delete;
  PlaybookStore& operator=(const PlaybookStore&) = delete;

  // Loads (or reloads) now. On errors the current set stays; the result says why.
  playbook::LoadResult load();
  // Reloads when a file changed since the last attempt; true when a new set took over.
  bool reload_if_changed();
  // Polls every interval_ms on a background thread until stop() or destruction.
  void watch(int interval_ms);
  void stop();

  // Replaces the playbooks from Kubernetes objects (already validated) and rebuilds the engine.
  void set_object_playbooks(std::vector<playbook::Playbook> playbooks);

  // The set in force (never null after a successful load). Cheap: a shared_ptr copy.
  std::shared_ptr<const playbook::Engine> current() const;
  uint64_t generation() const { return generation_.load(); }

 private:
  std::string fingerprint() const;
  // Builds the engine from files_ and objects_; mu_ held.
  void rebuild_locked(const char* why);

  std::vector<std::string> paths_;
  kube::KubeClient& kube_;
  actions::Guardrails guardrails_;
  actions::NodeAgentClient* node_agent_;
  ResponderMetrics* metrics_;
  mutable std::mutex mu_;
  std::shared_ptr<const playbook::Engine> engine_;
  bool files_loaded_ = false;
  std::vector<playbook::Playbook> files_;    // the last good set from files
  std::vector<playbook::Playbook> objects_;  // from Kubernetes objects
  std::string last_fingerprint_;
  std::atomic<uint64_t> generation_{0};

  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace riposte::responder
