// The field catalogue's entry points (fields.h) over the families' tables (field_table.h):
// name resolution, extraction, fast getters, cost and class, each read from the field's row.
#include "detector/rules/fields.h"

#include <array>
#include <cctype>
#include <charconv>

#include "detector/rules/event_args.h"
#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

namespace {

constexpr std::array kFamilies = {evt_fields,       proc_fields, user_fields,     fd_fields,
                                  container_fields, k8s_fields,  k8saudit_fields, json_fields};

// The evt.* fields an event of another source has too (Falco's plugin events: number, time,
// host, source).
bool generic_evt_field(std::string_view name) {
  for (std::string_view n :
       {"evt.num", "evt.time", "evt.time.s", "evt.datetime", "evt.rawtime", "evt.rawtime.s",
        "evt.rawtime.ns", "evt.hostname", "evt.source", "evt.is_async"})
    if (n == name) return true;
  return false;
}

bool in_family(const FieldDef* d, std::span<const FieldDef> family) {
  return !family.empty() && d >= family.data() && d < family.data() + family.size();
}

template <typename Fn>
void for_each_def(Fn&& fn) {
  for (auto family : kFamilies)
    for (const FieldDef& d : family()) fn(d);
}

const FieldDef* find_def(std::string_view name) {
  for (auto family : kFamilies)
    for (const FieldDef& d : family())
      if (d.name == name) return &d;
  return nullptr;
}

}  // namespace

bool is_numeric(FieldType t) {
  return t == FieldType::kInt || t == FieldType::kPort || t == FieldType::kAbsTime ||
         t == FieldType::kRelTime;
}

std::optional<RuleSource> parse_rule_source(std::string_view name) {
  if (name == "syscall") return RuleSource::kSyscall;
  if (name == "k8s_audit") return RuleSource::kK8sAudit;
  return std::nullopt;
}

bool field_in_source(const ResolvedField& f, RuleSource src, std::string* error) {
  const bool audit_field = in_family(f.def, k8saudit_fields()) || in_family(f.def, json_fields());
  bool ok;
  if (src == RuleSource::kK8sAudit)
    ok = audit_field || (in_family(f.def, evt_fields()) && generic_evt_field(f.def->name));
  else
    ok = !audit_field;
  if (!ok)
    *error = "unknown field '" + f.name + "' for source '" +
             (src == RuleSource::kK8sAudit ? "k8s_audit" : "syscall") + "'";
  return ok;
}

bool resolve_field(std::string_view name, std::string_view arg, bool has_arg, ResolvedField* out,
                   std::string* error) {
  const FieldDef* def = find_def(name);
  std::string key;
  bool dotted_key = false;
  if (def == nullptr) {
    // "k8s.pod.label.app" / "evt.arg.flags": longest dotted prefix accepting a key.
    for (size_t dot = name.rfind('.'); dot != std::string_view::npos && dot > 0;
         dot = name.rfind('.', dot - 1)) {
      const FieldDef* d = find_def(name.substr(0, dot));
      if (d != nullptr && d->dotted) {
        def = d;
        key = std::string(name.substr(dot + 1));
        dotted_key = true;
        break;
      }
      if (dot == 0) break;
    }
    if (def == nullptr) {
      *error = "unknown field '" + std::string(name) + "'";
      return false;
    }
    if (has_arg) {
      *error = "field '" + std::string(name) + "' cannot take both a .key and a [argument]";
      return false;
    }
  }
  ResolvedField r;
  r.def = def;
  r.type = def->type;
  r.name = std::string(def->name);
  if (has_arg) key = std::string(arg);
  bool have_key = has_arg || dotted_key;
  switch (def->arg) {
    case ArgMode::kNone:
      if (have_key) {
        *error = "field '" + std::string(def->name) + "' does not take an argument";
        return false;
      }
      break;
    case ArgMode::kIndexOptional:
    case ArgMode::kIndexOrJoined:
      if (have_key) {
        int64_t idx = -1;
        auto res = std::from_chars(key.data(), key.data() + key.size(), idx);
        if (res.ec != std::errc() || res.ptr != key.data() + key.size() || idx < 0) {
          *error = "field '" + std::string(def->name) + "' needs a numeric argument, got '" +
                   key + "'";
          return false;
        }
        r.index = idx;
      } else {
        r.multi = def->arg == ArgMode::kIndexOptional;
      }
      break;
    case ArgMode::kKeyRequired:
    case ArgMode::kParam:
    case ArgMode::kRawParam:
      if (!have_key || key.empty()) {
        *error = "field '" + std::string(def->name) + "' requires an argument";
        return false;
      }
      break;
    case ArgMode::kKeyOptional:
      break;
  }
  r.key = key;
  if (have_key) {
    r.name += dotted_key ? "." + key : "[" + key + "]";
  }
  if (def->arg == ArgMode::kParam || def->arg == ArgMode::kRawParam) {
    r.sub = arg_id(key);
    if (def->arg == ArgMode::kRawParam && arg_is_numeric(r.sub)) r.type = FieldType::kInt;
  }
  *out = std::move(r);
  return true;
}

