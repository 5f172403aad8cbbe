// Kubernetes audit events (audit.k8s.io/v1 Event) shaped as kube-apiserver writes them, for the
// k8s_audit rules tests, the receiver's tests and the benchmark: one builder per situation
// the rules are about.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace riposte::testing::audit {

// The members every audit event has; `stage` ResponseComplete unless said otherwise.
inline nlohmann::json base(const std::string& verb, const std::string& resource,
                           const std::string& ns, const std::string& name,
                           const std::string& user = "alice",
                           const std::string& stage = "ResponseComplete") {
  nlohmann::json e = {
      {"kind", "Event"},
      {"apiVersion", "audit.k8s.io/v1"},
      {"level", "RequestResponse"},
      {"auditID",
       "6e1d3b4a-0d0c-4f2e-9a55-" +
           std::to_string(std::hash<std::string>{}(verb + resource + ns + name) % 1000000000000)},
      {"stage", stage},
      {"requestURI",
       "/api/v1/namespaces/" + ns + "/" + resource + (name.empty() ? "" : "/" + name)},
      {"verb", verb},
      {"user", {{"username", user}, {"groups", {"system:authenticated"}}}},
      {"sourceIPs", {"127.0.0.1"}},
      {"userAgent", "kubectl/v1.31.0"},
      {"objectRef", {{"resource", resource}, {"namespace", ns}, {"apiVersion", "v1"}}},
      {"responseStatus", {{"metadata", nlohmann::json::object()}, {"code", 200}}},
      {"requestReceivedTimestamp", "2026-12-03T16:38:13.100000Z"},
      {"stageTimestamp", "2026-12-03T16:38:13.123456Z"},
      {"annotations",
       {{"authorization.k8s.io/decision", "allow"},
        {"authorization.k8s.io/reason", "RBAC: allowed by ClusterRoleBinding"}}},
  };
  if (!name.empty()) e["objectRef"]["name"] = name;
  return e;
}

// kubectl create of a pod with one privileged container.
inline nlohmann::json privileged_pod_create(const std::string& ns, const std::string& name,
                                            const std::string& user = "alice") {
  nlohmann::json e = base("create", "pods", ns, name, user);
  e["requestURI"] = "/api/v1/namespaces/" + ns + "/pods?fieldManager=kubectl-create";
  nlohmann::json pod = {
      {"kind", "Pod"},
      {"apiVersion", "v1"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"spec",
       {{"containers",
         {{{"name", "c"},
           {"image", "docker.io/library/busybox:1.36"},
           {"securityContext", {{"privileged", true}}}}}}}},
  };
  e["requestObject"] = pod;
  e["responseObject"] = pod;
  e["responseStatus"]["code"] = 201;
  return e;
}

// `kubectl exec` into a pod: the API server audits the pods/exec create at ResponseStarted.
inline nlohmann::json pod_exec(const std::string& ns, const std::string& name,
                               const std::string& user = "alice") {
  nlohmann::json e = base("create", "pods", ns, name, user, "ResponseStarted");
  e["objectRef"]["subresource"] = "exec";
  e["requestURI"] = "/api/v1/namespaces/" + ns + "/pods/" + name +
                    "/exec?command=sh&command=-c&command=id&container=c&stderr=true&stdout=true";
  e["responseStatus"]["code"] = 101;
  return e;
}

// A ClusterRole whose rule grants every verb on every resource.
inline nlohmann::json wildcard_clusterrole_create(const std::string& name,
                                                  const std::string& user = "alice") {
  nlohmann::json e = base("create", "clusterroles", "", name, user);
  e["objectRef"].erase("namespace");
  e["objectRef"]["apiGroup"] = "rbac.authorization.k8s.io";
  e["requestURI"] = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
  e["requestObject"] = {
      {"kind", "ClusterRole"},
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"metadata", {{"name", name}}},
      {"rules", {{{"apiGroups", {""}}, {"resources", {"*"}}, {"verbs", {"*"}}}}},
  };
  e["responseStatus"]["code"] = 201;
  return e;
}

// A Secret read (get) by `user`.
inline nlohmann::json secret_get(const std::string& ns, const std::string& name,
                                 const std::string& user) {
  return base("get", "secrets", ns, name, user);
}

// A list of pods by a system user: what most of a cluster's audit stream looks like, and what
// no rule should take.
inline nlohmann::json routine_list(const std::string& ns) {
  nlohmann::json e = base("list", "pods", ns, "", "system:kube-scheduler");
  e["user"]["groups"] = {"system:authenticated"};
  return e;
}

// The body the API server posts: the events as an EventList's items.
inline nlohmann::json event_list(const std::vector<nlohmann::json>& items) {
  nlohmann::json list = {{"kind", "EventList"},
                         {"apiVersion", "audit.k8s.io/v1"},
                         {"metadata", nlohmann::json::object()}};
  list["items"] = nlohmann::json::array();
  for (const auto& e : items) list["items"].push_back(e);
  return list;
}

}  // namespace riposte::testing::audit
