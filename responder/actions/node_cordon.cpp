// node.cordon: marks the node the alert's pod runs on unschedulable, so nothing new lands
// next to a compromised workload while it is looked at. The node is the pod's spec.nodeName
// (read from the API server), never an alert field.
//   params: none
//   example: {action: node.cordon}
#include "responder/actions/cordon.h"
#include "responder/actions/params.h"
#include "responder/actions/registry.h"

namespace riposte::actions {
namespace {

class NodeCordon final : public Action {
 public:
  std::string_view name() const override { return "node.cordon"; }

  std::vector<ParamError> validate(const YAML::Node& params) const override {
    std::vector<ParamError> errors;
    ParamReader(params, &errors).reject_unknown();
    return errors;
  }

  ActionResult execute(ActionContext& ctx) const override {
    return cordon_alert_node(ctx, /*unschedulable=*/true);
  }
};

}  // namespace

std::unique_ptr<Action> make_node_cordon() { return std::make_unique<NodeCordon>(); }

}  // namespace riposte::actions
