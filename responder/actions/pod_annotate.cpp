// pod.annotate: sets annotations on the alert's pod (or, with level: node, on its node), e.g.
// the rule that fired, for whoever looks at the object next. Keys follow Kubernetes' syntax;
// values are free text of up to 16 KiB.
//   params: annotations: {key: value, ...} (required), level: pod | node (default pod)
//   example: {action: pod.annotate, params: {annotations: {riposte.dev/alert: "shell"}}}
#include "responder/actions/metadata.h"
#include "responder/actions/registry.h"

namespace riposte::actions {
namespace {

class PodAnnotate final : public MetadataAction {
 public:
  PodAnnotate() : MetadataAction("annotations") {}
  std::string_view name() const override { return "pod.annotate"; }
};

}  // namespace

std::unique_ptr<Action> make_pod_annotate() { return std::make_unique<PodAnnotate>(); }

}  // namespace riposte::actions
