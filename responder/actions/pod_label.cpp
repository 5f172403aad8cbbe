// pod.label: sets labels on the alert's pod (or, with level: node, on its node), e.g. to mark
// it for a NetworkPolicy, a dashboard or a later cleanup. Keys and values must be valid
// Kubernetes label syntax; values may be templates the engine fills in, so they are checked
// again when the action runs.
//   params: labels: {key: value, ...} (required), level: pod | node (default pod)
//   example: {action: pod.label, params: {labels: {riposte.dev/compromised: "true"}}}
#include "responder/actions/metadata.h"
#include "responder/actions/registry.h"

namespace riposte::actions {
namespace {

class PodLabel final : public MetadataAction {
 public:
  PodLabel() : MetadataAction("labels") {}
  std::string_view name() const override { return "pod.label"; }
};

}  // namespace

std::unique_ptr<Action> make_pod_label() { return std::make_unique<PodLabel>(); }

}  // namespace riposte::actions
