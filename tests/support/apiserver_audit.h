// The kube-apiserver's audit log (deploy/local/cluster.sh writes one: every mutation by a
// ServiceAccount, request and response), read back as the mutations one user sent, so tests
// count effects where they happen rather than where the client thinks they happened.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace riposte::testing {

struct AuditedMutation {
  std::string verb;      // create, patch, update, delete
  std::string resource;  // "pods", "events", "pods/eviction"
  std::string namespace_;
  std::string name;              // the object's name ("" for a create the server named)
  int code = 0;                  // the response's status code
  std::string resource_version;  // of the object in the response, when it has one
  nlohmann::json request;        // the request body (null when none)
  // "<resource> <namespace>/<name>": the target the mutation was counted against.
  std::string target() const { return resource + " " + namespace_ + "/" + name; }
};

// The completed mutations by `user` (e.g. "system:serviceaccount:riposte:riposte-responder")
// in namespace ns, in log order. Lines that are not ResponseComplete events are skipped.
std::vector<AuditedMutation> read_audited_mutations(const std::string& path,
                                                    const std::string& user, const std::string& ns);

}  // namespace riposte::testing
