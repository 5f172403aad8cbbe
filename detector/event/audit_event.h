// One Kubernetes audit event (an audit.k8s.io/v1 Event, one item of the EventList the API
// server posts to its audit webhook) as the k8s_audit rules read it: the parsed JSON, plus the
// members nearly every rule checks (stage, verb, objectRef...), looked up once per event
// instead of once per check.
//
// An Event of type kPluginEvent points to one (Event::audit); the AuditEvent must outlive the
// evaluation and the alert rendering.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "detector/event/event.h"

namespace riposte::detector {

struct AuditEvent {
  AuditEvent() = default;
  // Moving keeps the members below valid (the JSON's nodes stay where they are); a copy
  // would point into the original, so there is none.
  AuditEvent(AuditEvent&&) = default;
  AuditEvent& operator=(AuditEvent&&) = default;
  AuditEvent(const AuditEvent&) = delete;
  AuditEvent& operator=(const AuditEvent&) = delete;

  nlohmann::json doc;  // the Event object
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
  const nlohmann::json* request_object = nullptr;

  // Fills the members above from doc; call again after changing doc.
  void index();
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
