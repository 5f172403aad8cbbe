#include "responder/actions/registry.h"

#include <stdexcept>

namespace riposte::actions {

const ActionRegistry& ActionRegistry::builtin() {
  // Explicit factories rather than self-registering statics: a static library drops object
  // files nothing refers to, and with them their registrations.
  static const ActionRegistry* registry = [] {
    auto* r = new ActionRegistry();
    for (auto* make : {make_pod_delete, make_pod_evict, make_pod_label, make_pod_annotate,
                       make_workload_scale, make_node_cordon, make_node_uncordon, make_node_taint,
                       make_node_drain, make_network_isolate, make_pod_logs, make_event_create,
                       make_notify_webhook, make_process_kill, make_container_kill,
                       make_container_freeze, make_container_thaw, make_forensics_capture}) {
      r->add(make());
    }
    return r;
  }();
  return *registry;
}

void ActionRegistry::add(std::unique_ptr<Action> action) {
  std::string name(action->name());
  if (!actions_.emplace(name, std::move(action)).second) {
    throw std::logic_error("action \"" + name + "\" registered twice");
  }
}

const Action* ActionRegistry::find(std::string_view name) const {
  auto it = actions_.find(name);
  return it == actions_.end() ? nullptr : it->second.get();
}

std::vector<std::string> ActionRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, action] : actions_) out.push_back(name);
  return out;
}

}  // namespace riposte::actions
