// node.uncordon: makes the node the alert's pod runs on schedulable again, the undo of
// node.cordon (for playbooks that cordon for a bounded time, and for operators).
//   params: none
//   example: {action: node.uncordon}
#include "responder/actions/cordon.h"
#include "responder/actions/params.h"
#include "responder/actions/registry.h"

namespace riposte::actions {
namespace {

class NodeUncordon final : public Action {
 public:
  std::string_view name() const override { return "node.uncordon"; }

  std::vector<ParamError> validate(const YAML::Node& params) const override {
    std::vector<ParamError> errors;
    ParamReader(params, &errors).reject_unknown();
    return errors;
  }

  ActionResult execute(ActionContext& ctx) const override {
    return cordon_alert_node(ctx, /*unschedulable=*/false);
  }
};

}  // namespace

std::unique_ptr<Action> make_node_uncordon() { return std::make_unique<NodeUncordon>(); }

}  // namespace riposte::actions
