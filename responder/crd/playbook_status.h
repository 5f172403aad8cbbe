// The status riposte writes on a Playbook / ClusterPlaybook: observedGeneration and the
// condition Accepted (True, reason Valid; or False, reason Invalid with every problem in the
// message). Written only when it differs from what the object already says, so the watch
// event our own write causes does not cause another write.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "responder/crd/playbook_object.h"

namespace riposte::responder::crd {

inline constexpr const char* kAcceptedCondition = "Accepted";

// The merge patch for the object's /status subresource (with metadata.resourceVersion, so a
// newer version of the object wins), or nullopt when its status is already right. now:
// RFC 3339, used as lastTransitionTime when the condition's status changes.
std::optional<nlohmann::json> status_patch(const PlaybookObject& object, const std::string& now);

}  // namespace riposte::responder::crd
