// One Kubernetes audit event (an audit.k8s.io/v1 Event, one item of the EventList the API
// server posts to its audit webhook) as the k8s_audit rules read it: the parsed JSON, plus the
// members nearly every rule checks (stage, verb, objectRef...), looked up once per event
// instead of once per check. requestObject and responseObject may be deferred: kept as JSON
// text until something reads them (member(), get(), full()), as riposte-audit's EventList
// parser does, since most rules never look at them.
//
// An Event of type kPluginEvent points to one (Event::audit); the AuditEvent must outlive the
// evaluation and the alert rendering.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detector/event/event.h"

namespace riposte::detector {

// A member of the event whose value may still be JSON text: parsed into the event's doc the
// first time it is read. Reading is not thread-safe (one event is evaluated by one thread).
class DeferredMember {
 public:
  explicit DeferredMember(std::string_view key) : key_(key) {}

  // The member's value (parsed now if it was deferred); null when the event has none.
  const nlohmann::json* get() const;
  std::string_view key() const { return key_; }
  // Whether the event has the member, without parsing it.
  friend bool operator==(const DeferredMember& d, std::nullptr_t) {
    return d.node_ == nullptr && d.text_.empty();
  }

 private:
  friend struct AuditEvent;
  std::string key_;
  // Set while deferred: the value's text in `source_` (the webhook body, shared by the
  // events of one request: one copy, not one per member), and the event's members (the map's
  // place does not change when the AuditEvent moves).
  mutable std::shared_ptr<const std::string> source_;
  mutable std::string_view text_;
  nlohmann::json::object_t* members_ = nullptr;
  mutable const nlohmann::json* node_ = nullptr;
};

struct AuditEvent {
  AuditEvent() = default;
  // Moving keeps the members below valid (the JSON's nodes stay where they are); a copy
  // would point into the original, so there is none.
  AuditEvent(AuditEvent&&) = default;
  AuditEvent& operator=(AuditEvent&&) = default;
  AuditEvent(const AuditEvent&) = delete;
  AuditEvent& operator=(const AuditEvent&) = delete;

  nlohmann::json doc;  // the Event object (without its deferred members until they are read)
  // The cluster's name for ka.cluster.name (the receiver's --cluster-name); empty = none.
  std::string cluster_name;

  // Found by index(); null when absent (not every stage or verb has every member).
  const nlohmann::json* audit_id = nullptr;
  const nlohmann::json* stage = nullptr;
  const nlohmann::json* verb = nullptr;
  const nlohmann::json* user_name = nullptr;
  const nlohmann::json* resource = nullptr;
  const nlohmann::json* subresource = nullptr;
  const nlohmann::json* ns = nullptr;
  const nlohmann::json* name = nullptr;
  DeferredMember request_object{"requestObject"};
  DeferredMember response_object{"responseObject"};

  // Fills the members above from doc; call again after changing doc (after defer()).
  void index();
  // Keeps `text` (one JSON value in *source, already checked) as the value of member `key`
  // until it is read, in place of any value doc or an earlier defer() gave it. doc must be an
  // object; not for the members index() reads.
  void defer(std::string_view key, std::shared_ptr<const std::string> source,
             std::string_view text);
  // Forgets a deferred value of `key` (a later value of the same name replaces it).
  void drop_deferred(std::string_view key);
  // The names of the members still deferred.
  template <typename Fn>
  void for_each_deferred(Fn&& fn) const {
    for (const DeferredMember* d : {&request_object, &response_object})
      if (!d->text_.empty()) fn(std::string_view(d->key_));
    for (const DeferredMember& d : others_)
      if (!d.text_.empty()) fn(std::string_view(d.key_));
  }

  // The event's member `key` (parsed now if deferred); null when absent.
  const nlohmann::json* member(std::string_view key) const;
  // member(keys[0]), then json_get of the other keys below it.
  const nlohmann::json* get(std::initializer_list<std::string_view> keys) const;
  // doc with every deferred member parsed into it (jevt.obj renders the whole event).
  const nlohmann::json& full() const;

  // `v` (an object or array of this event) as compact JSON, rendered on the first call only.
  // The text lives as long as the event.
  std::string_view rendered(const nlohmann::json& v) const;

 private:
  DeferredMember* deferred(std::string_view key);
  std::vector<DeferredMember> others_;  // deferred members besides the two above
  mutable std::vector<std::pair<const nlohmann::json*, std::unique_ptr<std::string>>> rendered_;
};

// doc[k0][k1]...: null when a step is missing or not an object.
const nlohmann::json* json_get(const nlohmann::json* v,
                               std::initializer_list<std::string_view> keys);

// An audit event's time in ns since the epoch, from its stageTimestamp (else
// requestReceivedTimestamp): RFC 3339 with an optional fraction, "Z" or an offset. 0 when
// neither parses.
uint64_t audit_event_time_ns(const nlohmann::json& doc);

// An Event of type kPluginEvent over `a` (ts from the event's own timestamps).
Event make_audit_event(const AuditEvent& a, uint64_t num);

}  // namespace riposte::detector
