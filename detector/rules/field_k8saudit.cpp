// The ka.* fields of k8s_audit rules, one row each (field_table.h), read from the event's
// Kubernetes audit event with the meaning falcosecurity/plugins' k8saudit plugin gives them:
// values are strings (a non-string JSON value as its compact JSON), list fields give every
// value (`intersects`, `in`) or the n-th with [n], and a missing member means no value.
#include <charconv>
#include <span>

#include "detector/rules/audit_values.h"

namespace riposte::detector::rules {

namespace {

using T = FieldType;
using A = ArgMode;
using nlohmann::json;

bool json_str(const json* v, const EvalContext& c, std::string_view* out) {
  return v != nullptr && json_text(*v, c, out);
}

// Visits the values at `keys` below `v`, descending into every element of an array met on
// the way (only element `index` when index >= 0); an element without the member is visited
// as null. Returns false when the path is missing before any array.
template <typename Fn>
bool collect(const json* v, int64_t index, std::span<const std::string_view> keys, Fn&& fn) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (v == nullptr) return false;
    if (v->is_array()) {
      if (index < 0) {
        for (const json& e : *v)
          if (!collect(&e, index, keys.subspan(i), fn)) fn(nullptr);
        return true;
      }
      if (static_cast<size_t>(index) >= v->size()) return false;
      v = &(*v)[static_cast<size_t>(index)];
    }
    if (keys[i].empty()) continue;  // "" stands for the value itself (volume_type)
    v = json_get(v, {keys[i]});
  }
  if (v == nullptr) return false;
  fn(v);
  return true;
}

// A list field: every non-null value at `keys` as text.
void values(const ResolvedField& f, const EvalContext& c, Out* o,
            std::initializer_list<std::string_view> keys) {
  const AuditEvent* a = audit_of(c);
  if (a == nullptr) return;
  // The first key through member(): a deferred requestObject is parsed only here.
  std::span<const std::string_view> k(keys.begin() + 1, keys.size() - 1);
  collect(a->member(*keys.begin()), f.index, k, [&](const json* v) { put_json_text(v, c, o); });
}

// A list member's elements (ka.user.groups, ka.req.role.rules): each as text.
void elements(const EvalContext& c, Out* o, std::initializer_list<std::string_view> keys) {
  const AuditEvent* a = audit_of(c);
  if (a == nullptr) return;
  const json* v = a->get(keys);
  if (v == nullptr || !v->is_array()) return;
  for (const json& e : *v) put_json_text(&e, c, o);
}

// "repo/name:tag@sha256:..." -> "repo/name", as the plugin cuts it (at the first ':', then '@').
std::string_view image_repository(std::string_view image) {
  image = image.substr(0, image.find(':'));
  return image.substr(0, image.find('@'));
}

// Images of a container list; the plugin gives none when one container has no image.
void images(const ResolvedField& f, const EvalContext& c, Out* o, std::string_view list,
            bool repository) {
  const AuditEvent* a = audit_of(c);
  if (a == nullptr) return;
  const std::string_view keys[] = {"spec", list, "image"};
  bool complete = true;
  collect(a->request_object.get(), f.index, keys, [&](const json* v) {
    if (v == nullptr) complete = false;
  });
  if (!complete) return;
  collect(a->request_object.get(), f.index, keys, [&](const json* v) {
    std::string_view s;
    if (!json_text(*v, c, &s)) return;
    o->str(repository ? image_repository(s) : s);
  });
}

// hostPort of each port of each container (containerPort when there is none: with
// hostNetwork that is the host's port).
void host_ports(const ResolvedField& f, const EvalContext& c, Out* o, std::string_view list) {
  const AuditEvent* a = audit_of(c);
  if (a == nullptr) return;
  const std::string_view keys[] = {"spec", list, "ports"};
  collect(a->request_object.get(), f.index, keys, [&](const json* ports) {
    if (ports == nullptr || !ports->is_array()) return;
    for (const json& p : *ports) {
      const json* v = json_get(&p, {"hostPort"});
      if (v == nullptr) v = json_get(&p, {"containerPort"});
      put_json_text(v, c, o);
    }
  });
}

// runAsUser / runAsGroup each container starts with: its own, else the pod's, else 0.
void effective(const ResolvedField& f, const EvalContext& c, Out* o, std::string_view list,
               std::string_view key) {
  const AuditEvent* a = audit_of(c);
  if (a == nullptr) return;
  std::string_view pod = "0";
  if (const json* v = json_get(a->request_object.get(), {"spec", "securityContext", key}))
    json_text(*v, c, &pod);
  const std::string_view keys[] = {"spec", list, "securityContext", key};
  collect(a->request_object.get(), f.index, keys, [&](const json* v) {
    std::string_view s = pod;
    if (v != nullptr) json_text(*v, c, &s);
    o->str(s);
  });
}

