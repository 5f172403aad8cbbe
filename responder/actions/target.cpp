#include "responder/actions/target.h"

namespace riposte::actions {
namespace {

constexpr size_t kMaxQuoted = 64;

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Apimachinery's IsDNS1123Label without the length check.
bool label_chars_ok(std::string_view s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (dash ? c != '-' : !hex) return false;
  }
  return true;
}

// The value as JSON (control and non-ASCII characters escaped), shortened: safe to put in
// log lines and messages.
std::string quote(const nlohmann::ordered_json& v) {
  std::string s = v.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
  return s.size() > kMaxQuoted ? s.substr(0, kMaxQuoted) + "..." : s;
}

}  // namespace

Status validate_name(std::string_view value, NameKind kind) {
  if (value.empty()) return Error{"must not be empty"};
  const size_t max = kind == NameKind::kLabel ? 63 : 253;
  if (value.size() > max) {
    return Error{"must be at most " + std::to_string(max) + " characters, is " +
                 std::to_string(value.size())};
  }
  if (kind == NameKind::kLabel) {
    if (!label_chars_ok(value)) {
      return Error{
          "must be a DNS-1123 label: lowercase letters, digits and '-', starting and "
          "ending with a letter or digit"};
    }
    return Status::Ok();
  }
  size_t start = 0;
  while (true) {
    size_t dot = value.find('.', start);
    if (!label_chars_ok(value.substr(start, dot - start))) {
      return Error{
          "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each "
          "'.'-separated part starting and ending with a letter or digit"};
    }
    if (dot == std::string_view::npos) return Status::Ok();
    start = dot + 1;
  }
}

Result<std::string> name_from_field(const Alert& alert, std::string_view field, NameKind kind) {
  const std::string where = "alert field \"" + std::string(field) + "\"";
  auto it = alert.output_fields.find(field);
  if (it == alert.output_fields.end()) return Error{where + " is missing"};
  if (!it->is_string()) {
    return Error{
        where + " must be a JSON string, got " +
        (it->is_null() ? std::string("null") : std::string(it->type_name()) + " " + quote(*it))};
  }
  const std::string& value = it->get_ref<const std::string&>();
  if (auto st = validate_name(value, kind); !st) {
    return Error{where + " " + quote(*it) + ": " + st.error()};
  }
  return value;
}

namespace {

bool has_value(const Alert& alert, std::string_view field) {
  auto it = alert.output_fields.find(field);
  return it != alert.output_fields.end() && !it->is_null();
}

// A k8s_audit alert names the pod of the request it saw: ka.target.namespace and
// ka.target.name (ka.resp.name when the request did not name it, a create with generateName),
// only when the request's resource is pods (a ClusterRole alert names a role, not a pod).
Result<PodTarget> audit_pod_target(const Alert& alert) {
  auto resource = alert.output_fields.find(kAuditResourceField);
  if (resource == alert.output_fields.end() || *resource != "pods")
    return Error{"alert field \"" + std::string(kAuditResourceField) +
                 "\" must be \"pods\" for a pod action on a k8s_audit alert"};
  auto ns = name_from_field(alert, kAuditNamespaceField, NameKind::kLabel);
  if (!ns) return ns.err();
  auto name = name_from_field(
      alert, has_value(alert, kAuditNameField) ? kAuditNameField : kAuditResponseNameField,
      NameKind::kSubdomain);
  if (!name) return name.err();
  return PodTarget{std::move(*ns), std::move(*name), ""};
}

}  // namespace

Result<PodTarget> pod_target(const Alert& alert) {
  if (alert.source == "k8s_audit") return audit_pod_target(alert);
  PodTarget t;
  auto ns = name_from_field(alert, kNamespaceField, NameKind::kLabel);
  if (!ns) return ns.err();
  auto name = name_from_field(alert, kPodNameField, NameKind::kSubdomain);
  if (!name) return name.err();
  t.namespace_ = std::move(*ns);
  t.name = std::move(*name);
  if (auto it = alert.output_fields.find(kPodUidField);
      it != alert.output_fields.end() && !it->is_null()) {
    if (!it->is_string() || !is_uuid(it->get_ref<const std::string&>())) {
      return Error{"alert field \"" + std::string(kPodUidField) + "\" " + quote(*it) +
                   ": must be a lowercase UUID string"};
    }
    t.uid = it->get<std::string>();
  }
  return t;
}

}  // namespace riposte::actions
