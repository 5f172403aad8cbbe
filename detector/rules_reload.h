// Reloads the detector's rules when their files change (falcoctl's follower installs new
// versions of Falco's rulesets into the rules directory). All or nothing, as Falco's hot
// reload: the files are loaded together into a new Ruleset, and one with any error is refused
// as a whole (counted, its diagnostics logged): the last good set stays in force.
//
// Every set ever loaded is kept: the exec hold's plan and alerts made before a swap point
// into the set they came from, and rules files change rarely (falcoctl checks weekly).
// What a swap cannot change without a restart is logged: syscalls and open paths are chosen
// in the kernel at start, so a new set that needs event types the running one did not see
// them only after the next start.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "detector/rules/ruleset.h"

namespace riposte::detector {

class RulesReloader {
 public:
  // first: the set loaded at start from files (with opts); registry: the reload counters
  // riposte_detector_rules_reloads_total{outcome="loaded"|"refused"}.
  RulesReloader(std::vector<std::string> files, rules::LoadOptions opts,
                std::unique_ptr<rules::Ruleset> first, Registry* registry);

  // The set in force; any thread (metrics, readiness).
  const rules::Ruleset& current() const { return *current_.load(); }
  // Checks the files (size, mtime, inode: a rename by an installer shows too); when one
  // changed, loads them all. The new set when it loaded without errors (now current()),
  // else null (unchanged, or refused: current() stays).
  const rules::Ruleset* poll();

 private:
  struct Stamp {
    bool exists = false;
    off_t size = 0;
    int64_t mtime_ns = 0;
    ino_t inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  std::vector<Stamp> stamps() const;

  std::vector<std::string> files_;
  rules::LoadOptions opts_;
  std::vector<std::unique_ptr<rules::Ruleset>> sets_;  // poll()'s thread only
  std::atomic<const rules::Ruleset*> current_{nullptr};
  rules::EventTypeSet attached_;  // what the kernel was set up for at start
  std::vector<Stamp> seen_;
  Counter* loaded_;
  Counter* refused_;
};

// Falco's /versions (falco/userspace/falco/versions_info.cpp: the same keys), which
// falcoctl's follower reads to check an artifact's requirements (engine_version_semver for
// rulesfiles) before installing it: the engine version riposte implements
// (rules::kEngineVersion), "engine_version" its minor number as Falco keeps it, no plugins.
std::string falco_versions_json();

}  // namespace riposte::detector
