#include "tests/support/apiserver_audit.h"

#include <fstream>
#include <set>

namespace riposte::testing {

std::vector<AuditedMutation> read_audited_mutations(const std::string& path,
                                                    const std::string& user,
                                                    const std::string& ns) {
  std::vector<AuditedMutation> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (!e.is_object() || e.value("stage", "") != "ResponseComplete") continue;
    if (e["user"].value("username", "") != user) continue;
    // The policy may log reads too (with the audit webhook on, for Falco's k8s_audit rules):
    // only mutations count as effects.
    static const std::set<std::string> kMutating = {"create", "update", "patch", "delete",
                                                    "deletecollection"};
    if (kMutating.count(e.value("verb", "")) == 0) continue;
    const auto& ref = e.value("objectRef", nlohmann::json::object());
    if (ref.value("namespace", "") != ns) continue;
    AuditedMutation m;
    m.verb = e.value("verb", "");
    m.resource = ref.value("resource", "");
    if (ref.contains("subresource")) m.resource += "/" + ref.value("subresource", "");
    m.namespace_ = ns;
    m.name = ref.value("name", "");
    m.code = e["responseStatus"].value("code", 0);
    m.request = e.value("requestObject", nlohmann::json());
    if (m.name.empty() && m.request.is_object() && m.request.contains("metadata")) {
      m.name = m.request["metadata"].value("name", "");  // a create names it in the body
    }
    const auto& resp = e.value("responseObject", nlohmann::json::object());
    if (resp.is_object() && resp.contains("metadata")) {
      m.resource_version = resp["metadata"].value("resourceVersion", "");
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace riposte::testing
