// The jevt.* and json.* fields of k8s_audit rules (falcosecurity/plugins' json plugin, which
// Falco loads beside k8saudit; jevt.* are its older names): any member of the audit event by
// JSON pointer, the whole event, its time.
#include <charconv>

#include "detector/rules/audit_values.h"

namespace riposte::detector::rules {

namespace {

using T = FieldType;
using A = ArgMode;
using nlohmann::json;

// RFC 6901: "/a/b/0" from the event; "~1" is '/', "~0" is '~'. Null when a step is missing.
// The first step goes through AuditEvent::member, which parses a deferred member.
const json* json_pointer(const AuditEvent& a, std::string_view ptr, std::string* tmp) {
  const json* v = &a.doc;
  if (ptr.empty()) return &a.full();
  if (ptr[0] != '/') return nullptr;
  while (!ptr.empty()) {
    ptr.remove_prefix(1);
    size_t slash = ptr.find('/');
    std::string_view tok = ptr.substr(0, slash);
    ptr = slash == std::string_view::npos ? std::string_view() : ptr.substr(slash);
    if (tok.find('~') != std::string_view::npos) {
      tmp->clear();
      for (size_t i = 0; i < tok.size(); ++i) {
        if (tok[i] == '~' && i + 1 < tok.size() && (tok[i + 1] == '0' || tok[i + 1] == '1')) {
          *tmp += tok[i + 1] == '0' ? '~' : '/';
          ++i;
        } else {
          *tmp += tok[i];
        }
      }
      tok = *tmp;
    }
    if (v == &a.doc && v->is_object()) {
      v = a.member(tok);
      if (v == nullptr) return nullptr;
    } else if (v->is_object()) {
      auto it = v->find(tok);
      if (it == v->end()) return nullptr;
      v = &*it;
    } else if (v->is_array()) {
      size_t i = 0;
      auto r = std::from_chars(tok.data(), tok.data() + tok.size(), i);
      if (r.ec != std::errc() || r.ptr != tok.data() + tok.size() || i >= v->size()) return nullptr;
      v = &(*v)[i];
    } else {
      return nullptr;
    }
  }
  return v;
}

bool value_at(const ResolvedField& f, const EvalContext& c, std::string_view* out) {
  const AuditEvent* a = audit_of(c);
  if (a == nullptr) return false;
  // /stage is in nearly every rule (the kevt macro); index() found it already.
  const json* v = f.key == "/stage" ? a->stage : json_pointer(*a, f.key, &c.scratch->buffer());
  return v != nullptr && json_text(*v, c, out);
}

bool whole(const EvalContext& c, std::string_view* out) {
  const AuditEvent* a = audit_of(c);
  return a != nullptr && json_text(a->full(), c, out);
}

bool rawtime(const EvalContext& c, std::string_view* out) {
  if (audit_of(c) == nullptr) return false;
  std::string& b = c.scratch->buffer();
  append_uint(c.ev->ts_ns, &b);
  *out = b;
  return true;
}

// The json plugin's fields under its two prefixes (jevt.* are the older names, which Falco's
// k8s_audit rules use).
#define JSON_ROWS(P)                                                                             \
  {                                                                                              \
    .name = P ".value", .type = T::kString, .arg = A::kKeyRequired,                              \
    .str = STR(return value_at(f, c, out);), .cost = {                                           \
      4                                                                                          \
    }                                                                                            \
  }                                                                                              \
  , {                                                                                            \
    .name = P ".obj", .type = T::kString, .str = STR(return whole(c, out);), .cost = { 40 }      \
  }                                                                                              \
  , {                                                                                            \
    .name = P ".rawtime", .type = T::kString, .str = STR(return rawtime(c, out);), .cost = { 3 } \
  }

// clang-format off
constexpr FieldDef kRows[] = {JSON_ROWS("json"), JSON_ROWS("jevt")};
// clang-format on

}  // namespace

std::span<const FieldDef> json_fields() { return kRows; }

}  // namespace riposte::detector::rules
