// Playbooks from Kubernetes objects: lists and watches playbooks.riposte.dev (every namespace)
// and clusterplaybooks.riposte.dev (kube::ListWatch: resourceVersion, bookmarks, 410 Gone ->
// list again, jittered backoff), validates each object with the file loader
// (crd/playbook_object.h) and hands the accepted ones, in a fixed order (ClusterPlaybooks,
// then Playbooks by namespace and name), to a sink - the PlaybookStore - whenever that set
// changes. An invalid object is simply not in force: the others keep running. Each object's
// verdict is written to its status subresource when it changed (crd/playbook_status.h).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/kube/list_watch.h"
#include "responder/crd/playbook_object.h"

namespace riposte::responder::crd {

struct CrdSourceOptions {
  kube::ListWatchOptions watch;
  bool write_status = true;  // off: e.g. a dry-run replica that must not write anything
};

class CrdPlaybookSource {
 public:
  using Sink = std::function<void(std::vector<playbook::Playbook>)>;
  // kube must outlive the source; its streams are cancelled by stop().
  CrdPlaybookSource(kube::KubeClient& kube, Sink sink, CrdSourceOptions options = {},
                    const actions::ActionRegistry& registry = actions::ActionRegistry::builtin());
  ~CrdPlaybookSource();
  CrdPlaybookSource(const CrdPlaybookSource&) = delete;
  CrdPlaybookSource& operator=(const CrdPlaybookSource&) = delete;

  void start();
  void stop();

  // Both kinds were listed at least once.
  bool synced() const;
  // Waits until synced() or the timeout passes; returns synced().
  bool wait_synced(std::chrono::milliseconds timeout) const;
  // "Playbook/shop/x" -> accepted, for every object known.
  std::map<std::string, bool> verdicts() const;
  uint64_t status_writes() const { return status_writes_.load(); }
  kube::ListWatch::Stats stats(Kind kind) const;

 private:
  void on_list(Kind kind, std::vector<nlohmann::json> items);
  void on_event(Kind kind, const std::string& type, const nlohmann::json& object);
  // Parses and stores the object (logging its verdict when it is new or changed against
  // `known`); appends it to *report, whose statuses are then checked.
  void upsert_locked(const nlohmann::json& object, Kind kind,
                     const std::map<ObjectRef, PlaybookObject>& known,
                     std::vector<PlaybookObject>* report);
  void publish_locked();
  // Adds the objects whose last status write failed to *report, to try again.
  void retry_unwritten_locked(std::vector<PlaybookObject>* report);
  void write_statuses(const std::vector<PlaybookObject>& objects);

  kube::KubeClient& kube_;
  Sink sink_;
  const CrdSourceOptions options_;
  const actions::ActionRegistry& registry_;

  mutable std::mutex mu_;
  std::map<ObjectRef, PlaybookObject> objects_;
  // Status writes that failed (API server down, RBAC cache still cold after its restart):
  // tried again with the next event or list of either kind.
  std::set<ObjectRef> unwritten_;
  std::string published_;  // what the sink last got (refs, uids, generations)
  bool ever_published_ = false;
  std::atomic<uint64_t> status_writes_{0};

  std::unique_ptr<kube::ListWatch> playbooks_;
  std::unique_ptr<kube::ListWatch> cluster_playbooks_;
};

}  // namespace riposte::responder::crd
