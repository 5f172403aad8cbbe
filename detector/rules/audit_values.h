// What the k8s_audit field families (field_k8saudit.cpp, field_json.cpp) share: reading JSON
// values out of the event's audit event as the k8saudit and json plugins render them.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "detector/event/audit_event.h"
#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

// A JSON value as text, as the plugins give it: a string as itself, anything else as compact
// JSON (true, 42, {"a":1}). Built values live in the scratch space.
bool json_text(const nlohmann::json& v, const EvalContext& c, std::string_view* out);

inline void put_json_text(const nlohmann::json* v, const EvalContext& c, Out* o) {
  std::string_view s;
  if (v != nullptr && json_text(*v, c, &s)) o->str(s);
}

// The event's audit event; null for syscall events (a k8s_audit field never sees one, the
// loader keeps them apart, but a caller may still evaluate anything).
inline const AuditEvent* audit_of(const EvalContext& c) { return c.ev->audit; }

}  // namespace riposte::detector::rules
