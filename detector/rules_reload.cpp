#include "detector/rules_reload.h"

#include "common/log.h"
#include "detector/event/event.h"

namespace riposte::detector {

RulesReloader::RulesReloader(std::vector<std::string> files, rules::LoadOptions opts,
                             std::unique_ptr<rules::Ruleset> first, Registry* registry)
    : files_(std::move(files)), opts_(std::move(opts)) {
  attached_ = first->event_types();
  sets_.push_back(std::move(first));
  current_.store(sets_.back().get());
  seen_ = stamps();
  const std::string name = "riposte_detector_rules_reloads_total";
  const std::string help = "Rules files changes: loaded (now in force) or refused (errors)";
  loaded_ = &registry->counter(name, help, {{"outcome", "loaded"}});
  refused_ = &registry->counter(name, help, {{"outcome", "refused"}});
}

std::vector<RulesReloader::Stamp> RulesReloader::stamps() const {
  std::vector<Stamp> out;
  for (const auto& f : files_) {
    Stamp s;
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0) {
      s.exists = true;
      s.size = st.st_size;
      s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
      s.inode = st.st_ino;
    }
    out.push_back(s);
  }
  return out;
}

const rules::Ruleset* RulesReloader::poll() {
  auto now = stamps();
  if (now == seen_) return nullptr;
  seen_ = std::move(now);
  auto loaded = rules::load_rules(files_, opts_);
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& d : loaded.diagnostics) {
    if (d.severity == rules::Diagnostic::kError && errors.size() < 20) errors.push_back(d.str());
  }
  if (!loaded.ok()) {
    // A half-written file, a typo, an unknown field: nothing of it applies.
    refused_->inc();
    log::error("rules reload refused: the last good rules stay in force",
               {{"files", files_},
                {"errors", loaded.errors()},
                {"diagnostics", errors},
                {"refused", static_cast<uint64_t>(refused_->value())}});
    return nullptr;
  }
  rules::EventTypeSet missing = loaded.ruleset->event_types();
  missing &= attached_.complement();
  nlohmann::json needs = nlohmann::json::array();
  for (EventType t : missing.to_vector()) needs.push_back(std::string(event_type_name(t)));
  sets_.push_back(std::move(loaded.ruleset));
  current_.store(sets_.back().get());
  loaded_->inc();
  log::info("rules reloaded", {{"files", files_},
                               {"rules", current().enabled_rules().size()},
                               {"warnings", loaded.warnings()},
                               {"reloads", static_cast<uint64_t>(loaded_->value())}});
  if (!needs.empty()) {
    log::warn(
        "reloaded rules need event types the kernel was not set up for at start: they "
        "match those only after a restart",
        {{"event_types", needs}});
  }
  return &current();
}

std::string falco_versions_json() {
  const std::string semver(rules::kEngineVersion);
  const size_t a = semver.find('.'), b = semver.find('.', a + 1);
  nlohmann::json v = {{"falco_version", "riposte"},
                      {"libs_version", ""},
                      {"plugin_api_version", ""},
                      {"driver_api_version", ""},
                      {"driver_schema_version", ""},
                      {"default_driver_version", ""},
                      {"engine_version", semver.substr(a + 1, b - a - 1)},
                      {"engine_version_semver", semver},
                      {"plugin_versions", nlohmann::json::object()}};
  return v.dump();
}

}  // namespace riposte::detector
