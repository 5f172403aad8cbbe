// Undo of a run's actions from the UI, through the same code, guardrails, dry-run and audit
// as playbook steps: workload.scale is restored with restore_workload() (namespace guardrails,
// mutate(), and only to the count the run's audit record holds), node.cordon is undone by the
// registry's node.uncordon run for the run's alert (read back from RIPOSTE_ALERTS),
// network.isolate by removing exactly the NetworkPolicy the run recorded (actions::unisolate),
// container.freeze by a container.thaw of the container the run's request froze, through the
// node agent like any node action (actions::thaw_request, ask_node). Every undo
// is published to RIPOSTE_ACTIONS (riposte.actions.undo.<playbook>) with the user and the
// exact requests and answers; Nats-Msg-Id "undo:<run>" keeps a run's undo recorded once.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/kube/kube_client.h"
#include "common/nats.h"
#include "common/result.h"
#include "responder/actions/guardrails.h"
#include "responder/actions/node_agent_client.h"
#include "ui/alert_index.h"

namespace riposte::ui {

struct UndoDeps {
  nats::Connection* conn = nullptr;
  kube::KubeClient* kube = nullptr;
  const actions::Guardrails* guardrails = nullptr;
  actions::NodeAgentClient* node_agent = nullptr;  // null: a thaw fails (none served)
  bool dry_run = false;
  std::string replica;
};

class Undoer {
 public:
  Undoer(UndoDeps deps, const AlertIndex* index) : deps_(std::move(deps)), index_(index) {}
  // Undoes every undoable step of the run; returns the audit record it published. An error
  // when the run is unknown, already undone, has nothing to undo, or the record could not be
  // published (then nothing is reported as done).
  Result<nlohmann::json> undo(const std::string& run_id, const std::string& user);

 private:
  UndoDeps deps_;
  const AlertIndex* index_;
};

}  // namespace riposte::ui