// requestObject.rules[*].<key>: every element of every rule's list.
void role_rules(const ResolvedField& f, const EvalContext& c, Out* o, std::string_view key) {
  const AuditEvent* a = audit_of(c);
  if (a == nullptr) return;
  const std::string_view keys[] = {"rules", key};
  collect(a->request_object.get(), f.index, keys, [&](const json* v) {
    if (v == nullptr || !v->is_array()) return;
    for (const json& e : *v) put_json_text(&e, c, o);
  });
}

int hex(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// Query decoding as Go's url.ParseQuery: '+' is a space, %XX a byte.
void query_unescape(std::string_view s, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      *out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      *out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      *out += s[i];
    }
  }
}

// ka.uri.param[key]: the first value of `key` in the request URI's query.
bool uri_param(const ResolvedField& f, const EvalContext& c, std::string_view* out) {
  const AuditEvent* a = audit_of(c);
  if (a == nullptr) return false;
  const json* uri = a->get({"requestURI"});
  if (uri == nullptr || !uri->is_string()) return false;
  std::string_view u = uri->get_ref<const std::string&>();
  size_t q = u.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = u.substr(q + 1);
  query = query.substr(0, query.find('#'));
  std::string& key = c.scratch->buffer();
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    key.clear();
    query_unescape(pair.substr(0, eq), &key);
    if (key != f.key) continue;
    std::string& val = c.scratch->buffer();
    if (eq != std::string_view::npos) query_unescape(pair.substr(eq + 1), &val);
    *out = val;
    return true;
  }
  return false;
}

// A one-member field: the value at `keys` below the event.
#define KA_KEYS(...)                                                     \
  STR(const AuditEvent* a = audit_of(c); if (a == nullptr) return false; \
      return json_str(a->get({__VA_ARGS__}), c, out);)
// The same below requestObject.
#define KA_REQ(...)                                                      \
  STR(const AuditEvent* a = audit_of(c); if (a == nullptr) return false; \
      return json_str(json_get(a->request_object.get(), {__VA_ARGS__}), c, out);)
// A member AuditEvent::index() found.
#define KA_INDEXED(member)                                               \
  STR(const AuditEvent* a = audit_of(c); if (a == nullptr) return false; \
      return json_str(a->member, c, out);)
// A list field below requestObject.spec of each container of list L.
#define KA_CONTAINER_LIST(L, ...) \
  EXTRACT(values(f, c, o, {"requestObject", "spec", L, __VA_ARGS__});)

