// Limits no playbook can lift: namespaces the responder never acts in. Checked by every
// action before it sends anything, because the namespace usually comes from the alert.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "common/result.h"

namespace riposte::actions {

inline constexpr std::string_view kDefaultOwnNamespace = "riposte";

// kube-system, kube-public, kube-node-lease and riposte's own namespace: acting there could
// take down the cluster or the responder itself.
std::set<std::string, std::less<>> default_protected_namespaces(
    std::string_view own_namespace = kDefaultOwnNamespace);

struct Guardrails {
  std::set<std::string, std::less<>> protected_namespaces = default_protected_namespaces();
  // When non-empty, the only namespaces actions may touch (protected ones still excluded).
  std::set<std::string, std::less<>> allowed_namespaces;
  // When set (a namespaced Playbook's steps): the one namespace actions may touch, and nothing
  // cluster-scoped such as nodes.
  std::string confined_to;

  // Ok when actions may act on objects in ns; otherwise the reason.
  Status check_namespace(std::string_view ns) const;
  // Ok when actions may act on cluster-scoped objects (what: "node x"); otherwise the reason.
  Status check_cluster_scoped(std::string_view what) const;
};

}  // namespace riposte::actions
