#include "audit/event_list.h"

#include <algorithm>
#include <array>
#include <memory>

#include "detector/event/json_scan.h"

namespace riposte::audit {

namespace {

using detector::JsonScanner;
using nlohmann::json;

// The members of an audit.k8s.io/v1 Event.
constexpr std::array<std::string_view, 19> kEventMembers = {"kind",
                                                            "apiVersion",
                                                            "level",
                                                            "auditID",
                                                            "stage",
                                                            "requestURI",
                                                            "verb",
                                                            "user",
                                                            "impersonatedUser",
                                                            "sourceIPs",
                                                            "userAgent",
                                                            "objectRef",
                                                            "responseStatus",
                                                            "requestObject",
                                                            "responseObject",
                                                            "requestReceivedTimestamp",
                                                            "stageTimestamp",
                                                            "annotations",
                                                            "metadata"};

// The deepest nesting of arrays and objects, found without parsing (strings skipped), so a
// hostile body cannot make the parser recurse or allocate per level without bound.
size_t nesting_depth(std::string_view s, size_t stop_at) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > stop_at) return deepest;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// Bytes of strings, member names and numbers below v, counted without recursion.
size_t approx_bytes(const json& v, size_t stop_at) {
  size_t n = 0;
  std::vector<const json*> todo{&v};
  while (!todo.empty() && n <= stop_at) {
    const json* x = todo.back();
    todo.pop_back();
    if (x->is_string()) {
      n += x->get_ref<const std::string&>().size() + 2;
    } else if (x->is_object()) {
      for (auto it = x->begin(); it != x->end(); ++it) {
        n += it.key().size() + 4;
        todo.push_back(&it.value());
      }
    } else if (x->is_array()) {
      for (const json& e : *x) todo.push_back(&e);
    } else {
      n += 8;
    }
  }
  return n;
}

bool is_string_member(const json& e, const char* key) {
  auto it = e.find(key);
  return it != e.end() && it->is_string();
}

bool known_member(std::string_view key) {
  return std::find(kEventMembers.begin(), kEventMembers.end(), key) != kEventMembers.end();
}

std::string unknown_detail(const json& audit_id, std::string_view member) {
  return "event " + audit_id.get<std::string>() + ": member \"" + std::string(member) +
         "\" is not in audit.k8s.io/v1 Event (--field-validation=Strict)";
}

// Applies limits.unknown_members to an event's member names (known ones pass). false: the
// event is refused (Strict) and *out says why; otherwise unknown names are counted.
template <typename ForEachName>
bool check_members(const json& audit_id, const ParseLimits& limits, ForEachName for_each_name,
                   ParsedBatch* out) {
  std::string refused;  // the least unknown name: the same whichever order the parser saw
  for_each_name([&](std::string_view key) {
    if (known_member(key)) return;
    if (limits.unknown_members == FieldValidation::kStrict) {
      if (refused.empty() || key < refused) refused = key;
      return;
    }
    ++out->unknown_members;
    if (limits.unknown_members == FieldValidation::kWarn &&
        std::find(out->unknown_names.begin(), out->unknown_names.end(), key) ==
            out->unknown_names.end())
      out->unknown_names.emplace_back(key);
  });
  if (refused.empty()) return true;
  out->skipped.push_back({"unknown_field", unknown_detail(audit_id, refused)});
  return false;
}

std::string too_large_detail(const json& audit_id, size_t limit) {
  return "event " + audit_id.get<std::string>() + " is over " + std::to_string(limit) + " bytes";
}

// The members whose values stay text until a rule reads them: requestObject and
// responseObject (in a RequestResponse event whole objects, a pod, a deployment, a list: most
// of the event's bytes, while most rules stop at the verb, the resource or the user), and any
// other object or array but the two AuditEvent::index() reads (annotations and responseStatus
// are read by few rules, mostly in outputs). `next`: the value's first byte.
bool deferred_member(std::string_view key, char next) {
  if (key == "requestObject" || key == "responseObject") return true;
  return (next == '{' || next == '[') && key != "user" && key != "objectRef";
}

// What the one-pass parse found; kUndecided hands the body to parse_event_list_dom.
enum class Verdict { kAccepted, kRefused, kUndecided };

// One item of the list (the scanner on its '{'), added to *out or to out->skipped.
// false: the scanner refused (the body goes to parse_event_list_dom).
// *source: the body's copy the deferred members point into, made at the first one.
bool scan_event(JsonScanner& s, std::string_view body, const ParseLimits& limits,
                std::shared_ptr<const std::string>* source, ParsedBatch* out) {
  const char* from = s.pos();
  s.consume('{');
  detector::AuditEvent a;
  a.doc = json::object();
  auto& members = a.doc.get_ref<json::object_t&>();
  size_t bytes = 0;  // counts a repeated member twice: never too little, see below
  if (!s.consume('}')) {
    for (;;) {
      std::string key;
      size_t n = 0;
      if (!s.string(&key, &n) || !s.consume(':')) return false;
      bytes += n + 4;
      if (deferred_member(key, s.peek())) {
        const char* value = s.pos();  // peek() went past the whitespace
        if (!s.skip(3, &bytes)) return false;
        if (*source == nullptr) *source = std::make_shared<const std::string>(body);
        a.defer(key, *source,
                std::string_view(**source).substr(static_cast<size_t>(value - body.data()),
                                                  static_cast<size_t>(s.pos() - value)));
      } else {
        a.drop_deferred(key);  // an earlier value of the same name: the last one counts
        if (!s.build(3, &members.try_emplace(std::move(key)).first->second, &bytes)) return false;
      }
      if (s.consume(',')) continue;
      if (!s.consume('}')) return false;
      break;
    }
  }
  if (!is_string_member(a.doc, "auditID") || !is_string_member(a.doc, "stage") ||
      !is_string_member(a.doc, "verb")) {
    out->skipped.push_back(
        {"malformed_event", "an item is not an audit Event (auditID, stage, verb)"});
    return true;
  }
  if (bytes > limits.max_event_bytes) {
    // The count is exact but for repeated member names (nlohmann keeps the last value):
    // over the limit, the item's DOM decides, as parse_event_list_dom would.
    json item = json::parse(
        body.substr(static_cast<size_t>(from - body.data()), static_cast<size_t>(s.pos() - from)),
        nullptr, /*allow_exceptions=*/false);
    if (approx_bytes(item, limits.max_event_bytes) > limits.max_event_bytes) {
      out->skipped.push_back(
          {"event_too_large", too_large_detail(a.doc["auditID"], limits.max_event_bytes)});
      return true;
    }
  }
  const bool keep = check_members(
      a.doc["auditID"], limits,
      [&](auto each) {
        for (const auto& [key, value] : members) each(key);
        a.for_each_deferred(each);
      },
      out);
  if (!keep) return true;
  a.index();
  out->events.push_back(std::move(a));
  return true;
}

Verdict scan_event_list(std::string_view body, const ParseLimits& limits, ParsedBatch* out,
                        Rejection* why) {
  JsonScanner s(body, limits.max_depth);
  size_t ignored = 0;
  std::shared_ptr<const std::string> source;
  if (!s.begin()) return Verdict::kUndecided;
  if (s.peek() != '{') {
    if (!s.skip(0, &ignored) || !s.at_end()) return Verdict::kUndecided;
    *why = {"not_event_list", "the body is not an EventList (kind must be \"EventList\")"};
    return Verdict::kRefused;
  }
  if (limits.max_depth < 3) return Verdict::kUndecided;  // the items themselves are too deep
  s.consume('{');
  json kind, api_version;
  enum class Items { kMissing, kArray, kNull, kOther } items = Items::kMissing;
  if (!s.consume('}')) {
    std::string key;
    for (;;) {
      key.clear();
      if (!s.string(&key, &ignored) || !s.consume(':')) return Verdict::kUndecided;
      if (key == "kind" || key == "apiVersion") {
        if (!s.build(1, key == "kind" ? &kind : &api_version, &ignored)) return Verdict::kUndecided;
      } else if (key == "items") {
        *out = {};  // a repeated "items": the last one counts, as in nlohmann's DOM
        if (s.peek() == '[') {
          items = Items::kArray;
          s.consume('[');
          out->events.reserve(64);  // the API server's batches are of up to 400 events
          if (!s.consume(']')) {
            for (;;) {
              if (s.peek() == '{') {
                if (!scan_event(s, body, limits, &source, out)) return Verdict::kUndecided;
              } else {
                if (!s.skip(2, &ignored)) return Verdict::kUndecided;
                out->skipped.push_back(
                    {"malformed_event", "an item is not an audit Event (auditID, stage, verb)"});
              }
              if (s.consume(',')) continue;
              if (!s.consume(']')) return Verdict::kUndecided;
              break;
            }
          }
        } else {
          json v;
          if (!s.build(1, &v, &ignored)) return Verdict::kUndecided;
          items = v.is_null() ? Items::kNull : Items::kOther;
        }
      } else if (!s.skip(1, &ignored)) {
        return Verdict::kUndecided;
      }
      if (s.consume(',')) continue;
      if (!s.consume('}')) return Verdict::kUndecided;
      break;
    }
  }
  if (!s.at_end()) return Verdict::kUndecided;
  if (!kind.is_string() || kind != "EventList") {
    *why = {"not_event_list", "the body is not an EventList (kind must be \"EventList\")"};
    return Verdict::kRefused;
  }
  if (api_version.is_string() && api_version != "audit.k8s.io/v1") {
    *why = {"not_event_list",
            "apiVersion " + api_version.get<std::string>() + " (audit.k8s.io/v1 expected)"};
    return Verdict::kRefused;
  }
  if (items == Items::kMissing || items == Items::kOther) {
    *why = {"not_event_list", "the EventList has no items array"};
    return Verdict::kRefused;
  }
  return Verdict::kAccepted;
}

}  // namespace

