// Which steps of a run record the UI can undo, and how: read from the record alone, so the
// index (which marks runs undoable) and the undo itself agree.
//   workload.scale -> scale the workload back to the count the run recorded (the "test" op of
//                     its first PATCH, the count it scaled from)
//   node.cordon    -> node.uncordon, through the action registry, for the run's alert
//   network.isolate -> remove exactly the NetworkPolicy the step names in its targets
//                     (actions::unisolate, which checks it is still riposte's isolation)
//   container.freeze -> container.thaw of the container the recorded request froze, on its
//                     node (actions::thaw_request)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace riposte::ui {

struct UndoStep {
  size_t step = 0;        // index in the record's steps
  std::string action;     // the step's action ("workload.scale")
  std::string undo;       // what undoes it ("workload.restore", "node.uncordon", ...)
  std::string target;     // "deployments/shop/web", "nodes/n1", "networkpolicies/shop/..."
  int64_t replicas = -1;  // workload.scale: the recorded count to go back to
  std::string request;    // container.freeze: the request sent to the node (JSON)
};

// Only steps that succeeded (a dry-run or failed step changed nothing). Attacker-influenced
// text is in records (alert fields), so anything unexpected yields no step rather than a guess.
std::vector<UndoStep> undo_plan(const nlohmann::json& run_record);

}  // namespace riposte::ui
