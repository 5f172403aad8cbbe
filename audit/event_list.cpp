#include "audit/event_list.h"

#include <algorithm>
#include <array>

namespace riposte::audit {

namespace {

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

}  // namespace

bool parse_event_list(std::string_view body, const ParseLimits& limits, ParsedBatch* out,
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
          {"event_too_large", "event " + item["auditID"].get<std::string>() + " is over " +
                                  std::to_string(limits.max_event_bytes) + " bytes"});
      continue;
    }
    for (auto it = item.begin(); it != item.end(); ++it)
      if (std::find(kEventMembers.begin(), kEventMembers.end(), it.key()) == kEventMembers.end())
        ++out->unknown_members;
    detector::AuditEvent& a = out->events.emplace_back();
    a.doc = std::move(item);
    a.index();
  }
  return true;
}

}  // namespace riposte::audit
