// Runs playbooks for an alert: every matching playbook in load order, its steps in order,
// stopping a playbook at the first failed step unless that step says continue_on_error.
// Pure logic over a KubeClient; reporting (logs, metrics, events) is the caller's, from the
// returned outcome.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/alert.h"
#include "responder/actions/action.h"
#include "responder/actions/guardrails.h"
#include "common/kube/kube_client.h"
#include "responder/playbook/playbook.h"

namespace riposte::playbook {

struct StepOutcome {
  std::string action;
  actions::ActionResult result;
};

struct PlaybookOutcome {
  std::string playbook;
  bool dry_run = false;
  bool failed = false;             // a step failed (whether or not the playbook went on)
  std::vector<StepOutcome> steps;  // the steps that ran
};

struct RunOutcome {
  std::vector<PlaybookOutcome> playbooks;  // the matching ones, in order
  bool matched() const { return !playbooks.empty(); }
  bool failed() const;  // any step of any playbook failed
  // Some failed step may succeed if the alert is handled again (see ActionResult::retryable);
  // a consumer can redeliver such alerts and settle the others.
  bool retryable() const;
};

// {"playbooks":[{"playbook":..,"dry_run":..,"failed":..,"steps":[{"action":..,"status":..,
//  "message":..,"targets":[..],"requests":[{"method":..,"path":..}][,"retryable":..]}]}]}
nlohmann::json to_json(const RunOutcome& outcome);

class Engine {
 public:
  // kube must outlive the engine. The playbooks' actions are bound to their registry, which
  // must outlive it too (the built-in one lives forever).
  Engine(std::vector<Playbook> playbooks, kube::KubeClient& kube, actions::Guardrails guardrails);

  // force_dry_run: report what would be done, send nothing (e.g. a responder-wide dry run).
  // Thread-safe when the KubeClient is: playbooks and guardrails are only read.
  RunOutcome handle(const Alert& alert, bool force_dry_run = false) const;

  const std::vector<Playbook>& playbooks() const { return playbooks_; }

 private:
  PlaybookOutcome run(const Playbook& pb, const Alert& alert, bool dry_run) const;

  std::vector<Playbook> playbooks_;
  kube::KubeClient& kube_;
  actions::Guardrails guardrails_;
};

}  // namespace riposte::playbook
