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

// The target a step's undo is about, from its targets: the pod it went by comes first, then
// what it changed.
bool wanted_target(const std::string& action, const std::string& v) {
  if (action == "node.cordon") return v.rfind("nodes/", 0) == 0;
  if (action == "network.isolate") return v.rfind("networkpolicies/", 0) == 0;
  return v.rfind("deployments/", 0) == 0 || v.rfind("statefulsets/", 0) == 0 ||
         v.rfind("replicasets/", 0) == 0;
}

// container.freeze's one request: REQUEST riposte.node.<node>.action with the JSON it sent.
// "container <id> on node <node>" as its target, or "" when it is not such a request.
std::string frozen_container(const nlohmann::json& step, std::string* request) {
  const auto* requests = array_at(step, "requests");
  if (!requests || requests->size() != 1 || !(*requests)[0].is_object()) return "";
  const auto& r = (*requests)[0];
  if (r.value("method", "") != "REQUEST") return "";
  auto q = nlohmann::json::parse(r.value("body", ""), nullptr, false);
  if (!q.is_object() || q.value("action", "") != "container.freeze") return "";
  const std::string cid = q.value("container_id", ""), node = q.value("node", "");
  if (cid.empty() || node.empty()) return "";
  *request = r.value("body", "");
  return "container " + cid.substr(0, 12) + " on node " + node;
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
    if (u.action == "container.freeze") {
      u.target = frozen_container(s, &u.request);
    } else {
      for (const auto& t : array_or_empty(s, "targets")) {
        if (t.is_string() && wanted_target(u.action, t.get<std::string>())) u.target = t;
      }
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
    } else if (u.action == "network.isolate") {
      u.undo = "network.unisolate";
    } else if (u.action == "container.freeze") {
      u.undo = "container.thaw";
    } else {
      continue;
    }
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace riposte::ui
