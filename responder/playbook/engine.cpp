#include "responder/playbook/engine.h"

#include <algorithm>
#include <exception>

namespace riposte::playbook {

bool RunOutcome::failed() const {
  return std::any_of(playbooks.begin(), playbooks.end(),
                     [](const PlaybookOutcome& p) { return p.failed; });
}

bool RunOutcome::retryable() const {
  for (const auto& p : playbooks) {
    for (const auto& s : p.steps) {
      if (s.result.status == actions::ActionResult::kFailed && s.result.retryable) return true;
    }
  }
  return false;
}

nlohmann::json to_json(const RunOutcome& outcome) {
  nlohmann::json pbs = nlohmann::json::array();
  for (const auto& p : outcome.playbooks) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : p.steps) {
      nlohmann::json requests = nlohmann::json::array();
      for (const auto& r : s.result.requests) {
        requests.push_back({{"method", r.method}, {"path", r.path}});
      }
      steps.push_back({{"action", s.action},
                       {"status", actions::status_name(s.result.status)},
                       {"message", s.result.message},
                       {"targets", s.result.targets},
                       {"requests", requests}});
      if (s.result.status == actions::ActionResult::kFailed) {
        steps.back()["retryable"] = s.result.retryable;
      }
    }
    pbs.push_back(
        {{"playbook", p.playbook}, {"dry_run", p.dry_run}, {"failed", p.failed}, {"steps", steps}});
  }
  return {{"playbooks", pbs}};
}

Engine::Engine(std::vector<Playbook> playbooks, kube::KubeClient& kube,
               actions::Guardrails guardrails)
    : playbooks_(std::move(playbooks)), kube_(kube), guardrails_(std::move(guardrails)) {}

RunOutcome Engine::handle(const Alert& alert, bool force_dry_run) const {
  RunOutcome out;
  for (const auto& pb : playbooks_) {
    if (pb.match.matches(alert))
      out.playbooks.push_back(run(pb, alert, force_dry_run || pb.dry_run));
  }
  return out;
}

PlaybookOutcome Engine::run(const Playbook& pb, const Alert& alert, bool dry_run) const {
  PlaybookOutcome out;
  out.playbook = pb.name;
  out.dry_run = dry_run;
  for (const auto& step : pb.steps) {
    actions::ActionContext ctx{alert, step.params, kube_, guardrails_, dry_run, pb.name};
    actions::ActionResult result;
    if (!step.impl) {
      result = actions::ActionResult::failed("action \"" + step.action + "\" is not bound");
    } else {
      // One broken action (a throwing parser, a bad_alloc) must not take down the responder
      // or the other playbooks for this alert.
      try {
        result = step.impl->execute(ctx);
      } catch (const std::exception& e) {
        result = actions::ActionResult::failed("internal error: " + std::string(e.what()));
      }
    }
    const bool failed = result.status == actions::ActionResult::kFailed;
    out.steps.push_back({step.action, std::move(result)});
    if (failed) {
      out.failed = true;
      if (!step.continue_on_error) break;
    }
  }
  return out;
}

}  // namespace riposte::playbook
