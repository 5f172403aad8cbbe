#include "responder/playbook_store.h"

#include <chrono>

#include "common/log.h"

namespace riposte::responder {

PlaybookStore::PlaybookStore(std::vector<std::string> paths, kube::KubeClient& kube,
                             actions::Guardrails guardrails, ResponderMetrics* metrics,
                             actions::NodeAgentClient* node_agent)
    : paths_(std::move(paths)),
      kube_(kube),
      guardrails_(std::move(guardrails)),
      node_agent_(node_agent),
      metrics_(metrics) {}

PlaybookStore::~PlaybookStore() { stop(); }

std::string PlaybookStore::fingerprint() const {
  return playbook::playbook_files_fingerprint(paths_);
}

playbook::LoadResult PlaybookStore::load() {
  const std::string fp = fingerprint();
  playbook::LoadResult loaded =
      paths_.empty() ? playbook::LoadResult{} : playbook::load_playbooks(paths_);
  std::lock_guard<std::mutex> lock(mu_);
  last_fingerprint_ = fp;
  if (!loaded.ok()) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& d : loaded.errors) errors.push_back(d.str());
    log::error(files_loaded_ ? "new playbooks refused; the previous set stays in force"
                             : "playbooks have errors",
               {{"errors", errors}});
    if (metrics_) metrics_->reload("refused", 0);
    return loaded;
  }
  files_ = std::move(loaded.playbooks);
  files_loaded_ = true;
  rebuild_locked("playbooks loaded");
  return playbook::LoadResult{};
}

void PlaybookStore::set_object_playbooks(std::vector<playbook::Playbook> playbooks) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_ = std::move(playbooks);
  // Before the files load, the engine waits for them: it must never run without them.
  if (files_loaded_) rebuild_locked("playbook objects changed");
}

void PlaybookStore::rebuild_locked(const char* why) {
  // Copies share the params' YAML nodes, which nothing modifies once loaded.
  std::vector<playbook::Playbook> all = files_;
  all.insert(all.end(), objects_.begin(), objects_.end());
  const size_t n = all.size();
  nlohmann::json names = nlohmann::json::array();
  for (const auto& pb : all) names.push_back(pb.name);
  engine_ =
      std::make_shared<const playbook::Engine>(std::move(all), kube_, guardrails_, node_agent_);
  const uint64_t gen = ++generation_;
  log::info(why, {{"count", n}, {"playbooks", names}, {"generation", gen}});
  if (metrics_) metrics_->reload("loaded", n);
}

bool PlaybookStore::reload_if_changed() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fingerprint() == last_fingerprint_) return false;
  }
  const uint64_t before = generation_.load();
  load();
  return generation_.load() != before;
}

void PlaybookStore::watch(int interval_ms) {
  watcher_ = std::thread([this, interval_ms] {
    std::unique_lock<std::mutex> lock(watch_mu_);
    while (!watch_cv_.wait_for(lock, std::chrono::milliseconds(interval_ms),
                               [&] { return stopping_; })) {
      lock.unlock();
      reload_if_changed();
      lock.lock();
    }
  });
}

void PlaybookStore::stop() {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    stopping_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const playbook::Engine> PlaybookStore::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return engine_;
}

}  // namespace riposte::responder
