#include "responder/playbook/engine.h"

#include <algorithm>
#include <chrono>

#include "responder/actions/target.h"
#include "responder/playbook/step_runner.h"

namespace riposte::playbook {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_failed(const StepOutcome& s) { return s.result.status == actions::ActionResult::kFailed; }

// YAML params as JSON for records: scalars stay strings (that is how actions read them).
nlohmann::json yaml_to_json(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return nullptr;
  if (n.IsScalar()) return n.Scalar();
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& item : n) a.push_back(yaml_to_json(item));
    return a;
  }
  nlohmann::json o = nlohmann::json::object();
  for (const auto& kv : n) o[kv.first.Scalar()] = yaml_to_json(kv.second);
  return o;
}

actions::ActionResult::Status status_from_name(const std::string& s) {
  for (auto st : {actions::ActionResult::kSucceeded, actions::ActionResult::kSkipped,
                  actions::ActionResult::kDryRun}) {
    if (actions::status_name(st) == s) return st;
  }
  return actions::ActionResult::kFailed;
}

// Matching is a courtesy to the other namespaces; the guardrails are what confine the actions.
bool about_namespace(const Alert& alert, const std::string& ns) {
  std::string alert_ns;
  return alert.field_string(actions::kNamespaceField, &alert_ns) && alert_ns == ns;
}

}  // namespace

bool PlaybookOutcome::retryable() const {
  return std::any_of(steps.begin(), steps.end(),
                     [](const StepOutcome& s) { return is_failed(s) && s.result.retryable; });
}

bool RunOutcome::failed() const {
  return std::any_of(playbooks.begin(), playbooks.end(),
                     [](const PlaybookOutcome& p) { return p.failed; });
}

bool RunOutcome::retryable() const {
  return std::any_of(playbooks.begin(), playbooks.end(),
                     [](const PlaybookOutcome& p) { return p.retryable(); });
}

nlohmann::json to_json(const StepOutcome& s) {
  nlohmann::json requests = nlohmann::json::array();
  for (const auto& r : s.result.requests) {
    requests.push_back({{"method", r.method}, {"path", r.path}, {"body", r.body}});
  }
  for (const auto& a : s.result.answers) {
    if (a.request >= requests.size()) continue;
    nlohmann::json& answer = requests[a.request]["answer"];
    if (a.error.empty())
      answer = {{"status", a.status}, {"body", a.body}};
    else
      answer = {{"error", a.error}};
  }
  nlohmann::json j = {{"action", s.action},
                      {"status", actions::status_name(s.result.status)},
                      {"message", s.result.message},
                      {"targets", s.result.targets},
                      {"requests", requests}};
  if (s.result.status == actions::ActionResult::kFailed) j["retryable"] = s.result.retryable;
  if (!s.name.empty()) j["name"] = s.name;
  if (!s.result.reply.is_null()) j["reply"] = s.result.reply;
  if (s.params.IsDefined() && !s.params.IsNull()) j["params"] = yaml_to_json(s.params);
  j["started"] = format_rfc3339_ns(s.started_ns);
  j["duration_ms"] = static_cast<double>(s.duration_ns) / 1e6;
  return j;
}

StepOutcome step_from_json(const nlohmann::json& j) {
  StepOutcome s;
  s.action = j.value("action", "");
  s.name = j.value("name", "");
  s.result.status = status_from_name(j.value("status", ""));
  s.result.message = j.value("message", "");
  s.result.retryable = j.value("retryable", false);
  if (auto t = j.find("targets"); t != j.end() && t->is_array()) {
    for (const auto& v : *t) {
      if (v.is_string()) s.result.targets.push_back(v.get<std::string>());
    }
  }
  if (auto r = j.find("requests"); r != j.end() && r->is_array()) {
    for (const auto& v : *r) {
      if (v.is_object()) {
        s.result.requests.push_back(
            {v.value("method", ""), v.value("path", ""), v.value("body", "")});
      }
    }
  }
  if (auto r = j.find("reply"); r != j.end()) s.result.reply = *r;
  if (auto t = parse_rfc3339(j.value("started", ""))) s.started_ns = *t;
  s.duration_ns = static_cast<int64_t>(j.value("duration_ms", 0.0) * 1e6);
  return s;
}

nlohmann::json to_json(const PlaybookOutcome& p) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : p.steps) steps.push_back(to_json(s));
  return {{"playbook", p.playbook}, {"dry_run", p.dry_run}, {"failed", p.failed},
          {"steps", steps}};
}

nlohmann::json to_json(const RunOutcome& outcome) {
  nlohmann::json pbs = nlohmann::json::array();
  for (const auto& p : outcome.playbooks) pbs.push_back(to_json(p));
  return {{"playbooks", pbs}};
}

