#include "detector/enforce/playbook_enforce.h"

#include <algorithm>
#include <filesystem>

#include "common/log.h"

namespace riposte::detector {

void add_playbook_enforcers(const rules::Ruleset& ruleset,
                            const std::vector<playbook::Playbook>& playbooks, HoldPlan* plan,
                            std::vector<std::string>* unmatched) {
  for (const playbook::Playbook& pb : playbooks) {
    if (!pb.enforce) continue;
    bool any = false;
    for (const rules::CompiledRule* r : ruleset.enabled_rules()) {
      if (!r->filter.event_types().contains(EventType::kExecve)) continue;
      if (std::none_of(pb.match.rules.begin(), pb.match.rules.end(),
                       [&](const std::string& g) { return playbook::glob_match(g, r->name); })) {
        continue;
      }
      Enforcer by;
      by.source = "playbook " + pb.name + " (" + pb.origin + ")";
      by.match = pb.match;
      by.confined_to = pb.namespace_;
      by.host = pb.enforce->host && pb.namespace_.empty();
      by.dry_run = pb.dry_run;
      by.protect = true;
      add_enforcer(plan, r, std::move(by));
      any = true;
    }
    if (!any && unmatched != nullptr) unmatched->push_back(pb.name);
  }
}

playbook::LoadResult load_playbook_files(const std::vector<std::string>& paths) {
  // The loader refuses a directory without playbooks (a responder must have some); here it
  // is the playbooks all removed: nothing is enforcing.
  const bool none = std::all_of(paths.begin(), paths.end(), [](const std::string& p) {
    std::error_code ec;
    return std::filesystem::is_directory(p, ec) && playbook::playbook_files(p).empty();
  });
  return none ? playbook::LoadResult{} : playbook::load_playbooks(paths);
}

void PlaybookEnforcement::set_objects(std::vector<playbook::Playbook> objects) {
  std::lock_guard<std::mutex> lock(mu_);
  objects_ = std::move(objects);
}

std::optional<std::vector<playbook::Playbook>> PlaybookEnforcement::poll() {
  bool changed = first_;
  first_ = false;
  if (!paths_.empty()) {
    const std::string fp = playbook::playbook_files_fingerprint(paths_);
    if (fp != fingerprint_) {
      fingerprint_ = fp;
      playbook::LoadResult loaded = load_playbook_files(paths_);
      if (loaded.ok()) {
        files_ = std::move(loaded.playbooks);
        changed = true;
      } else {
        log::error("new playbooks refused; the enforcing rules stay as they were",
                   {{"errors", loaded.error_text()}});
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (objects_) {
      objects_in_force_ = std::move(*objects_);
      objects_.reset();
      changed = true;
    }
  }
  if (!changed) return std::nullopt;
  std::vector<playbook::Playbook> all = files_;
  all.insert(all.end(), objects_in_force_.begin(), objects_in_force_.end());
  return all;
}

}  // namespace riposte::detector
