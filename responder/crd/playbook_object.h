// A Playbook or ClusterPlaybook object (riposte.dev/v1alpha1) as the playbook it defines: its
// spec goes through the same loader as a file (playbook/playbook.h), every problem reported
// with the field it is about ("spec.steps[0].action: unknown action ..."). The playbook is
// named after the object ("Playbook/shop/kill-shell", "ClusterPlaybook/isolate"), so objects
// never clash with each other or with files; a namespaced Playbook is confined to its
// namespace (Playbook::namespace_).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "responder/actions/registry.h"
#include "responder/playbook/playbook.h"

namespace riposte::responder::crd {

// In the order their playbooks run (ObjectRef compares kind first).
enum class Kind { kClusterPlaybook, kPlaybook };

inline constexpr const char* kGroupVersion = "riposte.dev/v1alpha1";
const char* kind_name(Kind kind);      // "Playbook"
const char* resource_name(Kind kind);  // "playbooks"

struct ObjectRef {
  Kind kind = Kind::kPlaybook;
  std::string namespace_;  // "" for a ClusterPlaybook
  std::string name;
  // "Playbook/shop/kill-shell", "ClusterPlaybook/isolate": also the playbook's name.
  std::string str() const;
  auto operator<=>(const ObjectRef&) const = default;
};

struct PlaybookObject {
  ObjectRef ref;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  nlohmann::json status;  // as stored (null when none)
  std::optional<playbook::Playbook> playbook;  // set when accepted
  std::vector<std::string> errors;             // "spec.steps[0].action: ..."; empty when accepted
  bool accepted() const { return playbook.has_value(); }
};

// nullopt when the object lacks a name (or a namespace, for a Playbook): nothing to report on.
std::optional<PlaybookObject> parse_object(
    const nlohmann::json& object, Kind kind,
    const actions::ActionRegistry& registry = actions::ActionRegistry::builtin());

}  // namespace riposte::responder::crd
