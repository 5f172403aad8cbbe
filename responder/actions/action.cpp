#include "responder/actions/action.h"

namespace riposte::actions {

ActionResult ActionResult::failed(std::string message) {
  ActionResult r;
  r.status = kFailed;
  r.message = std::move(message);
  return r;
}

ActionResult ActionResult::skipped(std::string message) {
  ActionResult r;
  r.status = kSkipped;
  r.message = std::move(message);
  return r;
}

std::string_view status_name(ActionResult::Status status) {
  switch (status) {
    case ActionResult::kSucceeded:
      return "succeeded";
    case ActionResult::kFailed:
      return "failed";
    case ActionResult::kSkipped:
      return "skipped";
    case ActionResult::kDryRun:
      return "dry-run";
  }
  return "unknown";
}

std::optional<Result<kube::KubeResponse>> mutate(ActionContext& ctx, ActionResult* result,
                                                 const kube::KubeRequest& request) {
  result->requests.push_back({request.method, kube::request_target(request), request.body});
  if (ctx.dry_run) return std::nullopt;
  return ctx.kube.request(request);
}

}  // namespace riposte::actions
