#include "responder/actions/kube_call.h"

namespace riposte::actions {
namespace {

// A request that could not even be built (resource_path refused a name).
Answer invalid(std::string message) {
  Answer a;
  a.error = kube::KubeError();
  a.error->kind = kube::KubeError::kInvalid;
  a.error->message = std::move(message);
  return a;
}

}  // namespace

Answer to_answer(const Result<kube::KubeResponse>& response) {
  Answer a;
  if (!response) {
    a.error = kube::transport_error(response.error());
    return a;
  }
  a.error = kube::classify(*response);
  if (!a.error) a.body = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (a.body.is_discarded()) a.body = nullptr;
  return a;
}

void fail(ActionResult* result, std::string_view doing, const kube::KubeError& error) {
  result->status = ActionResult::kFailed;
  result->message = std::string(doing) + ": " + error.describe();
  result->retryable = kube::is_transient(error.kind);
}

void fail(ActionResult* result, std::string message) {
  result->status = ActionResult::kFailed;
  result->message = std::move(message);
  result->retryable = false;
}

Answer read(ActionContext& ctx, const kube::ResourceRef& ref,
            std::vector<std::pair<std::string, std::string>> query) {
  auto path = kube::resource_path(ref);
  if (!path) return invalid(path.error());
  return to_answer(ctx.kube.request({.method = "GET", .path = *path, .query = std::move(query)}));
}

std::optional<json> read_or_fail(ActionContext& ctx, const kube::ResourceRef& ref,
                                 std::string_view doing, ActionResult* result) {
  Answer a = read(ctx, ref);
  if (!a.ok()) {
    fail(result, doing, *a.error);
    return std::nullopt;
  }
  return std::move(a.body);
}

std::optional<Answer> write(ActionContext& ctx, ActionResult* result, std::string method,
                            const kube::ResourceRef& ref, std::string body,
                            std::string content_type,
                            std::vector<std::pair<std::string, std::string>> query) {
  auto path = kube::resource_path(ref);
  if (!path) return invalid(path.error());
  auto sent = mutate(ctx, result,
                     {.method = std::move(method),
                      .path = *path,
                      .body = std::move(body),
                      .content_type = std::move(content_type),
                      .query = std::move(query)});
  if (!sent) return std::nullopt;
  return to_answer(*sent);
}

ActionResult& finish_dry_run(ActionResult* result, std::string message) {
  result->status = ActionResult::kDryRun;
  result->message = std::move(message);
  return *result;
}

std::string string_at(const json& obj, std::string_view key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string meta(const json& obj, std::string_view key) {
  if (!obj.is_object()) return {};
  auto it = obj.find("metadata");
  return it == obj.end() ? std::string() : string_at(*it, key);
}

std::string annotation(const json& obj, std::string_view key) {
  if (!obj.is_object()) return {};
  auto md = obj.find("metadata");
  if (md == obj.end() || !md->is_object()) return {};
  auto annotations = md->find("annotations");
  return annotations == md->end() ? std::string() : string_at(*annotations, key);
}

const json* controller_ref(const json& obj) {
  if (!obj.is_object()) return nullptr;
  auto md = obj.find("metadata");
  if (md == obj.end() || !md->is_object()) return nullptr;
  auto refs = md->find("ownerReferences");
  if (refs == md->end() || !refs->is_array()) return nullptr;
  for (const auto& r : *refs) {
    if (!r.is_object()) continue;
    auto c = r.find("controller");
    if (c != r.end() && c->is_boolean() && c->get<bool>()) return &r;
  }
  return nullptr;
}

const json& items(const json& list) {
  static const json kEmpty = json::array();
  if (!list.is_object()) return kEmpty;
  auto it = list.find("items");
  return it != list.end() && it->is_array() ? *it : kEmpty;
}

}  // namespace riposte::actions
