#include "common/kube/kube_client.h"

#include <nlohmann/json.hpp>

namespace riposte::kube {
namespace {

constexpr size_t kMaxRawMessage = 256;

KubeError::Kind kind_for_status(int status) {
  switch (status) {
    case 400:
    case 422:
      return KubeError::kInvalid;
    case 401:
      return KubeError::kUnauthorized;
    case 403:
      return KubeError::kForbidden;
    case 404:
      return KubeError::kNotFound;
    case 409:
      return KubeError::kConflict;
    case 429:
      return KubeError::kTooManyRequests;
    default:
      return status >= 500 && status <= 599 ? KubeError::kServer : KubeError::kOther;
  }
}

// A string member, or "" when absent or of another type (value() would throw on the latter).
std::string string_at(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_dots(std::string_view s) { return s == "." || s == ".."; }

}  // namespace

std::string_view kind_name(KubeError::Kind kind) {
  switch (kind) {
    case KubeError::kNotFound:
      return "not found";
    case KubeError::kForbidden:
      return "forbidden";
    case KubeError::kConflict:
      return "conflict";
    case KubeError::kInvalid:
      return "invalid";
    case KubeError::kUnauthorized:
      return "unauthorized";
    case KubeError::kTooManyRequests:
      return "too many requests";
    case KubeError::kServer:
      return "server error";
    case KubeError::kTransport:
      return "transport error";
    case KubeError::kOther:
      break;
  }
  return "error";
}

bool is_transient(KubeError::Kind kind) {
  return kind == KubeError::kTransport || kind == KubeError::kServer ||
         kind == KubeError::kTooManyRequests;
}

bool is_safe_to_resend(const KubeRequest& request) {
  return request.method == "GET" || request.method == "HEAD";
}

std::string KubeError::describe() const {
  std::string out(kind_name(kind));
  if (status != 0) out += " (" + std::to_string(status) + ")";
  if (!message.empty()) out += ": " + message;
  return out;
}

bool KubeError::has_cause(std::string_view cause_reason) const {
  for (const auto& c : causes) {
    if (c.reason == cause_reason) return true;
  }
  return false;
}

std::optional<KubeError> classify(const KubeResponse& response) {
  if (response.status >= 200 && response.status <= 299) return std::nullopt;
  KubeError err;
  err.status = response.status;
  err.kind = kind_for_status(response.status);
  auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.value("kind", "") == "Status") {
    if (auto it = body.find("message"); it != body.end() && it->is_string()) err.message = *it;
    if (auto it = body.find("reason"); it != body.end() && it->is_string()) err.reason = *it;
    auto details = body.find("details");
    if (details != body.end() && details->is_object()) {
      auto causes = details->find("causes");
      if (causes != details->end() && causes->is_array()) {
        for (const auto& c : *causes) {
          if (!c.is_object()) continue;
          err.causes.push_back({string_at(c, "reason"), string_at(c, "message"), string_at(c, "field")});
        }
      }
    }
  }
  if (err.message.empty()) err.message = response.body.substr(0, kMaxRawMessage);
  return err;
}

KubeError transport_error(std::string message) {
  KubeError err;
  err.kind = KubeError::kTransport;
  err.message = std::move(message);
  return err;
}

std::string escape_component(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string request_target(const KubeRequest& request) {
  std::string t = request.path;
  char sep = '?';
  for (const auto& [k, v] : request.query) {
    t += sep + escape_component(k) + "=" + escape_component(v);
    sep = '&';
  }
  return t;
}

Result<std::string> resource_path(const ResourceRef& ref) {
  if (ref.resource.empty() || ref.version.empty()) return Error{"resource path without a resource"};
  if (!ref.subresource.empty() && ref.name.empty()) {
    return Error{"subresource \"" + std::string(ref.subresource) + "\" without an object name"};
  }
  // Escaping keeps "." and "..", which servers may resolve as path steps.
  if (is_dots(ref.namespace_) || is_dots(ref.name)) {
    return Error{"\".\" and \"..\" are not object names"};
  }
  std::string path = ref.group.empty() ? "/api/" : "/apis/" + std::string(ref.group) + "/";
  path += ref.version;
  if (!ref.namespace_.empty()) path += "/namespaces/" + escape_component(ref.namespace_);
  path += "/";
  path += ref.resource;
  if (!ref.name.empty()) path += "/" + escape_component(ref.name);
  if (!ref.subresource.empty()) path += "/" + std::string(ref.subresource);
  return path;
}

Result<int> KubeClient::stream(const KubeRequest& /*request*/,
                               const std::function<bool(std::string_view)>& /*on_data*/) {
  return Error{"this Kubernetes client cannot stream (watch)"};
}

}  // namespace riposte::kube
