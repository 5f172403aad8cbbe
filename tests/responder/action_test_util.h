// Helpers for action unit tests: a scripted fake API server (answers by method and path,
// records every request) and builders for the objects actions read.
#pragma once

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/kube/kube_client.h"
#include "responder/actions/action.h"
#include "responder/actions/registry.h"
#include "tests/support/test_util.h"

namespace riposte::testing {

using nlohmann::json;

class FakeApi : public kube::KubeClient {
 public:
  // Answers "METHOD path" (path without query) with status and body; later calls to on() for
  // the same request queue further answers (the last one repeats).
  void on(const std::string& method, const std::string& path, int status, json body = json::object()) {
    answers_[method + " " + path].push_back({status, body.dump()});
  }
  Result<kube::KubeResponse> request(const kube::KubeRequest& r) override {
    calls.push_back(r);
    auto it = answers_.find(r.method + " " + r.path);
    if (it == answers_.end()) {
      return kube::KubeResponse{404, status_body(404, "NotFound", "fake: no answer for " +
                                                                    r.method + " " + r.path)};
    }
    auto& queue = it->second;
    kube::KubeResponse res = queue.front();
    if (queue.size() > 1) queue.erase(queue.begin());
    return res;
  }
  // "PATCH /api/v1/nodes/n" for every request but GETs, in order.
  std::vector<std::string> writes() const {
    std::vector<std::string> out;
    for (const auto& c : calls) {
      if (c.method != "GET") out.push_back(c.method + " " + c.path);
    }
    return out;
  }
  const kube::KubeRequest* last(const std::string& method, const std::string& path) const {
    for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
      if (it->method == method && it->path == path) return &*it;
    }
    return nullptr;
  }

  std::vector<kube::KubeRequest> calls;

 private:
  std::map<std::string, std::vector<kube::KubeResponse>> answers_;
};

inline const actions::Action& action(std::string_view name) {
  const actions::Action* a = actions::ActionRegistry::builtin().find(name);
  if (!a) throw std::runtime_error("no action " + std::string(name));
  return *a;
}

// Load-time problems of params given as YAML ("{}" for none).
inline std::vector<std::string> param_errors(std::string_view name, const std::string& yaml) {
  std::vector<std::string> out;
  for (const auto& e : action(name).validate(YAML::Load(yaml))) out.push_back(e.message);
  return out;
}

// Validates (expecting no problem) and runs the action.
inline actions::ActionResult run_action(std::string_view name, const std::string& params_yaml,
                                        kube::KubeClient& kube, const Alert& alert,
                                        bool dry_run = false,
                                        const actions::Guardrails& guardrails = {}) {
  YAML::Node params = YAML::Load(params_yaml);
  EXPECT_EQ(param_errors(name, params_yaml), std::vector<std::string>{}) << name;
  actions::ActionContext ctx{alert, params, kube, guardrails, dry_run, "test-playbook"};
  return action(name).execute(ctx);
}

struct PodSpec {
  std::string ns = "shop";
  std::string name = "web-1";
  std::string uid = "0f8e4b4c-7a4b-4c39-9a4e-0123456789ab";
  std::string node = "node-a";
  std::string owner_kind = {};  // "" for a bare pod
  std::string owner_name = {};
  bool ready = true;
};

inline json pod_json(const PodSpec& p) {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", p.name}, {"namespace", p.ns}, {"uid", p.uid}}},
              {"spec", {{"nodeName", p.node}}},
              {"status",
               {{"phase", "Running"},
                {"conditions", {{{"type", "Ready"}, {"status", p.ready ? "True" : "False"}}}}}}};
  if (!p.owner_kind.empty()) {
    pod["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"},
                                           {"kind", p.owner_kind},
                                           {"name", p.owner_name},
                                           {"uid", "owner-uid-" + p.owner_name},
                                           {"controller", true}}};
  }
  return pod;
}

// An apps/v1 object (Deployment, ReplicaSet, StatefulSet) with replica counts.
inline json workload_json(const std::string& kind, const std::string& name, int replicas,
                          int ready, const std::string& owner_deployment = "") {
  json w = {{"apiVersion", "apps/v1"},
            {"kind", kind},
            {"metadata",
             {{"name", name}, {"namespace", "shop"}, {"uid", "owner-uid-" + name},
              {"resourceVersion", "42"}}},
            {"spec", {{"replicas", replicas}}},
            {"status", {{"replicas", replicas}, {"readyReplicas", ready}}}};
  if (!owner_deployment.empty()) {
    w["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"},
                                         {"kind", "Deployment"},
                                         {"name", owner_deployment},
                                         {"uid", "owner-uid-" + owner_deployment},
                                         {"controller", true}}};
  }
  return w;
}

inline constexpr char kPodPath[] = "/api/v1/namespaces/shop/pods/web-1";

}  // namespace riposte::testing
