#include "responder/actions/guardrails.h"

namespace riposte::actions {

std::set<std::string, std::less<>> default_protected_namespaces(std::string_view own_namespace) {
  std::set<std::string, std::less<>> out = {"kube-system", "kube-public", "kube-node-lease"};
  if (!own_namespace.empty()) out.emplace(own_namespace);
  return out;
}

Status Guardrails::check_namespace(std::string_view ns) const {
  if (ns.empty()) return Error{"guardrails: no namespace given"};
  if (protected_namespaces.count(ns) != 0) {
    return Error{"guardrails: namespace \"" + std::string(ns) + "\" is protected"};
  }
  if (!confined_to.empty() && ns != confined_to) {
    return Error{"guardrails: namespace \"" + std::string(ns) +
                 "\" is outside the playbook's own namespace \"" + confined_to + "\""};
  }
  if (!allowed_namespaces.empty() && allowed_namespaces.count(ns) == 0) {
    return Error{"guardrails: namespace \"" + std::string(ns) + "\" is not in the allowed list"};
  }
  return Status::Ok();
}

Status Guardrails::check_cluster_scoped(std::string_view what) const {
  if (confined_to.empty()) return Status::Ok();
  return Error{"guardrails: " + std::string(what) +
               " is cluster-scoped, outside the playbook's own namespace \"" + confined_to + "\""};
}

}  // namespace riposte::actions
