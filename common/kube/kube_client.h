// The Kubernetes API as riposte uses it (the responder's actions and engine, the detector's
// pod watcher): one raw request/response call behind an interface, so callers are tested with
// a fake and the real client
// (http_kube_client.h) stays thin. Typed errors are derived from responses by classify().
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace riposte::kube {

struct KubeRequest {
  // Default initializers let call sites use designated initializers for just what they need.
  std::string method = {};  // GET, POST, PUT, PATCH, DELETE
  std::string path = {};    // absolute and already escaped: build it with resource_path()
  std::string body = {};
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> query = {};  // raw; the client escapes them
  // When set (not the epoch): no attempt starts, and no answer is waited for, past it; the
  // request then fails as a transport error. A step's timeout (see step_runner.h).
  std::chrono::steady_clock::time_point deadline = {};
};

// GET and HEAD change nothing, so sending them again after a lost answer is harmless; any
// other method may have been applied by the server even though its answer was lost.
bool is_safe_to_resend(const KubeRequest& request);

struct KubeResponse {
  int status = 0;
  std::string body;
};

// One entry of a metav1.Status's details.causes: why exactly a request was refused
// (e.g. reason "DisruptionBudget" on a 429 answer to an eviction).
struct StatusCause {
  std::string reason;
  std::string message;
  std::string field;
};

// A non-2xx answer (or no answer at all) in the terms callers branch on.
struct KubeError {
  enum Kind {
    kNotFound,         // 404
    kForbidden,        // 403: RBAC; message names user, verb and resource
    kConflict,         // 409: already exists, precondition or resourceVersion mismatch
    kInvalid,          // 400, 422
    kUnauthorized,     // 401: bad or expired credentials
    kTooManyRequests,  // 429
    kServer,           // 5xx
    kTransport,        // no HTTP response: connect, TLS, timeout
    kOther,
  };
  Kind kind = kOther;
  int status = 0;       // HTTP status; 0 for kTransport
  std::string message;  // the API server's Status.message (or the transport error)
  std::string reason;   // the API server's Status.reason ("NotFound", "Forbidden", ...)
  std::vector<StatusCause> causes;  // Status.details.causes, when the server gave any

  bool has_cause(std::string_view cause_reason) const;

  // "forbidden (403): pods \"x\" is forbidden: User ..." for logs and ActionResult messages.
  std::string describe() const;
};

std::string_view kind_name(KubeError::Kind kind);
// Errors a later attempt may not see: transport, 5xx, 429.
bool is_transient(KubeError::Kind kind);

// nullopt for 2xx; otherwise the error with message, reason and causes taken from the body
// when it is a metav1.Status, else the message from the (truncated) body itself.
std::optional<KubeError> classify(const KubeResponse& response);
KubeError transport_error(std::string message);

// The cause an eviction refused by a PodDisruptionBudget carries (with status 429).
inline constexpr std::string_view kDisruptionBudgetCause = "DisruptionBudget";

class KubeClient {
 public:
  virtual ~KubeClient() = default;
  // Sends one request. An Error means no HTTP response was obtained (transport, TLS,
  // credentials), after whatever retries the implementation does; every HTTP status,
  // including 4xx/5xx, is a response: see classify().
  virtual Result<KubeResponse> request(const KubeRequest& request) = 0;

  // A long-running GET (a watch: ?watch=1): the response body is handed to on_data as it
  // arrives, until the server ends it, on_data returns false or cancel_streams() is called.
  // Returns the HTTP status (a non-2xx body goes to on_data too); an Error when no response
  // came. Not retried. The default says the client cannot stream.
  virtual Result<int> stream(const KubeRequest& request,
                             const std::function<bool(std::string_view)>& on_data);
  // Ends every stream() in progress and refuses new ones, from any thread (shutdown).
  virtual void cancel_streams() {}
};

// Percent-encodes everything but RFC 3986 unreserved characters, so a value can never add
// a path segment, a query or a fragment.
std::string escape_component(std::string_view s);

// The request target: path followed by the escaped query ("?dryRun=All&...").
std::string request_target(const KubeRequest& request);

// Coordinates of an API object or collection. The group, version, resource and subresource
// are meant to be constants in code; only namespace_ and name may come from input, and they
// are escaped (callers still validate them as Kubernetes names first: see actions/target.h).
struct ResourceRef {
  std::string_view group = {};  // "" for the core API (/api/v1), else e.g. "apps"
  std::string_view version = "v1";
  std::string_view resource = {};     // plural: "pods", "deployments", "nodes"
  std::string namespace_ = {};        // "" for cluster-scoped resources
  std::string name = {};              // "" for the collection
  std::string_view subresource = {};  // "", "eviction", "scale", "status"
};

// "/api/v1/namespaces/shop/pods/web-1", "/apis/apps/v1/namespaces/shop/deployments/web/scale".
// Fails on an empty resource, a subresource without a name, or a "." / ".." name or namespace.
Result<std::string> resource_path(const ResourceRef& ref);

}  // namespace riposte::kube
