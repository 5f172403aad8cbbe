// Turning alert fields into Kubernetes object names. Alerts are attacker-influenced (a
// process in the container controls much of what the detector sees), so a field becomes a
// name only when it is a JSON string that is a valid Kubernetes name; everything else is
// rejected with an error naming the field and the rule it broke.
#pragma once

#include <string>
#include <string_view>

#include "common/alert.h"
#include "common/bus_contract.h"
#include "common/result.h"

namespace riposte::actions {

// The alert fields named in the bus contract (common/bus_contract.h).
using ::riposte::kAuditNameField;
using ::riposte::kAuditNamespaceField;
using ::riposte::kAuditResourceField;
using ::riposte::kAuditResponseNameField;
using ::riposte::kNamespaceField;
using ::riposte::kPodNameField;
using ::riposte::kPodUidField;

enum class NameKind {
  kLabel,      // DNS-1123 label, <= 63: namespaces
  kSubdomain,  // DNS-1123 subdomain, <= 253: pods and most other objects
};

// Ok, or what rule the value breaks ("must be at most 63 characters").
Status validate_name(std::string_view value, NameKind kind);

// The value of an alert output field as an object name; the error names the field and
// quotes (escaped, truncated) the offending value.
Result<std::string> name_from_field(const Alert& alert, std::string_view field, NameKind kind);

struct PodTarget {
  std::string namespace_;
  std::string name;
  std::string uid;  // "" when the alert carries none
  std::string str() const { return "pods/" + namespace_ + "/" + name; }
};

// The pod an alert is about: k8s.ns.name and k8s.pod.name, plus k8s.pod.uid when present
// (a UUID), so an action can refuse to touch a newer pod that reuses the name. For a
// k8s_audit alert: ka.target.namespace and ka.target.name (or ka.resp.name), when
// ka.target.resource is "pods".
Result<PodTarget> pod_target(const Alert& alert);

}  // namespace riposte::actions
