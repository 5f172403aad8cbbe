#include "ui/undo.h"

#include <chrono>

#include "common/alert.h"
#include "common/bus_contract.h"
#include "common/log.h"
#include "responder/actions/network_isolate.h"
#include "responder/actions/node_local_actions.h"
#include "responder/actions/registry.h"
#include "responder/actions/workload.h"
#include "responder/playbook/engine.h"
#include "ui/undo_plan.h"

namespace riposte::ui {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

actions::ActionResult uncordon(const UndoDeps& d, const Alert& alert) {
  const actions::Action* action = actions::ActionRegistry::builtin().find("node.uncordon");
  if (!action) return actions::ActionResult::failed("node.uncordon is not in the registry");
  const YAML::Node params;
  actions::ActionContext ctx{alert, params, *d.kube, *d.guardrails, d.dry_run, "ui-undo"};
  return action->execute(ctx);
}

actions::ActionResult thaw(const UndoDeps& d, const std::string& freeze_request) {
  auto q = actions::thaw_request(freeze_request, *d.guardrails, d.dry_run);
  if (!q) return actions::ActionResult::failed(q.error());
  return actions::ask_node(d.node_agent, *q, std::chrono::seconds(10));
}

}  // namespace

Result<nlohmann::json> Undoer::undo(const std::string& run_id, const std::string& user) {
  auto row = index_->run(run_id);
  if (!row) return Error{"no run " + run_id};
  if (row->undo_seq) return Error{"run " + run_id + " is already undone"};
  auto stored = deps_.conn->stream_get(kActionStream, row->seq);
  if (!stored) return Error{"reading the run record: " + stored.error()};
  auto record = nlohmann::json::parse(stored->data(), nullptr, false);
  const auto plan = undo_plan(record);
  if (plan.empty()) return Error{"run " + run_id + " has no step that can be undone"};
  const std::string playbook = record.value("playbook", "");

  std::optional<Alert> alert;
  nlohmann::json steps = nlohmann::json::array();
  bool failed = false, skipped = false;
  for (const auto& u : plan) {
    playbook::StepOutcome out;
    out.action = u.undo;
    out.started_ns = now_ns();
    if (u.undo == "workload.restore") {
      auto w = actions::parse_workload(u.target);
      if (!w)
        out.result = actions::ActionResult::failed(w.error());
      else
        out.result = actions::restore_workload(*deps_.kube, *deps_.guardrails, std::move(*w),
                                               deps_.dry_run, u.replicas);
    } else if (u.undo == "node.uncordon") {
      if (!alert) {
        auto msg = deps_.conn->stream_get(kAlertStream, row->alert_seq);
        auto parsed = msg ? parse_alert(msg->data()) : Result<Alert>(Error{msg.error()});
        if (!parsed) {
          out.result = actions::ActionResult::failed("reading the run's alert: " + parsed.error());
        } else {
          alert = std::move(*parsed);
        }
      }
      if (alert) out.result = uncordon(deps_, *alert);
    } else if (u.undo == "network.unisolate") {
      out.result = actions::unisolate(*deps_.kube, *deps_.guardrails, u.target, deps_.dry_run);
    } else if (u.undo == "container.thaw") {
      out.result = thaw(deps_, u.request);
    }
    out.duration_ns = now_ns() - out.started_ns;
    failed = failed || out.result.status == actions::ActionResult::kFailed;
    // Skipped: a guardrail refused it or nothing was left to restore; dry-run: nothing sent.
    skipped = skipped || out.result.status == actions::ActionResult::kSkipped ||
              out.result.status == actions::ActionResult::kDryRun;
    nlohmann::json j = playbook::to_json(out);
    j["undoes_step"] = u.step;
    j["undoes_action"] = u.action;
    steps.push_back(std::move(j));
  }
  const std::string outcome = failed ? "failed" : skipped ? "skipped" : "succeeded";
  nlohmann::json undo = {
      {"kind", "undo"},           {"id", "undo:" + run_id}, {"run", run_id},
      {"playbook", playbook},     {"user", user},           {"time", format_rfc3339_ns(now_ns())},
      {"dry_run", deps_.dry_run}, {"outcome", outcome},     {"steps", steps},
      {"replica", deps_.replica}};
  std::string slug = rule_slug(playbook);
  if (slug.empty()) slug = "unnamed";
  // A failed or refused undo may be tried again: only a successful one takes the run's undo
  // id (and marks the run undone in the index).
  const std::string msg_id = outcome == "succeeded" ? "undo:" + run_id : "";
  auto ack = deps_.conn->js_publish(
      std::string(kUndoSubjectPrefix) + slug,
      undo.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), msg_id);
  if (!ack) {
    log::error("undo done but not audited", {{"run", run_id}, {"error", ack.error()}});
    return Error{"the undo ran but its audit record was not stored: " + ack.error()};
  }
  log::info("undo", {{"run", run_id}, {"user", user}, {"outcome", undo["outcome"]}});
  return undo;
}

}  // namespace riposte::ui
