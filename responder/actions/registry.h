// Name -> Action: the one table playbooks are checked against at load and steps are bound
// to. Actions are stateless, so one shared instance of each serves every playbook.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "responder/actions/action.h"

namespace riposte::actions {

class ActionRegistry {
 public:
  // Every action riposte ships (pod.delete, ...). Built once, never modified.
  static const ActionRegistry& builtin();

  // Throws std::logic_error on a duplicate name: that is a programming error.
  void add(std::unique_ptr<Action> action);
  const Action* find(std::string_view name) const;  // nullptr when unknown
  std::vector<std::string> names() const;           // sorted

 private:
  std::map<std::string, std::unique_ptr<Action>, std::less<>> actions_;
};

// Factories of the built-in actions, one per source file, listed in registry.cpp.
std::unique_ptr<Action> make_pod_delete();
std::unique_ptr<Action> make_pod_evict();
std::unique_ptr<Action> make_pod_label();
std::unique_ptr<Action> make_pod_annotate();
std::unique_ptr<Action> make_workload_scale();
std::unique_ptr<Action> make_node_cordon();
std::unique_ptr<Action> make_node_uncordon();
std::unique_ptr<Action> make_node_taint();
std::unique_ptr<Action> make_node_drain();
std::unique_ptr<Action> make_network_isolate();
std::unique_ptr<Action> make_pod_logs();
std::unique_ptr<Action> make_event_create();
std::unique_ptr<Action> make_notify_webhook();
// Node-local actions (node_local_actions.cpp), done by the detector of the alert's node.
std::unique_ptr<Action> make_process_kill();
std::unique_ptr<Action> make_container_kill();
std::unique_ptr<Action> make_container_freeze();
std::unique_ptr<Action> make_container_thaw();
std::unique_ptr<Action> make_forensics_capture();

}  // namespace riposte::actions