bool resolve_field_prefix(std::string_view text, ResolvedField* out, size_t* consumed,
                          std::string* error) {
  // Field name chars: [A-Za-z0-9_.]; try the longest catalogue name that is a prefix and ends
  // at a segment boundary.
  size_t end = 0;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                               text[end] == '_' || text[end] == '.'))
    ++end;
  while (end > 0 && text[end - 1] == '.') --end;
  std::string_view word = text.substr(0, end);
  const FieldDef* best = nullptr;
  for_each_def([&](const FieldDef& d) {
    if (word.substr(0, d.name.size()) != d.name) return;
    if (word.size() > d.name.size() && word[d.name.size()] != '.') return;
    if (best == nullptr || d.name.size() > best->name.size()) best = &d;
  });
  if (best == nullptr) {
    *error = "unknown field '" + std::string(word) + "'";
    return false;
  }
  size_t pos = best->name.size();
  std::string_view name = best->name;
  std::string_view arg;
  bool has_arg = false;
  if (pos < text.size() && text[pos] == '[' && best->arg != ArgMode::kNone) {
    size_t close = text.find(']', pos);
    if (close == std::string_view::npos) {
      *error = "missing ']' after field '" + std::string(best->name) + "'";
      return false;
    }
    arg = text.substr(pos + 1, close - pos - 1);
    has_arg = true;
    pos = close + 1;
  } else if (pos < word.size() && best->dotted) {
    name = word;  // dotted key form
    pos = word.size();
  } else if (pos < word.size()) {
    // e.g. "proc.name.foo": the catalogue field ends at a '.', the rest is literal text.
  }
  if (!resolve_field(name, arg, has_arg, out, error)) return false;
  *consumed = pos;
  return true;
}

std::optional<UnfilledField> field_unfilled(std::string_view name) {
  ResolvedField rf;
  size_t consumed = 0;
  std::string err;
  if (!resolve_field_prefix(name, &rf, &consumed, &err) || rf.def == nullptr ||
      rf.def->unfilled.empty()) {
    return std::nullopt;
  }
  return UnfilledField{rf.def->name, rf.def->unfilled};
}

size_t extract_field(const ResolvedField& f, const EvalContext& c, FieldValue* vals, size_t cap) {
  const FieldDef& d = *f.def;
  Out o{vals, cap, 0, f.type};
  // The multi-valued form of a field (proc.aname without an index) has its own extractor;
  // every other form with a fast getter is served by it.
  if (d.extract != nullptr && (f.multi || (d.str == nullptr && d.num == nullptr))) {
    d.extract(f, c, &o);
  } else if (d.str != nullptr) {
    std::string_view s;
    if (d.str(f, c, &s)) o.str(s);
  } else {
    int64_t n;
    if (d.num(f, c, &n)) {
      if (f.type == FieldType::kBool) {
        o.boolean(n != 0);
      } else {
        o.num(n);
      }
    }
  }
  return o.n;
}

StrGetter fast_str_getter(const ResolvedField& f) { return f.multi ? nullptr : f.def->str; }

NumGetter fast_num_getter(const ResolvedField& f) { return f.multi ? nullptr : f.def->num; }

FieldClass field_class(const ResolvedField& f) { return f.def->cls; }

bool renders_as_list(const ResolvedField& f) { return f.def->list && f.multi; }

bool ne_needs_every_value(const ResolvedField& f) { return f.def->both_ends; }

int field_cost(const ResolvedField& f) {
  const Cost& k = f.def->cost;
  if (f.index >= 0) return k.base + k.per_index * static_cast<int>(std::min<int64_t>(f.index, 8));
  if (!f.key.empty() || k.bare == 0) return k.base;
  return k.bare;
}

void append_value_text(const FieldValue& v, std::string* out) {
  switch (v.type) {
    case FieldType::kString:
    case FieldType::kBytes:
      *out += v.str;
      return;
    case FieldType::kBool:
      *out += v.flag ? "true" : "false";
      return;
    case FieldType::kIp:
    case FieldType::kIpNet:
      format_ip(v.ip, out);
      return;
    case FieldType::kAbsTime:
    case FieldType::kInt:
    case FieldType::kPort:
    case FieldType::kRelTime:
      append_int(v.num, out);
      return;
  }
}

std::vector<std::string_view> known_field_names() {
  std::vector<std::string_view> v;
  for_each_def([&](const FieldDef& d) { v.push_back(d.name); });
  return v;
}

}  // namespace riposte::detector::rules
