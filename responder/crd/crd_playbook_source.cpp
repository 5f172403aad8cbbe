#include "responder/crd/crd_playbook_source.h"

#include <algorithm>
#include <ctime>
#include <thread>

#include "common/log.h"
#include "responder/crd/playbook_status.h"

namespace riposte::responder::crd {
namespace {

std::string now_rfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string collection(Kind kind) {
  return std::string("/apis/") + kGroupVersion + "/" + resource_name(kind);
}

nlohmann::json errors_json(const PlaybookObject& o) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& e : o.errors) a.push_back(o.ref.str() + ": " + e);
  return a;
}

}  // namespace

CrdPlaybookSource::CrdPlaybookSource(kube::KubeClient& kube, Sink sink, CrdSourceOptions options,
                                     const actions::ActionRegistry& registry)
    : kube_(kube), sink_(std::move(sink)), options_(std::move(options)), registry_(registry) {
  auto watcher = [this](Kind kind) {
    kube::ListWatchHandlers h;
    h.on_list = [this, kind](std::vector<nlohmann::json> items) { on_list(kind, std::move(items)); };
    h.on_event = [this, kind](const std::string& type, const nlohmann::json& obj) {
      on_event(kind, type, obj);
    };
    return std::make_unique<kube::ListWatch>(&kube_, collection(kind), std::move(h),
                                             options_.watch);
  };
  playbooks_ = watcher(Kind::kPlaybook);
  cluster_playbooks_ = watcher(Kind::kClusterPlaybook);
}

CrdPlaybookSource::~CrdPlaybookSource() { stop(); }

void CrdPlaybookSource::start() {
  playbooks_->start();
  cluster_playbooks_->start();
}

void CrdPlaybookSource::stop() {
  playbooks_->stop();
  cluster_playbooks_->stop();
}

bool CrdPlaybookSource::synced() const {
  return playbooks_->synced() && cluster_playbooks_->synced();
}

bool CrdPlaybookSource::wait_synced(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!synced() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return synced();
}

std::map<std::string, bool> CrdPlaybookSource::verdicts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, bool> out;
  for (const auto& [ref, o] : objects_) out[ref.str()] = o.accepted();
  return out;
}

kube::ListWatch::Stats CrdPlaybookSource::stats(Kind kind) const {
  return (kind == Kind::kPlaybook ? playbooks_ : cluster_playbooks_)->stats();
}

void CrdPlaybookSource::on_list(Kind kind, std::vector<nlohmann::json> items) {
  std::vector<PlaybookObject> report;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A list is the whole truth for its kind: what it lacks was deleted meanwhile.
    std::map<ObjectRef, PlaybookObject> before;
    for (auto it = objects_.begin(); it != objects_.end();) {
      if (it->first.kind != kind) {
        ++it;
        continue;
      }
      auto node = objects_.extract(it++);
      before.insert(std::move(node));
    }
    for (const auto& item : items) upsert_locked(item, kind, before, &report);
    retry_unwritten_locked(&report);
    publish_locked();
  }
  write_statuses(report);
}

void CrdPlaybookSource::on_event(Kind kind, const std::string& type, const nlohmann::json& object) {
  std::vector<PlaybookObject> report;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (type == "DELETED") {
      if (auto parsed = parse_object(object, kind, registry_)) {
        objects_.erase(parsed->ref);
        log::info("playbook object deleted", {{"object", parsed->ref.str()}});
      }
    } else {
      upsert_locked(object, kind, objects_, &report);
    }
    retry_unwritten_locked(&report);
    publish_locked();
  }
  write_statuses(report);
}

void CrdPlaybookSource::upsert_locked(const nlohmann::json& object, Kind kind,
                                      const std::map<ObjectRef, PlaybookObject>& known,
                                      std::vector<PlaybookObject>* report) {
  auto parsed = parse_object(object, kind, registry_);
  if (!parsed) return;
  auto it = known.find(parsed->ref);
  const bool changed = it == known.end() || it->second.uid != parsed->uid ||
                       it->second.generation != parsed->generation;
  if (changed) {
    if (parsed->accepted()) {
      log::info("playbook object accepted",
                {{"object", parsed->ref.str()}, {"generation", parsed->generation}});
    } else {
      log::warn("playbook object refused; it is not in force",
                {{"object", parsed->ref.str()},
                 {"generation", parsed->generation},
                 {"errors", errors_json(*parsed)}});
    }
  }
  report->push_back(*parsed);
  objects_.insert_or_assign(parsed->ref, std::move(*parsed));
}

void CrdPlaybookSource::retry_unwritten_locked(std::vector<PlaybookObject>* report) {
  for (const auto& ref : unwritten_) {
    auto it = objects_.find(ref);
    const bool reported = std::any_of(report->begin(), report->end(),
                                      [&](const PlaybookObject& o) { return o.ref == ref; });
    if (it != objects_.end() && !reported) report->push_back(it->second);
  }
  unwritten_.clear();
}

void CrdPlaybookSource::publish_locked() {
  std::string fingerprint;
  std::vector<playbook::Playbook> accepted;
  // std::map order: ClusterPlaybooks first, then Playbooks by namespace and name.
  for (const auto& [ref, o] : objects_) {
    if (!o.accepted()) continue;
    fingerprint += ref.str() + "|" + o.uid + "|" + std::to_string(o.generation) + "\n";
    accepted.push_back(*o.playbook);
  }
  if (ever_published_ && fingerprint == published_) return;
  published_ = std::move(fingerprint);
  ever_published_ = true;
  if (sink_) sink_(std::move(accepted));
}

void CrdPlaybookSource::write_statuses(const std::vector<PlaybookObject>& objects) {
  if (!options_.write_status) return;
  const std::string now = now_rfc3339();
  for (const auto& o : objects) {
    auto patch = status_patch(o, now);
    if (!patch) continue;
    auto path = kube::resource_path({.group = "riposte.dev",
                                     .version = "v1alpha1",
                                     .resource = resource_name(o.ref.kind),
                                     .namespace_ = o.ref.namespace_,
                                     .name = o.ref.name,
                                     .subresource = "status"});
    if (!path) continue;
    auto resp = kube_.request({.method = "PATCH",
                               .path = *path,
                               .body = patch->dump(),
                               .content_type = "application/merge-patch+json"});
    std::optional<kube::KubeError> err =
        resp ? kube::classify(*resp) : kube::transport_error(resp.error());
    if (!err) {
      ++status_writes_;
      continue;
    }
    // A newer version (409) or a deletion (404) is on its way through the watch.
    if (err->kind == kube::KubeError::kConflict || err->kind == kube::KubeError::kNotFound) continue;
    log::warn("writing a playbook object's status failed; will try again",
              {{"object", o.ref.str()}, {"error", err->describe()}});
    std::lock_guard<std::mutex> lock(mu_);
    unwritten_.insert(o.ref);
  }
}

}  // namespace riposte::responder::crd