// The per-container fields of one container list (containers, initContainers,
// ephemeralContainers).
#define KA_CONTAINER_ROWS(L)                                                                   \
  {.name = "ka.req.pod." L ".name",                                                            \
   .type = T::kString,                                                                         \
   .arg = A::kIndexOptional,                                                                   \
   .extract = KA_CONTAINER_LIST(L, "name"),                                                    \
   .cost = {6},                                                                                \
   .list = true},                                                                              \
  {                                                                                            \
    .name = "ka.req.pod." L ".image", .type = T::kString, .arg = A::kIndexOptional,            \
    .extract = EXTRACT(images(f, c, o, L, false);), .cost = {6}, .list = true                  \
  }                                                                                            \
  , {                                                                                          \
    .name = "ka.req.pod." L ".image.repository", .type = T::kString, .arg = A::kIndexOptional, \
    .extract = EXTRACT(images(f, c, o, L, true);), .cost = {6}, .list = true                   \
  }                                                                                            \
  ,                                                                                            \
      {.name = "ka.req.pod." L ".command",                                                     \
       .type = T::kString,                                                                     \
       .arg = A::kIndexOptional,                                                               \
       .extract = KA_CONTAINER_LIST(L, "command"),                                             \
       .cost = {8},                                                                            \
       .list = true},                                                                          \
      {.name = "ka.req.pod." L ".args",                                                        \
       .type = T::kString,                                                                     \
       .arg = A::kIndexOptional,                                                               \
       .extract = KA_CONTAINER_LIST(L, "args"),                                                \
       .cost = {8},                                                                            \
       .list = true},                                                                          \
      {.name = "ka.req.pod." L ".privileged",                                                  \
       .type = T::kString,                                                                     \
       .arg = A::kIndexOptional,                                                               \
       .extract = KA_CONTAINER_LIST(L, "securityContext", "privileged"),                       \
       .cost = {6},                                                                            \
       .list = true},                                                                          \
      {.name = "ka.req.pod." L ".allow_privilege_escalation",                                  \
       .type = T::kString,                                                                     \
       .arg = A::kIndexOptional,                                                               \
       .extract = KA_CONTAINER_LIST(L, "securityContext", "allowPrivilegeEscalation"),         \
       .cost = {6},                                                                            \
       .list = true},                                                                          \
      {.name = "ka.req.pod." L ".read_only_fs",                                                \
       .type = T::kString,                                                                     \
       .arg = A::kIndexOptional,                                                               \
       .extract = KA_CONTAINER_LIST(L, "securityContext", "readOnlyRootFilesystem"),           \
       .cost = {6},                                                                            \
       .list = true},                                                                          \
      {.name = "ka.req.pod." L ".run_as_user",                                                 \
       .type = T::kString,                                                                     \
       .arg = A::kIndexOptional,                                                               \
       .extract = KA_CONTAINER_LIST(L, "securityContext", "runAsUser"),                        \
       .cost = {6},                                                                            \
       .list = true},                                                                          \
  {                                                                                            \
    .name = "ka.req.pod." L ".eff_run_as_user", .type = T::kString, .arg = A::kIndexOptional,  \
    .extract = EXTRACT(effective(f, c, o, L, "runAsUser");), .cost = {8}, .list = true         \
  }                                                                                            \
  ,                                                                                            \
      {.name = "ka.req.pod." L ".run_as_group",                                                \
       .type = T::kString,                                                                     \
       .arg = A::kIndexOptional,                                                               \
       .extract = KA_CONTAINER_LIST(L, "securityContext", "runAsGroup"),                       \
       .cost = {6},                                                                            \
       .list = true},                                                                          \
  {                                                                                            \
    .name = "ka.req.pod." L ".eff_run_as_group", .type = T::kString, .arg = A::kIndexOptional, \
    .extract = EXTRACT(effective(f, c, o, L, "runAsGroup");), .cost = {8}, .list = true        \
  }                                                                                            \
  ,                                                                                            \
      {.name = "ka.req.pod." L ".proc_mount",                                                  \
       .type = T::kString,                                                                     \
       .arg = A::kIndexOptional,                                                               \
       .extract = KA_CONTAINER_LIST(L, "securityContext", "procMount"),                        \
       .cost = {6},                                                                            \
       .list = true},                                                                          \
      {.name = "ka.req.pod." L ".add_capabilities",                                            \
       .type = T::kString,                                                                     \
       .arg = A::kIndexOptional,                                                               \
       .extract = KA_CONTAINER_LIST(L, "securityContext", "capabilities", "add"),              \
       .cost = {8},                                                                            \
       .list = true},                                                                          \
  {                                                                                            \
    .name = "ka.req.pod." L ".host_port", .type = T::kString, .arg = A::kIndexOptional,        \
    .extract = EXTRACT(host_ports(f, c, o, L);), .cost = {8}, .list = true                     \
  }

