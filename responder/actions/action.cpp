#include "responder/actions/action.h"

#include "common/log.h"

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
  if (ctx.dry_run) {
    log_dry_run(ctx, result->requests.back());
    return std::nullopt;
  }
  auto answer = ctx.kube.request(request);
  RequestAnswer a;
  a.request = result->requests.size() - 1;
  if (answer) {
    a.status = answer->status;
    a.body = answer->body.substr(0, RequestAnswer::kMaxAnswerBytes);
  } else {
    a.error = answer.error();
  }
  result->answers.push_back(std::move(a));
  return answer;
}

void log_dry_run(const ActionContext& ctx, const SentRequest& request) {
  log::info("dry-run: not sent", {{"playbook", ctx.playbook},
                                  {"method", request.method},
                                  {"path", request.path},
                                  {"body", request.body}});
}

}  // namespace riposte::actions
