// Request plumbing every Kubernetes action shares: reads that yield JSON or fail the result,
// writes through mutate() (so dry-run stays exact), and turning API errors into a failed
// ActionResult whose retryable flag follows the error's kind.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/kube/kube_client.h"
#include "responder/actions/action.h"

namespace riposte::actions {

using nlohmann::json;

// The answer to one request: error unset for 2xx (body then holds the parsed JSON, or null).
struct Answer {
  std::optional<kube::KubeError> error;
  json body;
  bool ok() const { return !error.has_value(); }
  bool is(kube::KubeError::Kind kind) const { return error && error->kind == kind; }
};

// A response (or its absence) as an Answer; transport failures become kTransport errors.
Answer to_answer(const Result<kube::KubeResponse>& response);

// Marks *result failed with "<doing>: <error>"; retryable when the error may pass.
void fail(ActionResult* result, std::string_view doing, const kube::KubeError& error);
// Marks *result failed with message; such problems (bad input, bad data) do not pass.
void fail(ActionResult* result, std::string message);

// GET of one object or collection, sent even in dry-run: reads change nothing, and actions
// need their answers to know what they would change.
Answer read(ActionContext& ctx, const kube::ResourceRef& ref,
            std::vector<std::pair<std::string, std::string>> query = {});

// Like read(), but any error (404 included) fails *result with "<doing>: ..." and yields
// nullopt.
std::optional<json> read_or_fail(ActionContext& ctx, const kube::ResourceRef& ref,
                                 std::string_view doing, ActionResult* result);

// A mutating request through mutate(): nullopt in dry-run (recorded, not sent). A path that
// cannot be built yields a kInvalid error without recording or sending anything.
std::optional<Answer> write(ActionContext& ctx, ActionResult* result, std::string method,
                            const kube::ResourceRef& ref, std::string body,
                            std::string content_type = "application/json",
                            std::vector<std::pair<std::string, std::string>> query = {});

// Content types of the PATCH flavours actions use.
inline constexpr std::string_view kMergePatch = "application/merge-patch+json";
inline constexpr std::string_view kApplyPatch = "application/apply-patch+yaml";
inline constexpr std::string_view kJsonPatch = "application/json-patch+json";
// The field manager named on server-side apply and in managedFields.
inline constexpr std::string_view kFieldManager = "riposte-responder";

// Finishes a dry-run: status kDryRun and the message.
ActionResult& finish_dry_run(ActionResult* result, std::string message);

// "riposte.dev/": the prefix of every label and annotation riposte writes.
inline constexpr std::string_view kRiposteDomain = "riposte.dev/";

// A member of a JSON object as a string; "" when absent or not a string.
std::string string_at(const json& obj, std::string_view key);
// obj["metadata"][key] as a string.
std::string meta(const json& obj, std::string_view key);
// obj["metadata"]["annotations"][key] as a string.
std::string annotation(const json& obj, std::string_view key);
// The ownerReference marked controller: true, or nullptr.
const json* controller_ref(const json& obj);
// The items of a list answer; an empty array when there are none.
const json& items(const json& list);

}  // namespace riposte::actions