bool when_holds(const When& when, const Alert& alert, const std::vector<StepOutcome>& so_far) {
  if (!when.alert.matches(alert)) return false;
  for (const auto& ref : when.steps) {
    // A step that was not reached (an earlier failure stopped the playbook) has no status.
    auto it = std::find_if(so_far.begin(), so_far.end(),
                           [&](const StepOutcome& s) { return s.name == ref.step; });
    if (it == so_far.end()) return false;
    if (std::find(ref.any_of.begin(), ref.any_of.end(), it->result.status) == ref.any_of.end())
      return false;
  }
  return true;
}

Engine::Engine(std::vector<Playbook> playbooks, kube::KubeClient& kube,
               actions::Guardrails guardrails, actions::NodeAgentClient* node_agent)
    : playbooks_(std::move(playbooks)),
      kube_(kube),
      guardrails_(std::move(guardrails)),
      node_agent_(node_agent) {}

std::vector<const Playbook*> Engine::matching(const Alert& alert) const {
  std::vector<const Playbook*> out;
  for (const auto& pb : playbooks_) {
    if (!pb.namespace_.empty() && !about_namespace(alert, pb.namespace_)) continue;
    if (!pb.match.matches(alert)) continue;
    out.push_back(&pb);
    if (pb.stop) break;
  }
  return out;
}

RunOutcome Engine::handle(const Alert& alert, bool force_dry_run) const {
  RunOutcome out;
  for (const Playbook* pb : matching(alert)) out.playbooks.push_back(run(*pb, alert, force_dry_run));
  return out;
}

PlaybookOutcome Engine::run(const Playbook& pb, const Alert& alert, bool force_dry_run,
                            const RunHooks& hooks) const {
  PlaybookOutcome out;
  out.playbook = pb.name;
  out.dry_run = force_dry_run || pb.dry_run;
  out.started_ns = now_ns();
  for (size_t i = 0; i < pb.steps.size(); ++i) {
    const Step& step = pb.steps[i];
    const bool resumed = hooks.resume && i < hooks.resume->size() && !is_failed((*hooks.resume)[i]);
    if (resumed) {
      out.steps.push_back((*hooks.resume)[i]);
      continue;
    }
    StepOutcome so;
    if (step.when && !when_holds(*step.when, alert, out.steps)) {
      so.name = step.name;
      so.action = step.action;
      so.started_ns = now_ns();
      so.result = actions::ActionResult::skipped("\"when\" does not hold");
    } else {
      so = run_step(pb, i, alert, out.dry_run, hooks);
    }
    const bool step_failed = is_failed(so);
    out.steps.push_back(std::move(so));
    if (hooks.on_step) hooks.on_step(out);
    if (step_failed) {
      out.failed = true;
      if (!step.continue_on_error) break;
    }
  }
  out.finished_ns = now_ns();
  return out;
}

StepOutcome Engine::run_step(const Playbook& pb, size_t index, const Alert& alert, bool dry_run,
                             const RunHooks& hooks) const {
  const Step& step = pb.steps[index];
  StepOutcome so;
  so.name = step.name;
  so.action = step.action;
  so.params.reset(step.params);
  so.started_ns = now_ns();
  auto finish = [&](actions::ActionResult r) {
    so.result = std::move(r);
    so.duration_ns = now_ns() - so.started_ns;
    return so;
  };
  if (!step.impl) {
    return finish(actions::ActionResult::failed("action \"" + step.action + "\" is not bound"));
  }
  if (step.templated) {
    // An undefined field or a value the action refuses once rendered is the alert's fault:
    // running again cannot help, so not retryable.
    auto rendered = render_params(step.params, alert);
    if (!rendered) return finish(actions::ActionResult::failed("params: " + rendered.error()));
    so.params.reset(*rendered);  // rebind: assigning would write into the playbook's node
    auto errors = step.impl->validate(so.params);
    if (!errors.empty()) {
      return finish(actions::ActionResult::failed("params after templating: " +
                                                  errors.front().message));
    }
  }
  if (!dry_run && hooks.admit) {
    if (auto reason = hooks.admit(pb, step, alert)) {
      return finish(actions::ActionResult::skipped(*reason));
    }
  }
  const actions::Guardrails* guardrails = &guardrails_;
  actions::Guardrails confined;
  if (!pb.namespace_.empty()) {
    confined = guardrails_;
    confined.confined_to = pb.namespace_;
    guardrails = &confined;
  }
  ActionCall call{
      step.impl,  &alert,
      so.params,  &kube_,
      guardrails, dry_run,
      pb.name,    hooks.run_key.empty() ? "" : hooks.run_key + "/" + std::to_string(index),
      node_agent_};
  return finish(call_action(call, step.timeout_ms));
}

}  // namespace riposte::playbook
