// Runs playbooks for an alert: the matching playbooks in load order (up to and including the
// first matching one that says `stop`), each one's steps in order, stopping a playbook at the
// first failed step unless that step says continue_on_error. Steps whose `when` does not hold
// are skipped. Pure logic over a KubeClient; exactly-once bookkeeping, cooldowns, rate limits
// and reporting are the caller's (alert_consumer.h), through RunHooks and the outcome.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/alert.h"
#include "common/kube/kube_client.h"
#include "responder/actions/action.h"
#include "responder/actions/guardrails.h"
#include "responder/playbook/playbook.h"

namespace riposte::playbook {

struct StepOutcome {
  std::string name;  // the step's name, "" when unnamed
  std::string action;
  actions::ActionResult result;
  YAML::Node params;        // as rendered for this alert; undefined when the step has none
  int64_t started_ns = 0;   // wall clock, ns since the epoch
  int64_t duration_ns = 0;  // until the action returned (its last API response)
};

struct PlaybookOutcome {
  std::string playbook;
  bool dry_run = false;
  bool failed = false;             // a step failed (whether or not the playbook went on)
  std::vector<StepOutcome> steps;  // the steps that were reached, in order
  int64_t started_ns = 0;
  int64_t finished_ns = 0;
  bool retryable() const;  // a failed step may succeed if run again
};

struct RunOutcome {
  std::vector<PlaybookOutcome> playbooks;  // the matching ones, in order
  bool matched() const { return !playbooks.empty(); }
  bool failed() const;  // any step of any playbook failed
  // Some failed step may succeed if the alert is handled again (see ActionResult::retryable);
  // a consumer can redeliver such alerts and settle the others.
  bool retryable() const;
};

// {"action":..,"status":..,"message":..,"targets":[..],"requests":[{"method":..,"path":..,
//  "body":..}][,"retryable":..][,"name":..][,"params":..],"started":..,"duration_ms":..}
nlohmann::json to_json(const StepOutcome& step);
// The inverse, for outcomes recorded by an earlier attempt (see RunHooks::resume).
StepOutcome step_from_json(const nlohmann::json& j);
nlohmann::json to_json(const PlaybookOutcome& outcome);
// {"playbooks":[{"playbook":..,"dry_run":..,"failed":..,"steps":[..]}]}
nlohmann::json to_json(const RunOutcome& outcome);

struct RunHooks {
  // Before a step that would send requests (not dry-run): nullopt lets it run; a reason skips
  // it (e.g. a rate limit) with that message.
  std::function<std::optional<std::string>(const Playbook&, const Step&, const Alert&)> admit;
  // After each step, with the outcome so far (e.g. to record progress).
  std::function<void(const PlaybookOutcome&)> on_step;
  // Steps an earlier attempt of this run finished (by position): not run again, their
  // recorded outcome is reused. A failed one is run again.
  const std::vector<StepOutcome>* resume = nullptr;
  // The run's idempotency key (run_key()); each step's actions get it with the step's
  // position appended (ActionContext::idempotency_key).
  std::string run_key;
};

class Engine {
 public:
  // kube must outlive the engine. The
  // playbooks' actions are bound to their registry, which must outlive them too (the
  // built-in one lives forever).
  // node_agent (may be null: node actions then fail) must outlive the engine too.
  Engine(std::vector<Playbook> playbooks, kube::KubeClient& kube, actions::Guardrails guardrails,
         actions::NodeAgentClient* node_agent = nullptr);

  // The playbooks that handle alert, in order, honouring `stop`. A playbook confined to a
  // namespace (Playbook::namespace_) handles only alerts whose k8s.ns.name is that namespace.
  std::vector<const Playbook*> matching(const Alert& alert) const;

  // force_dry_run: report what would be done, send nothing (e.g. a responder-wide dry run).
  // Thread-safe when the KubeClient is: playbooks and guardrails are only read.
  RunOutcome handle(const Alert& alert, bool force_dry_run = false) const;
  PlaybookOutcome run(const Playbook& pb, const Alert& alert, bool force_dry_run,
                      const RunHooks& hooks = {}) const;

  const std::vector<Playbook>& playbooks() const { return playbooks_; }
  kube::KubeClient& kube() const { return kube_; }

 private:
  StepOutcome run_step(const Playbook& pb, size_t index, const Alert& alert, bool dry_run,
                       const RunHooks& hooks) const;

  std::vector<Playbook> playbooks_;
  kube::KubeClient& kube_;
  actions::Guardrails guardrails_;
  actions::NodeAgentClient* node_agent_;
};

// Whether a step's `when` holds for alert and the steps run so far.
bool when_holds(const When& when, const Alert& alert, const std::vector<StepOutcome>& so_far);

}  // namespace riposte::playbook