bool parse_event_list(std::string_view body, const ParseLimits& limits, ParsedBatch* out,
                      Rejection* why) {
  ParsedBatch got;
  switch (scan_event_list(body, limits, &got, why)) {
    case Verdict::kAccepted:
      if (out->events.empty()) {
        out->events.swap(got.events);
      } else {
        for (auto& e : got.events) out->events.push_back(std::move(e));
      }
      for (auto& r : got.skipped) out->skipped.push_back(std::move(r));
      out->unknown_members += got.unknown_members;
      for (auto& n : got.unknown_names) out->unknown_names.push_back(std::move(n));
      return true;
    case Verdict::kRefused:
      return false;
    case Verdict::kUndecided:
      break;
  }
  return parse_event_list_dom(body, limits, out, why);
}

bool parse_event_list_dom(std::string_view body, const ParseLimits& limits, ParsedBatch* out,
                          Rejection* why) {
  if (nesting_depth(body, limits.max_depth) > limits.max_depth) {
    *why = {"too_deep", "JSON nested deeper than " + std::to_string(limits.max_depth)};
    return false;
  }
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    *why = {"malformed", "the body is not JSON"};
    return false;
  }
  if (!doc.is_object() || !is_string_member(doc, "kind") || doc["kind"] != "EventList") {
    *why = {"not_event_list", "the body is not an EventList (kind must be \"EventList\")"};
    return false;
  }
  if (is_string_member(doc, "apiVersion") && doc["apiVersion"] != "audit.k8s.io/v1") {
    *why = {"not_event_list",
            "apiVersion " + doc["apiVersion"].get<std::string>() + " (audit.k8s.io/v1 expected)"};
    return false;
  }
  auto items = doc.find("items");
  if (items == doc.end() || !(items->is_array() || items->is_null())) {
    *why = {"not_event_list", "the EventList has no items array"};
    return false;
  }
  if (items->is_null()) return true;  // an empty list is sent as "items": null
  out->events.reserve(items->size());
  for (json& item : *items) {
    if (!item.is_object() || !is_string_member(item, "auditID") ||
        !is_string_member(item, "stage") || !is_string_member(item, "verb")) {
      out->skipped.push_back(
          {"malformed_event", "an item is not an audit Event (auditID, stage, verb)"});
      continue;
    }
    if (approx_bytes(item, limits.max_event_bytes) > limits.max_event_bytes) {
      out->skipped.push_back(
          {"event_too_large", too_large_detail(item["auditID"], limits.max_event_bytes)});
      continue;
    }
    const bool keep = check_members(
        item["auditID"], limits,
        [&](auto each) {
          for (auto it = item.begin(); it != item.end(); ++it) each(it.key());
        },
        out);
    if (!keep) continue;
    detector::AuditEvent& a = out->events.emplace_back();
    a.doc = std::move(item);
    a.index();
  }
  return true;
}

bool parse_field_validation(std::string_view name, FieldValidation* out) {
  if (name == "Ignore") {
    *out = FieldValidation::kIgnore;
  } else if (name == "Warn") {
    *out = FieldValidation::kWarn;
  } else if (name == "Strict") {
    *out = FieldValidation::kStrict;
  } else {
    return false;
  }
  return true;
}

}  // namespace riposte::audit
