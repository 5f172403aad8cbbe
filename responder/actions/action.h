// The plug-in interface for response actions (pod.delete, pod.evict, workload.scale,
// node.cordon, ...). An action validates its params once when a playbook is loaded and then
// runs once per matching alert; every mutating request goes through mutate(), which is what
// makes dry-run exact and uniform across actions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/alert.h"
#include "common/kube/kube_client.h"
#include "common/result.h"
#include "responder/actions/guardrails.h"
#include "responder/actions/node_agent_client.h"

namespace riposte::actions {

// A problem in a step's params, at the position of the offending node in the playbook file.
struct ParamError {
  YAML::Mark mark;
  std::string message;
};

// A mutating request an action sent, or in dry-run would have sent.
struct SentRequest {
  std::string method;
  std::string path;  // with the escaped query, as on the wire
  std::string body;
  // "DELETE /api/v1/namespaces/shop/pods/web-1"
  std::string str() const { return method + " " + path; }
  bool operator==(const SentRequest&) const = default;
};

// The API server's answer to requests[request] (or why there was none), for the audit record:
// the UI's run detail shows each request with its answer.
struct RequestAnswer {
  size_t request = 0;
  int status = 0;     // HTTP status; 0 when no answer came
  std::string body;   // the answer's first kMaxAnswerBytes
  std::string error;  // no answer: transport, TLS, credentials
  static constexpr size_t kMaxAnswerBytes = 4096;
};

struct ActionResult {
  enum Status {
    kSucceeded,
    kFailed,
    kSkipped,  // nothing to do or not allowed (guardrails); sent nothing
    kDryRun,   // would have acted; `requests` lists exactly what it would have sent
  };
  Status status = kSucceeded;
  std::vector<std::string> targets;  // objects acted on: "pods/shop/web-1"
  std::vector<SentRequest> requests;
  std::vector<RequestAnswer> answers;  // of the requests sent (none in dry-run)
  std::string message;
  // kFailed only: the cause may pass (API server unreachable, 5xx, 429), so running the
  // action again later may succeed. Invalid alerts and RBAC denials are not retryable.
  bool retryable = false;
  // The node's answer to a node action (process.kill, forensics.capture, ...): recorded as is
  // in the run's audit record, forensics included. Null for Kubernetes actions.
  nlohmann::json reply;

  static ActionResult failed(std::string message);
  static ActionResult skipped(std::string message);
};

std::string_view status_name(ActionResult::Status status);

struct ActionContext {
  const Alert& alert;
  const YAML::Node& params;  // the step's params, already accepted by Action::validate
  kube::KubeClient& kube;
  const Guardrails& guardrails;
  bool dry_run = false;
  std::string_view playbook;  // name of the running playbook, for messages and annotations
  // Names this step of this playbook run for this alert ("" outside a run: CLI, tests).
  // Actions that create objects derive their names from it, so that sending the create
  // again after a lost answer gets 409 instead of making a second object.
  std::string_view idempotency_key = {};
  // Where node actions are sent; null when the responder serves none (they then fail).
  NodeAgentClient* node_agent = nullptr;
};

class Action {
 public:
  virtual ~Action() = default;
  // The name playbooks use: "pod.delete".
  virtual std::string_view name() const = 0;
  // Called when a playbook is loaded; every problem found, none when params are usable.
  // params is undefined or null when the step has none.
  virtual std::vector<ParamError> validate(const YAML::Node& params) const = 0;
  // Alert values are attacker-controlled: validate anything taken from them (see target.h)
  // and check the guardrails before sending.
  virtual ActionResult execute(ActionContext& ctx) const = 0;
};

// An action whose params parse into Options: validate() at load and execute() at run time go
// through the same parser, so what a playbook load accepted is exactly what runs.
template <typename Options, Options (*Parse)(const YAML::Node&, std::vector<ParamError>*)>
class ActionWithOptions : public Action {
 public:
  std::vector<ParamError> validate(const YAML::Node& params) const final {
    std::vector<ParamError> errors;
    Parse(params, &errors);
    return errors;
  }
  // Checked again at run time: templates in the params are rendered from the alert since load.
  ActionResult execute(ActionContext& ctx) const final {
    std::vector<ParamError> errors;
    const Options opts = Parse(ctx.params, &errors);
    if (!errors.empty()) return ActionResult::failed("invalid params: " + errors[0].message);
    return run(ctx, opts);
  }

 protected:
  virtual ActionResult run(ActionContext& ctx, const Options& opts) const = 0;
};

// Records a mutating request in result->requests and sends it, unless ctx.dry_run: then
// nothing is sent and nullopt returned. Reads (GET) go to ctx.kube directly: they are safe in
// dry-run, and actions like drain need their answers to know what they would change.
std::optional<Result<kube::KubeResponse>> mutate(ActionContext& ctx, ActionResult* result,
                                                 const kube::KubeRequest& request);

// Logs a request a dry-run did not send (mutate() does it for Kubernetes requests), so the
// exact request is in the log as well as in the result.
void log_dry_run(const ActionContext& ctx, const SentRequest& request);

}  // namespace riposte::actions
