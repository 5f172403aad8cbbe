// node.taint: puts a taint on the node the alert's pod runs on: NoSchedule keeps new pods
// away, NoExecute also evicts the pods that do not tolerate it. Idempotent: a taint with the
// same key and effect is updated in place, never added twice.
//   params: key (required, a label key), value (optional, a label value),
//           effect (required: NoSchedule | PreferNoSchedule | NoExecute)
//   example: {action: node.taint, params: {key: riposte.dev/compromised, effect: NoSchedule}}
#include "responder/actions/metadata.h"
#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/subject.h"

namespace riposte::actions {
namespace {

struct Options {
  std::string key;
  std::string value;
  std::string effect;
};

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  auto key = r.string("key");
  if (!key) {
    if (!r.has_errors()) r.missing("key");
  } else if (auto ok = validate_metadata_key(*key); !ok) {
    r.error(r.mark_of("key"), "\"key\": " + ok.error());
  }
  auto value = r.string("value");
  if (value) {
    if (auto ok = validate_label_value(*value); !ok) {
      r.error(r.mark_of("value"), "\"value\": " + ok.error());
    }
  }
  auto effect = r.one_of("effect", {"NoSchedule", "PreferNoSchedule", "NoExecute"});
  if (!effect && !r.has("effect")) r.missing("effect");
  r.reject_unknown();
  o.key = key.value_or("");
  o.value = value.value_or("");
  o.effect = effect.value_or("");
  return o;
}

// The node's taints with ours in place of any taint of the same key and effect (how the API
// identifies a taint); *changed false when ours was there already, value included.
json with_taint(const json& node, const Options& o, bool* changed) {
  json taints = json::array();
  if (auto spec = node.find("spec"); spec != node.end() && spec->is_object()) {
    if (auto t = spec->find("taints"); t != spec->end() && t->is_array()) taints = *t;
  }
  json ours = {{"key", o.key}, {"effect", o.effect}};
  if (!o.value.empty()) ours["value"] = o.value;
  *changed = true;
  for (auto& t : taints) {
    if (string_at(t, "key") == o.key && string_at(t, "effect") == o.effect) {
      *changed = string_at(t, "value") != o.value;
      t = ours;
      return taints;
    }
  }
  taints.push_back(ours);
  return taints;
}

class NodeTaint final : public ActionWithOptions<Options, parse_options> {
 public:
  std::string_view name() const override { return "node.taint"; }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    ActionResult result;
    auto node = node_of_alert_pod(ctx, "tainting the node of", &result);
    if (!node) return result;
    const std::string taint = opts.key + (opts.value.empty() ? "" : "=" + opts.value) + ":" +
                              opts.effect;
    // The whole list is replaced (merge patches do not merge lists), so the patch carries the
    // resourceVersion read: a taint someone adds meanwhile makes it fail (409), not vanish.
    auto current = read_or_fail(ctx, node_ref(*node), "reading node " + *node, &result);
    if (!current) return result;
    bool changed = false;
    json taints = with_taint(*current, opts, &changed);
    if (!changed) {
      result.message = "node " + *node + " already has taint " + taint;
      return result;
    }
    json patch = {{"metadata", {{"resourceVersion", meta(*current, "resourceVersion")}}},
                  {"spec", {{"taints", taints}}}};
    auto sent = write(ctx, &result, "PATCH", node_ref(*node), patch.dump(),
                      std::string(kMergePatch));
    if (!sent) return finish_dry_run(&result, "would taint node " + *node + " with " + taint);
    if (!sent->ok()) {
      fail(&result, "tainting node " + *node + " with " + taint, *sent->error);
      // Someone else changed the node between our read and write: worth another go.
      if (sent->is(kube::KubeError::kConflict)) result.retryable = true;
    } else {
      result.message = "tainted node " + *node + " with " + taint;
    }
    return result;
  }
};

}  // namespace

std::unique_ptr<Action> make_node_taint() { return std::make_unique<NodeTaint>(); }

}  // namespace riposte::actions
