#include "responder/planning_kube_client.h"

#include <nlohmann/json.hpp>

#include "responder/actions/target.h"

namespace riposte::responder {
namespace {

using json = nlohmann::json;

constexpr const char* kPlaceholderUid = "00000000-0000-4000-8000-000000000000";

// "/api/v1/namespaces/shop/pods/web-1" -> {"api","v1","namespaces","shop","pods","web-1"}
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// "web-7d4b9-x2x9z" -> "web-7d4b9"; "" when there is no '-'.
std::string strip_last(const std::string& name) {
  auto dash = name.rfind('-');
  return dash == std::string::npos ? "" : name.substr(0, dash);
}

json owner(const std::string& kind, const std::string& api, const std::string& name) {
  return json::array({{{"apiVersion", api}, {"kind", kind}, {"name", name},
                       {"uid", kPlaceholderUid}, {"controller", true}}});
}

kube::KubeResponse ok(const json& body) { return {200, body.dump(-1, ' ', false, json::error_handler_t::replace)}; }

}  // namespace

std::vector<std::string> PlanningKubeClient::seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

Result<kube::KubeResponse> PlanningKubeClient::request(const kube::KubeRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(request.method + " " + kube::request_target(request));
  }
  if (request.method == "GET") return answer_get(request);
  return ok(json::object());  // dry-run never gets here; answered for completeness
}

Result<kube::KubeResponse> PlanningKubeClient::answer_get(const kube::KubeRequest& request) const {
  std::string ns, pod, node, uid;
  alert_.field_string(actions::kNamespaceField, &ns);
  alert_.field_string(actions::kPodNameField, &pod);
  if (!alert_.field_string(actions::kPodUidField, &uid)) uid = kPlaceholderUid;
  if (!alert_.field_string("k8s.node.name", &node)) node = alert_.hostname;
  const json pod_object = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", pod}, {"namespace", ns}, {"uid", uid}, {"labels", json::object()},
        {"ownerReferences", owner("ReplicaSet", "apps/v1", strip_last(pod))}}},
      {"spec", {{"nodeName", node}}},
      {"status", {{"phase", "Running"}, {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};

  const auto seg = segments(request.path);
  const std::string resource = seg.size() >= 2 ? seg[seg.size() - 2] : "";
  const std::string name = seg.empty() ? "" : seg.back();
  const bool scale = name == "scale";
  const std::string kind = scale && seg.size() >= 3 ? seg[seg.size() - 3] : resource;
  const std::string object = scale && seg.size() >= 2 ? seg[seg.size() - 2] : name;
  if (name == "pods") return ok({{"kind", "PodList"}, {"items", json::array({pod_object})}});
  if (resource == "pods") return ok(pod_object);
  const json workload_status = {{"replicas", 2}, {"readyReplicas", 2}, {"availableReplicas", 2}};
  if (kind == "replicasets") {
    return ok({{"kind", "ReplicaSet"},
               {"metadata", {{"name", object}, {"namespace", ns}, {"uid", kPlaceholderUid},
                             {"ownerReferences", owner("Deployment", "apps/v1", strip_last(object))}}},
               {"spec", {{"replicas", 2}}},
               {"status", workload_status}});
  }
  if (kind == "deployments" || kind == "statefulsets") {
    return ok({{"kind", scale ? "Scale" : "Deployment"},
               {"metadata", {{"name", object}, {"namespace", ns}, {"uid", kPlaceholderUid},
                             {"annotations", json::object()}}},
               {"spec", {{"replicas", 2}}},
               {"status", workload_status}});
  }
  if (resource == "nodes") {
    return ok({{"kind", "Node"}, {"metadata", {{"name", name}, {"uid", kPlaceholderUid}}},
               {"spec", json::object()}});
  }
  return kube::KubeResponse{
      404, json{{"kind", "Status"}, {"status", "Failure"}, {"reason", "NotFound"}, {"code", 404},
                {"message", "the planner has no answer for GET " + request.path}}
               .dump(-1, ' ', false, json::error_handler_t::replace)};
}

}  // namespace riposte::responder
