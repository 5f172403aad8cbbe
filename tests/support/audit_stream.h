// A cluster's audit stream as kube-apiserver sends it with a RequestResponse-level policy, for
// the benchmark and the parser agreement test: objects as the API server stores them
// (managedFields, status, owner references, projected service-account volumes), leases renewed
// by every kubelet, events, configmap and deployment writes, pod creates by the replicaset
// controller, a list whose response is a whole PodList, and the few events the k8s_audit
// rules are about (tests/support/audit_samples.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/audit_samples.h"

namespace riposte::testing::audit {

inline nlohmann::json managed_fields(const std::string& manager, const std::string& op) {
  return nlohmann::json::array(
      {{{"manager", manager},
        {"operation", op},
        {"apiVersion", "v1"},
        {"time", "2026-12-03T16:38:13Z"},
        {"fieldsType", "FieldsV1"},
        {"fieldsV1",
         {{"f:metadata",
           {{"f:generateName", nlohmann::json::object()},
            {"f:labels", {{".", nlohmann::json::object()}, {"f:app", nlohmann::json::object()}}},
            {"f:ownerReferences", {{".", nlohmann::json::object()}}}}},
          {"f:spec",
           {{"f:containers", {{"k:{\"name\":\"web\"}", {{".", nlohmann::json::object()}}}}},
            {"f:dnsPolicy", nlohmann::json::object()},
            {"f:restartPolicy", nlohmann::json::object()}}}}}}});
}

// A pod of a Deployment's ReplicaSet as the API server stores it; `status` as after start.
inline nlohmann::json stored_pod(const std::string& ns, const std::string& name, bool status) {
  nlohmann::json pod = {
      {"kind", "Pod"},
      {"apiVersion", "v1"},
      {"metadata",
       {{"name", name},
        {"generateName", "web-7c5ddbdf54-"},
        {"namespace", ns},
        {"uid", "0b9f6a4e-3c1d-4a8e-9f27-" + std::to_string(name.size() * 7919)},
        {"resourceVersion", "184467"},
        {"creationTimestamp", "2026-12-03T16:38:13Z"},
        {"labels", {{"app", "web"}, {"pod-template-hash", "7c5ddbdf54"}}},
        {"annotations", {{"kubectl.kubernetes.io/restartedAt", "2026-12-03T16:30:00+01:00"}}},
        {"ownerReferences",
         {{{"apiVersion", "apps/v1"},
           {"kind", "ReplicaSet"},
           {"name", "web-7c5ddbdf54"},
           {"uid", "5f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b"},
           {"controller", true},
           {"blockOwnerDeletion", true}}}},
        {"managedFields", managed_fields("kube-controller-manager", "Update")}}},
      {"spec",
       {{"volumes",
         {{{"name", "kube-api-access-x7k2p"},
           {"projected",
            {{"sources",
              {{{"serviceAccountToken", {{"expirationSeconds", 3607}, {"path", "token"}}}},
               {{"configMap",
                 {{"name", "kube-root-ca.crt"},
                  {"items", {{{"key", "ca.crt"}, {"path", "ca.crt"}}}}}}},
               {{"downwardAPI",
                 {{"items",
                   {{{"path", "namespace"},
                     {"fieldRef",
                      {{"apiVersion", "v1"}, {"fieldPath", "metadata.namespace"}}}}}}}}}}},
             {"defaultMode", 420}}}}}},
        {"containers",
         {{{"name", "web"},
           {"image", "registry.example.com/shop/web:2.14.1"},
           {"ports", {{{"name", "http"}, {"containerPort", 8080}, {"protocol", "TCP"}}}},
           {"env",
            {{{"name", "LOG_LEVEL"}, {"value", "info"}},
             {{"name", "POD_IP"},
              {"valueFrom",
               {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", "status.podIP"}}}}}}}},
           {"resources",
            {{"limits", {{"cpu", "500m"}, {"memory", "256Mi"}}},
             {"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}}}},
           {"volumeMounts",
            {{{"name", "kube-api-access-x7k2p"},
              {"readOnly", true},
              {"mountPath", "/var/run/secrets/kubernetes.io/serviceaccount"}}}},
           {"readinessProbe",
            {{"httpGet", {{"path", "/healthz"}, {"port", 8080}, {"scheme", "HTTP"}}},
             {"periodSeconds", 10},
             {"failureThreshold", 3}}},
           {"terminationMessagePath", "/dev/termination-log"},
           {"terminationMessagePolicy", "File"},
           {"imagePullPolicy", "IfNotPresent"},
           {"securityContext",
            {{"runAsNonRoot", true},
             {"allowPrivilegeEscalation", false},
             {"capabilities", {{"drop", {"ALL"}}}}}}}}},
        {"restartPolicy", "Always"},
        {"terminationGracePeriodSeconds", 30},
        {"dnsPolicy", "ClusterFirst"},
        {"serviceAccountName", "default"},
        {"serviceAccount", "default"},
        {"securityContext", {{"runAsUser", 1000}, {"fsGroup", 2000}}},
        {"schedulerName", "default-scheduler"},
        {"tolerations",
         {{{"key", "node.kubernetes.io/not-ready"},
           {"operator", "Exists"},
           {"effect", "NoExecute"},
           {"tolerationSeconds", 300}},
          {{"key", "node.kubernetes.io/unreachable"},
           {"operator", "Exists"},
           {"effect", "NoExecute"},
           {"tolerationSeconds", 300}}}},
        {"priority", 0},
        {"enableServiceLinks", true},
        {"preemptionPolicy", "PreemptLowerPriority"}}},
  };
  if (status) {
    pod["spec"]["nodeName"] = "node-1";
    pod["status"] = {
        {"phase", "Running"},
        {"conditions",
         {{{"type", "Initialized"},
           {"status", "True"},
           {"lastTransitionTime", "2026-12-03T16:38:13Z"}},
          {{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", "2026-12-03T16:38:19Z"}},
          {{"type", "ContainersReady"},
           {"status", "True"},
           {"lastTransitionTime", "2026-12-03T16:38:19Z"}},
          {{"type", "PodScheduled"},
           {"status", "True"},
           {"lastTransitionTime", "2026-12-03T16:38:13Z"}}}},
        {"hostIP", "10.0.0.11"},
        {"podIP", "10.244.1.23"},
        {"podIPs", {{{"ip", "10.244.1.23"}}}},
        {"startTime", "2026-12-03T16:38:13Z"},
        {"containerStatuses",
         {{{"name", "web"},
           {"state", {{"running", {{"startedAt", "2026-12-03T16:38:15Z"}}}}},
           {"ready", true},
           {"restartCount", 0},
           {"image", "registry.example.com/shop/web:2.14.1"},
           {"imageID",
            "registry.example.com/shop/web@sha256:"
            "6b0c3a2e0f5d7e8c9a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f80"},
           {"containerID",
            "containerd://9a8b7c6d5e4f30211a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081"},
           {"started", true}}}},
        {"qosClass", "Burstable"}};
  }
  return pod;
}

// An event at RequestResponse level: `request` and `response` as its objects (null: none).
inline nlohmann::json with_objects(nlohmann::json e, nlohmann::json request,
                                   nlohmann::json response) {
  if (!request.is_null()) e["requestObject"] = std::move(request);
  if (!response.is_null()) e["responseObject"] = std::move(response);
  return e;
}

inline nlohmann::json lease(const std::string& node) {
  return {{"kind", "Lease"},
          {"apiVersion", "coordination.k8s.io/v1"},
          {"metadata",
           {{"name", node},
            {"namespace", "kube-node-lease"},
            {"uid", "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09"},
            {"resourceVersion", "184502"},
            {"ownerReferences",
             {{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}, {"uid", "1f2e3d4c"}}}}}},
          {"spec",
           {{"holderIdentity", node},
            {"leaseDurationSeconds", 40},
            {"renewTime", "2026-12-03T16:38:13.123456Z"}}}};
}

// 100 events: routine traffic with its objects, and the 10 events the rules take
// (privileged pods, exec, wildcard roles, secret reads).
inline std::vector<nlohmann::json> stream_mix() {
  std::vector<nlohmann::json> v;
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 10) {
      case 0:
        if (i % 40 == 0)
          v.push_back(privileged_pod_create("shop", "p" + n, "alice"));
        else if (i % 40 == 10)
          v.push_back(pod_exec("shop", "web-" + n, "bob"));
        else if (i % 40 == 20)
          v.push_back(wildcard_clusterrole_create("r" + n, "carol"));
        else
          v.push_back(secret_get("shop", "db", "mallory"));
        break;
      case 1:
        v.push_back(routine_list("ns-" + n));
        break;
      case 2:
      case 3: {  // every kubelet renews its lease every 10 s: the bulk of a quiet cluster
        const std::string node = "node-" + std::to_string(i % 7);
        nlohmann::json e = base("update", "leases", "kube-node-lease", node, "system:node:" + node);
        e["objectRef"]["apiGroup"] = "coordination.k8s.io";
        v.push_back(with_objects(e, lease(node), lease(node)));
        break;
      }
      case 4: {
        nlohmann::json cm = {{"kind", "ConfigMap"},
                             {"apiVersion", "v1"},
                             {"metadata", {{"name", "coredns"}, {"namespace", "kube-system"}}},
                             {"data",
                              {{"Corefile",
                                ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n"
                                "    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n"
                                "       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n"
                                "    }\n    forward . /etc/resolv.conf\n    cache 30\n}\n"}}}};
        v.push_back(with_objects(base("get", "configmaps", "kube-system", "coredns",
                                      "system:serviceaccount:kube-system:coredns"),
                                 nullptr, cm));
        break;
      }
      case 5: {
        nlohmann::json cm = {
            {"kind", "ConfigMap"},
            {"apiVersion", "v1"},
            {"metadata", {{"name", "settings"}, {"namespace", "shop"}}},
            {"data", {{"color", "blue"}, {"settings.yaml", std::string(600, 'y')}}}};
        v.push_back(
            with_objects(base("update", "configmaps", "shop", "settings", "admin"), cm, cm));
        break;
      }
      case 6: {  // a rollout: the patch is small, the response the whole Deployment
        nlohmann::json e = base("patch", "deployments", "shop", "web", "ci-deployer");
        e["objectRef"]["apiGroup"] = "apps";
        nlohmann::json patch = {
            {"spec",
             {{"template",
               {{"metadata",
                 {{"annotations",
                   {{"kubectl.kubernetes.io/restartedAt", "2026-12-03T16:30:00Z"}}}}}}}}}};
        nlohmann::json dep = {
            {"kind", "Deployment"},
            {"apiVersion", "apps/v1"},
            {"metadata", stored_pod("shop", "web", false)["metadata"]},
            {"spec",
             {{"replicas", 3},
              {"selector", {{"matchLabels", {{"app", "web"}}}}},
              {"template", {{"spec", stored_pod("shop", "web", false)["spec"]}}}}},
            {"status", {{"replicas", 3}, {"readyReplicas", 3}}}};
        v.push_back(with_objects(e, patch, dep));
        break;
      }
      case 7:
        if (i % 20 == 7) {  // a list at RequestResponse: the response is every pod
          nlohmann::json list = {
              {"kind", "PodList"}, {"apiVersion", "v1"}, {"items", nlohmann::json::array()}};
          for (int k = 0; k < 8; ++k)
            list["items"].push_back(stored_pod("shop", "web-" + std::to_string(k), true));
          v.push_back(with_objects(routine_list("shop"), nullptr, list));
        } else {
          v.push_back(base("watch", "pods", "", "", "system:node:node-1"));
        }
        break;
      case 8: {
        nlohmann::json ev = {
            {"kind", "Event"},
            {"apiVersion", "v1"},
            {"metadata", {{"name", "web-" + n + ".17e2"}, {"namespace", "shop"}}},
            {"involvedObject", {{"kind", "Pod"}, {"namespace", "shop"}, {"name", "web-" + n}}},
            {"reason", "Pulled"},
            {"message",
             "Container image \"registry.example.com/shop/web:2.14.1\" already present on machine"},
            {"source", {{"component", "kubelet"}, {"host", "node-1"}}},
            {"count", 1},
            {"type", "Normal"}};
        v.push_back(
            with_objects(base("create", "events", "shop", "", "system:node:node-1"), ev, ev));
        break;
      }
      default: {
        nlohmann::json e = base("create", "pods", "shop", "web-" + n,
                                "system:serviceaccount:kube-system:replicaset-controller");
        v.push_back(with_objects(e, stored_pod("shop", "web-" + n, false),
                                 stored_pod("shop", "web-" + n, true)));
      }
    }
  }
  return v;
}

}  // namespace riposte::testing::audit
