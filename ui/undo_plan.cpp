#include "ui/undo_plan.h"

namespace riposte::ui {
namespace {

const nlohmann::json* array_at(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? &*it : nullptr;
}

// workload.scale's first request is the JSON patch that records the count: its "test" op
// holds the replicas the workload had before.
int64_t recorded_replicas(const nlohmann::json& step) {
  const auto* requests = array_at(step, "requests");
  if (!requests || requests->empty() || !(*requests)[0].is_object()) return -1;
  auto ops = nlohmann::json::parse((*requests)[0].value("body", ""), nullptr, false);
  if (!ops.is_array()) return -1;
  for (const auto& op : ops) {
    if (op.is_object() && op.value("op", "") == "test" &&
        op.value("path", "") == "/spec/replicas" && op.contains("value") &&
        op["value"].is_number_integer())
      return op["value"].get<int64_t>();
  }
  return -1;
}

const nlohmann::json& array_or_empty(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const auto* a = array_at(j, key);
  return a ? *a : kEmpty;
}

}  // namespace

std::vector<UndoStep> undo_plan(const nlohmann::json& run_record) {
  std::vector<UndoStep> out;
  if (!run_record.is_object() || run_record.value("dry_run", false)) return out;
  const auto* steps = array_at(run_record, "steps");
  if (!steps) return out;
  for (size_t i = 0; i < steps->size(); ++i) {
    const auto& s = (*steps)[i];
    if (!s.is_object() || s.value("status", "") != "succeeded") continue;
    UndoStep u;
    u.step = i;
    u.action = s.value("action", "");
    // The step's targets name the pod it went by, then what it changed.
    for (const auto& t : array_or_empty(s, "targets")) {
      if (!t.is_string()) continue;
      const std::string v = t.get<std::string>();
      const bool wanted = u.action == "node.cordon" ? v.rfind("nodes/", 0) == 0
                                                    : v.rfind("deployments/", 0) == 0 ||
                                                          v.rfind("statefulsets/", 0) == 0 ||
                                                          v.rfind("replicasets/", 0) == 0;
      if (wanted) u.target = v;
    }
    if (u.target.empty()) continue;
    const auto* requests = array_at(s, "requests");
    if (!requests || requests->empty()) continue;  // nothing was changed (already so)
    if (u.action == "workload.scale") {
      u.undo = "workload.restore";
      u.replicas = recorded_replicas(s);
      if (u.replicas < 0) continue;
    } else if (u.action == "node.cordon") {
      u.undo = "node.uncordon";
    } else {
      continue;
    }
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace riposte::ui