// clang-format off
constexpr FieldDef kRows[] = {
    {.name = "ka.auditid", .type = T::kString, .str = KA_INDEXED(audit_id), .cost = {2}},
    {.name = "ka.stage", .type = T::kString, .str = KA_INDEXED(stage), .cost = {2}},
    {.name = "ka.auth.decision", .type = T::kString,
     .str = KA_KEYS("annotations", "authorization.k8s.io/decision"), .cost = {4}},
    {.name = "ka.auth.reason", .type = T::kString,
     .str = KA_KEYS("annotations", "authorization.k8s.io/reason"), .cost = {4}},
    {.name = "ka.user.name", .type = T::kString, .str = KA_INDEXED(user_name), .cost = {2}},
    {.name = "ka.user.groups", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(elements(c, o, {"user", "groups"});), .cost = {6}, .list = true},
    {.name = "ka.impuser.name", .type = T::kString,
     .str = KA_KEYS("impersonatedUser", "username"), .cost = {4}},
    {.name = "ka.verb", .type = T::kString, .str = KA_INDEXED(verb), .cost = {2}},
    {.name = "ka.uri", .type = T::kString, .str = KA_KEYS("requestURI"), .cost = {3}},
    {.name = "ka.uri.param", .type = T::kString, .arg = A::kKeyRequired,
     .str = STR(return uri_param(f, c, out);), .cost = {10}},
    {.name = "ka.target.name", .type = T::kString, .str = KA_INDEXED(name), .cost = {2}},
    {.name = "ka.target.namespace", .type = T::kString, .str = KA_INDEXED(ns), .cost = {2}},
    {.name = "ka.target.resource", .type = T::kString, .str = KA_INDEXED(resource), .cost = {2}},
    {.name = "ka.target.subresource", .type = T::kString, .str = KA_INDEXED(subresource),
     .cost = {2}},
    {.name = "ka.req.binding.subjects", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(elements(c, o, {"requestObject", "subjects"});), .cost = {8},
     .list = true},
    {.name = "ka.req.binding.role", .type = T::kString, .str = KA_REQ("roleRef", "name"),
     .cost = {4}},
    {.name = "ka.req.binding.subject.has_name", .type = T::kString, .arg = A::kKeyRequired,
     // Deprecated; the plugin answers "true" whatever the argument.
     .str = STR(if (audit_of(c) == nullptr) return false; *out = "true"; return true;),
     .cost = {1}},
    {.name = "ka.req.configmap.name", .type = T::kString, .str = KA_INDEXED(name), .cost = {2}},
    {.name = "ka.req.configmap.obj", .type = T::kString, .str = KA_REQ("data"), .cost = {12}},
    KA_CONTAINER_ROWS("containers"),
    {.name = "ka.req.container.image", .type = T::kString,
     .extract = EXTRACT(ResolvedField g = f; g.index = 0; images(g, c, o, "containers", false);),
     .cost = {6}},
    {.name = "ka.req.container.image.repository", .type = T::kString,
     .extract = EXTRACT(ResolvedField g = f; g.index = 0; images(g, c, o, "containers", true);),
     .cost = {6}},
    {.name = "ka.req.pod.host_ipc", .type = T::kString, .str = KA_REQ("spec", "hostIPC"),
     .cost = {4}},
    {.name = "ka.req.pod.host_network", .type = T::kString,
     .str = KA_REQ("spec", "hostNetwork"), .cost = {4}},
    {.name = "ka.req.container.host_network", .type = T::kString,
     .str = KA_REQ("spec", "hostNetwork"), .cost = {4}},
    {.name = "ka.req.pod.host_pid", .type = T::kString, .str = KA_REQ("spec", "hostPID"),
     .cost = {4}},
    {.name = "ka.req.container.privileged", .type = T::kString,
     // "true" when any container is privileged, else "false".
     .extract = EXTRACT(
         const AuditEvent* a = audit_of(c); if (a == nullptr) return; bool any = false;
         const std::string_view keys[] = {"spec", "containers", "securityContext", "privileged"};
         if (!collect(a->request_object.get(), -1, keys, [&](const json* v) {
               if (v != nullptr && v->is_boolean() && v->get<bool>()) any = true;
             })) return;
         o->str(any ? "true" : "false");),
     .cost = {6}},
    {.name = "ka.req.pod.run_as_user", .type = T::kString,
     .str = KA_REQ("spec", "securityContext", "runAsUser"), .cost = {4}},
    {.name = "ka.req.pod.run_as_group", .type = T::kString,
     .str = KA_REQ("spec", "securityContext", "runAsGroup"), .cost = {4}},
    {.name = "ka.req.role.rules", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(elements(c, o, {"requestObject", "rules"});), .cost = {12},
     .list = true},
    {.name = "ka.req.role.rules.apiGroups", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(role_rules(f, c, o, "apiGroups");), .cost = {6}, .list = true},
    {.name = "ka.req.role.rules.nonResourceURLs", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(role_rules(f, c, o, "nonResourceURLs");), .cost = {6}, .list = true},
    {.name = "ka.req.role.rules.verbs", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(role_rules(f, c, o, "verbs");), .cost = {6}, .list = true},
    {.name = "ka.req.role.rules.resources", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(role_rules(f, c, o, "resources");), .cost = {6}, .list = true},
    {.name = "ka.req.pod.fs_group", .type = T::kString,
     .str = KA_REQ("spec", "securityContext", "fsGroup"), .cost = {4}},
    {.name = "ka.req.pod.supplemental_groups", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(elements(c, o, {"requestObject", "spec", "securityContext",
                                        "supplementalGroups"});),
     .cost = {6}, .list = true},
    {.name = "ka.req.service.type", .type = T::kString, .str = KA_REQ("spec", "type"),
     .cost = {4}},
    {.name = "ka.req.service.ports", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(values(f, c, o, {"requestObject", "spec", "ports", ""});), .cost = {8},
     .list = true},
    {.name = "ka.req.pod.volumes.hostpath", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(values(f, c, o, {"requestObject", "spec", "volumes", "hostPath",
                                         "path"});),
     .cost = {6}, .list = true},
    {.name = "ka.req.volume.hostpath", .type = T::kString, .arg = A::kKeyRequired,
     // "true" when a hostPath volume is the argument (a prefix of it when it ends with '*').
     .extract = EXTRACT(
         const AuditEvent* a = audit_of(c); if (a == nullptr) return; bool hit = false;
         std::string_view want = f.key; bool prefix = !want.empty() && want.back() == '*';
         if (prefix) want.remove_suffix(1);
         const std::string_view keys[] = {"spec", "volumes", "hostPath", "path"};
         if (!collect(a->request_object.get(), -1, keys, [&](const json* v) {
               if (v == nullptr || !v->is_string()) return;
               std::string_view path = v->get_ref<const std::string&>();
               if (prefix ? path.substr(0, want.size()) == want : path == f.key) hit = true;
             })) return;
         o->str(hit ? "true" : "false");),
     .cost = {8}},
    {.name = "ka.req.pod.volumes.flexvolume_driver", .type = T::kString,
     .arg = A::kIndexOptional,
     .extract = EXTRACT(values(f, c, o, {"requestObject", "spec", "volumes", "flexVolume",
                                         "driver"});),
     .cost = {6}, .list = true},
    {.name = "ka.req.pod.volumes.volume_type", .type = T::kString, .arg = A::kIndexOptional,
     // The kind of each volume: its members other than "name" (hostPath, secret, ...).
     .extract = EXTRACT(
         const AuditEvent* a = audit_of(c); if (a == nullptr) return;
         const std::string_view keys[] = {"spec", "volumes", ""};
         collect(a->request_object.get(), f.index, keys, [&](const json* v) {
           if (v == nullptr || !v->is_object()) return;
           for (auto it = v->begin(); it != v->end(); ++it)
             if (it.key() != "name") o->str(it.key());
         });),
     .cost = {8}, .list = true},
    {.name = "ka.resp.name", .type = T::kString, .str = KA_KEYS("responseObject", "metadata",
                                                                "name"),
     .cost = {4}},
    {.name = "ka.response.code", .type = T::kString, .str = KA_KEYS("responseStatus", "code"),
     .cost = {4}},
    {.name = "ka.response.reason", .type = T::kString,
     .str = KA_KEYS("responseStatus", "reason"), .cost = {4}},
    {.name = "ka.useragent", .type = T::kString, .str = KA_KEYS("userAgent"), .cost = {3}},
    {.name = "ka.sourceips", .type = T::kString, .arg = A::kIndexOptional,
     .extract = EXTRACT(values(f, c, o, {"sourceIPs"});), .cost = {4}, .list = true},
    {.name = "ka.cluster.name", .type = T::kString,
     .str = STR(const AuditEvent* a = audit_of(c);
                if (a == nullptr || a->cluster_name.empty()) return false;
                *out = a->cluster_name; return true;),
     .cost = {1}},
    KA_CONTAINER_ROWS("initContainers"),
    KA_CONTAINER_ROWS("ephemeralContainers"),
};
// clang-format on

}  // namespace

bool json_text(const json& v, const EvalContext& c, std::string_view* out) {
  if (v.is_string()) {
    *out = v.get_ref<const std::string&>();
    return true;
  }
  if (v.is_boolean()) {
    *out = v.get<bool>() ? "true" : "false";
    return true;
  }
  if (v.is_structured()) {
    if (const AuditEvent* a = audit_of(c)) {
      // Rendered once per event: Falco's rules test ka.req.configmap.obj with a dozen
      // `contains`, each of which would render the object again.
      *out = a->rendered(v);
      return true;
    }
  }
  std::string& b = c.scratch->buffer();
  if (v.is_number_integer() || v.is_number_unsigned()) {
    char tmp[24];
    auto r = v.is_number_unsigned() ? std::to_chars(tmp, tmp + sizeof tmp, v.get<uint64_t>())
                                    : std::to_chars(tmp, tmp + sizeof tmp, v.get<int64_t>());
    b.assign(tmp, r.ptr);
  } else {
    b = v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  *out = b;
  return true;
}

std::span<const FieldDef> k8saudit_fields() { return kRows; }

}  // namespace riposte::detector::rules
