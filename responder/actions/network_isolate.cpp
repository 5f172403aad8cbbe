// network.isolate: cuts the alert's pod off the network with a NetworkPolicy in its
// namespace that denies all ingress and egress, except to the CIDRs and namespaces the
// playbook allows (a log shipper, a forensics namespace). The policy selects a label the
// action puts on the pod, riposte.dev/isolated=<pod uid>, so it matches exactly that pod and
// never its siblings; the uid also names the policy, which makes the action idempotent (a
// second run applies the same object). Policy first, label second: isolation begins at once
// when the label lands, and a half-done run selects nothing.
//   params: allow_cidrs (list of CIDRs), allow_namespaces (list of namespace names)
//   example: {action: network.isolate, params: {allow_namespaces: [forensics]}}
#include "responder/actions/network_isolate.h"

#include <arpa/inet.h>

#include "responder/actions/metadata.h"
#include "responder/actions/params.h"
#include "responder/actions/registry.h"
#include "responder/actions/subject.h"

namespace riposte::actions {
namespace {

struct Options {
  std::vector<std::string> cidrs;
  std::vector<std::string> namespaces;
};

// "10.0.0.0/8", "2001:db8::/32": an address and a prefix length that fits it.
bool is_cidr(const std::string& s) {
  size_t slash = s.find('/');
  if (slash == std::string::npos || slash + 1 == s.size() || s.size() - slash > 4) return false;
  const std::string addr = s.substr(0, slash), bits = s.substr(slash + 1);
  if (bits.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned char buf[16];
  const int max = addr.find(':') == std::string::npos ? 32 : 128;
  if (inet_pton(max == 32 ? AF_INET : AF_INET6, addr.c_str(), buf) != 1) return false;
  return std::stoi(bits) <= max;
}

Options parse_options(const YAML::Node& params, std::vector<ParamError>* errors) {
  ParamReader r(params, errors);
  Options o;
  o.cidrs = r.string_list("allow_cidrs").value_or(std::vector<std::string>{});
  for (const auto& c : o.cidrs) {
    if (!is_cidr(c)) r.error(r.mark_of("allow_cidrs"), "\"" + c + "\" is not a CIDR");
  }
  o.namespaces = r.string_list("allow_namespaces").value_or(std::vector<std::string>{});
  for (const auto& n : o.namespaces) {
    if (auto ok = validate_name(n, NameKind::kLabel); !ok) {
      r.error(r.mark_of("allow_namespaces"), "namespace \"" + n + "\": " + ok.error());
    }
  }
  r.reject_unknown();
  return o;
}

// The peers of the single rule of each direction; no rule at all denies everything.
json rules(const Options& o, const char* peers_key) {
  json peers = json::array();
  for (const auto& c : o.cidrs) peers.push_back({{"ipBlock", {{"cidr", c}}}});
  for (const auto& n : o.namespaces) {
    peers.push_back(
        {{"namespaceSelector", {{"matchLabels", {{"kubernetes.io/metadata.name", n}}}}}});
  }
  if (peers.empty()) return json::array();
  return json::array({{{peers_key, peers}}});
}

json policy(const PodTarget& t, const std::string& uid, const Options& o,
            std::string_view playbook) {
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "NetworkPolicy"},
          {"metadata",
           {{"name", std::string(kIsolatePolicyPrefix) + uid},
            {"namespace", t.namespace_},
            {"labels", {{"app.kubernetes.io/managed-by", "riposte"}}},
            {"annotations", {{"riposte.dev/pod", t.name}, {"riposte.dev/playbook", playbook}}}}},
          {"spec",
           {{"podSelector", {{"matchLabels", {{kIsolatedLabel, uid}}}}},
            {"policyTypes", {"Ingress", "Egress"}},
            {"ingress", rules(o, "from")},
            {"egress", rules(o, "to")}}}};
}

class NetworkIsolate final : public ActionWithOptions<Options, parse_options> {
 public:
  std::string_view name() const override { return "network.isolate"; }

 protected:
  ActionResult run(ActionContext& ctx, const Options& opts) const override {
    ActionResult result;
    auto target = guarded_pod(ctx, "isolating", &result);
    if (!target) return result;
    const std::string pod_name = target->namespace_ + "/" + target->name;
    // The uid comes from the API server: it is what makes the label unique to this pod.
    auto pod = existing_pod(ctx, *target, ActionResult::kSkipped, &result);
    if (!pod) return result;
    const std::string uid = meta(*pod, "uid");
    if (auto ok = validate_label_value(uid); !ok || uid.empty()) {
      fail(&result, "pod " + pod_name + " has an unusable uid");
      return result;
    }
    const json np = policy(*target, uid, opts, ctx.playbook);
    const std::string np_name = np["metadata"]["name"];
    result.targets.push_back("networkpolicies/" + target->namespace_ + "/" + np_name);
    // Server-side apply: creates or updates in one idempotent request.
    auto applied = write(ctx, &result, "PATCH",
                         {.group = "networking.k8s.io", .resource = "networkpolicies",
                          .namespace_ = target->namespace_, .name = np_name},
                         np.dump(-1, ' ', false, json::error_handler_t::replace),
                         std::string(kApplyPatch),
                         {{"fieldManager", std::string(kFieldManager)}, {"force", "true"}});
    if (applied && !applied->ok()) {
      fail(&result, "applying NetworkPolicy " + np_name, *applied->error);
      return result;
    }
    // metadata.uid makes the patch a precondition: a successor reusing the name is not
    // labelled (and so not isolated) by mistake.
    json label = {{"metadata", {{"uid", uid}, {"labels", {{kIsolatedLabel, uid}}}}}};
    auto labelled = write(ctx, &result, "PATCH", pod_ref(*target), label.dump(),
                          std::string(kMergePatch));
    if (!labelled) return finish_dry_run(&result, "would isolate pod " + pod_name);
    if (!labelled->ok()) {
      fail(&result, "labelling pod " + pod_name + " for isolation", *labelled->error);
      return result;
    }
    result.message = "isolated pod " + pod_name + " with NetworkPolicy " + np_name;
    return result;
  }
};

}  // namespace

std::unique_ptr<Action> make_network_isolate() { return std::make_unique<NetworkIsolate>(); }

}  // namespace riposte::actions
