// The field catalogue's rows and what the rows are written with (internal to riposte_rules).
//
// Every field is one FieldDef row in its family's table (field_evt.cpp, field_proc.cpp,
// field_user.cpp, field_fd.cpp, field_container.cpp, field_k8s.cpp; for k8s_audit rules
// field_k8saudit.cpp and field_json.cpp): name, type, argument,
// extractor, optional fast getter, cost and class. A field with a fast getter has no separate
// extractor: extract_field() emits the getter's value, so the two paths cannot drift. Only
// fields that can yield several values (proc.aname without an index) carry both, the extractor
// serving the multi-valued form and the getter the indexed one.
//
// The helpers below are inline: the fast getters run for every check of every event, and
// live in other translation units than the helpers' users.
#pragma once

#include <fcntl.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "detector/rules/fields.h"

namespace riposte::detector::rules {

// Where extractors write their values: at most `cap`, each typed as the field.
struct Out {
  FieldValue* v;
  size_t cap;
  size_t n = 0;
  FieldType type;
  bool full() const { return n >= cap; }
  // Only the member the value's type reads is written (readers switch on the type).
  void str(std::string_view s) {
    if (full()) return;
    FieldValue& x = v[n++];
    x.type = type;
    x.str = s;
  }
  void num(int64_t i) {
    if (full()) return;
    FieldValue& x = v[n++];
    x.type = type;
    x.num = i;
  }
  void boolean(bool b) {
    if (full()) return;
    FieldValue& x = v[n++];
    x.type = type;
    x.flag = b;
  }
  void ip(const IpAddr& a) {
    if (full() || a.family == 0) return;
    FieldValue& x = v[n++];
    x.type = type;
    x.ip = a;
  }
};

// What may follow a field's name in brackets.
enum class ArgMode : uint8_t {
  kNone,
  kIndexOptional,  // [n]; without it every value (multi-valued: proc.aname = any ancestor)
  kIndexOrJoined,  // [n]; without it all values joined into one (proc.args)
  kKeyRequired,    // [key]
  kKeyOptional,    // [key] or nothing (proc.env)
  kParam,          // [name] of an event parameter (evt.arg)
  kRawParam,       // the same, numbers kept as numbers (evt.rawarg)
};

using Extractor = void (*)(const ResolvedField&, const EvalContext&, Out*);

// Relative cost (field_cost): `base` with an index or key (plus `per_index` for each level of
// an ancestor index, up to 8), `bare` without either (the whole list, every ancestor).
struct Cost {
  uint8_t base;
  uint8_t per_index = 0;
  uint8_t bare = 0;  // 0 = same as base
};

struct FieldDef {
  std::string_view name;
  FieldType type;
  ArgMode arg = ArgMode::kNone;
  bool dotted = false;          // "name.key" accepted as well as "name[key]"
  Extractor extract = nullptr;  // null: the fast getter serves the field
  StrGetter str = nullptr;      // fast getter of string fields
  NumGetter num = nullptr;      // fast getter of numbers, ports, times and booleans (0/1)
  Cost cost{10};
  FieldClass cls = FieldClass::kIdentity;
  // The values are a socket's two ends (fd.ip, fd.net, fd.port): `!=` holds only when both
  // differ, as in libsinsp (`=` when either matches).
  bool both_ends = false;
  // A list (k8s_audit's list fields): an output shows every value, "(a,b)", as libsinsp does.
  bool list = false;
  // Why riposte's sensor never fills this field ("DNS names are not tracked"); empty when it
  // does. A rule reading it loads, with a LOAD_UNFILLED_FIELD warning where asked for
  // (LoadOptions::warn_unfilled_fields).
  std::string_view unfilled{};
};

// The families' tables, in catalogue order (known_field_names lists them in this order).
std::span<const FieldDef> evt_fields();
std::span<const FieldDef> proc_fields();
std::span<const FieldDef> user_fields();
std::span<const FieldDef> fd_fields();
std::span<const FieldDef> container_fields();
std::span<const FieldDef> k8s_fields();
std::span<const FieldDef> k8saudit_fields();  // ka.* (field_k8saudit.cpp)
std::span<const FieldDef> json_fields();      // jevt.*, json.* (field_json.cpp)

// Rows are written as `{.name = "proc.name", .type = kStr, .str = STR(...), ...}`; the bodies
// see the field `f`, the context `c` and the event's process `p`, and STR/NUM bodies write
// `*out` and return whether the field has a value.
#define RIPOSTE_FIELD_PROLOGUE       \
  (void)f;                           \
  const ProcessInfo* p = c.ev->proc; \
  (void)p;
#define EXTRACT(...)                                         \
  [](const ResolvedField& f, const EvalContext& c, Out* o) { \
    RIPOSTE_FIELD_PROLOGUE                                   \
    __VA_ARGS__                                              \
  }
#define STR(...)                                                                    \
  [](const ResolvedField& f, const EvalContext& c, std::string_view* out) -> bool { \
    RIPOSTE_FIELD_PROLOGUE                                                          \
    __VA_ARGS__                                                                     \
  }
#define NUM(...)                                                           \
  [](const ResolvedField& f, const EvalContext& c, int64_t* out) -> bool { \
    RIPOSTE_FIELD_PROLOGUE                                                 \
    __VA_ARGS__                                                            \
  }

// ---- helpers shared by the families

inline bool is_open_family(EventType t) {
  return t == EventType::kOpen || t == EventType::kOpenat || t == EventType::kOpenat2 ||
         t == EventType::kCreat || t == EventType::kOpenByHandleAt;
}

inline const ProcessInfo* find_proc(const EvalContext& c, int64_t pid) {
  if (c.ev->procs == nullptr || pid <= 0) return nullptr;
  return c.ev->procs->find(pid);
}

inline const ProcessInfo* parent_of(const EvalContext& c, const ProcessInfo* p) {
  if (p == nullptr || p->ppid <= 0 || p->ppid == p->pid) return nullptr;
  return find_proc(c, p->ppid);
}

// The event's process (n = 0), its parent (1), ...: looked up once per event and kept in the
// scratch space.
inline const ProcessInfo* ancestor(const EvalContext& c, int64_t n) {
  EvalScratch& s = *c.scratch;
  if (n < 0 || static_cast<size_t>(n) >= EvalScratch::kMaxAncestors) return nullptr;
  if (s.anc_known_ == 0) {
    s.anc_[0] = c.ev->proc;
    s.anc_known_ = 1;
    s.anc_end_ = c.ev->proc == nullptr;
  }
  while (s.anc_known_ <= static_cast<size_t>(n)) {
    if (s.anc_end_) return nullptr;
    const ProcessInfo* p = parent_of(c, s.anc_[s.anc_known_ - 1]);
    if (p == nullptr) {
      s.anc_end_ = true;
      return nullptr;
    }
    s.anc_[s.anc_known_++] = p;
  }
  return s.anc_[n];
}

// The parent of the event's process (cached).
inline const ProcessInfo* parent(const EvalContext& c) { return ancestor(c, 1); }

inline const ContainerInfo* container_of(const EvalContext& c) {
  return c.ev->proc != nullptr ? c.ev->proc->container.get() : nullptr;
}

inline const PodInfo* pod_of(const EvalContext& c) {
  const ContainerInfo* ci = container_of(c);
  return ci != nullptr ? ci->pod.get() : nullptr;
}

// The fd the event is about; for failed opens without an fd, the path from the arguments.
struct FdView {
  bool present = false;
  const FdInfo* fd = nullptr;
  std::string_view name;
  FdType type = FdType::kUnknown;
  int64_t num = -1;
};

inline FdView fd_view(const EvalContext& c) {
  FdView v;
  const Event& ev = *c.ev;
  if (ev.fd != nullptr) {
    v.present = true;
    v.fd = ev.fd;
    v.name = ev.fd->name;
    v.type = ev.fd->type;
    v.num = ev.fd->num;
    return v;
  }
  if (is_open_family(ev.type) && !ev.args.path.empty()) {
    v.present = true;
    v.name = ev.args.path;
    v.type = (ev.args.flags & O_DIRECTORY) ? FdType::kDirectory : FdType::kFile;
    v.num = ev.res >= 0 ? ev.res : -1;
  }
  return v;
}

inline bool is_socket(FdType t) { return t == FdType::kIpv4 || t == FdType::kIpv6; }

// The open flags of an open-family event (creat implies O_CREAT|O_WRONLY|O_TRUNC).
inline bool open_flags(const Event& ev, uint32_t* flags) {
  if (!is_open_family(ev.type)) return false;
  *flags = ev.fd != nullptr && ev.fd->open_flags != 0 ? ev.fd->open_flags : ev.args.flags;
  if (ev.type == EventType::kCreat) *flags |= O_CREAT | O_WRONLY | O_TRUNC;
  return true;
}

void append_int(int64_t v, std::string* out);
void append_uint(uint64_t v, std::string* out);

}  // namespace riposte::detector::rules
