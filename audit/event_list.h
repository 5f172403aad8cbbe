// The body kube-apiserver posts to its audit webhook: an audit.k8s.io/v1 EventList, parsed
// into AuditEvents the k8s_audit rules read, with every problem named.
//
// The whole body is refused (an Error whose reason is a metric label) when it is not JSON or
// not an EventList. Inside a valid list, one bad event does not cost the others: it is
// skipped and reported with its reason. Members riposte does not know are handled as
// kube-apiserver's own fieldValidation handles unknown fields (FieldValidation below): by
// default counted and warned about, kept (the API server adds fields over releases, and
// dropping its events for that would blind the rules after an upgrade); Strict refuses the
// event (reason unknown_field).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "detector/event/audit_event.h"

namespace riposte::audit {

// What an event with a member that is not in audit.k8s.io/v1 Event gets: the values and the
// default of kube-apiserver's fieldValidation (Ignore, Warn, Strict).
enum class FieldValidation { kIgnore, kWarn, kStrict };

struct ParseLimits {
  // An event whose strings and member names add up to more than this is skipped (reason
  // event_too_large). The API server's own limit on an object is ~1.5 MiB (etcd's), so the
  // default keeps every real event; lower it to bound memory per event.
  size_t max_event_bytes = 4u << 20;
  // Nesting deeper than this is refused before parsing (reason too_deep): a deeply nested
  // body costs stack and time in any JSON parser, and no audit event nests this deep.
  size_t max_depth = 128;
  FieldValidation unknown_members = FieldValidation::kWarn;
};

// Why a request or an event was refused: a short reason (Prometheus label value) and the
// detail for the log and the HTTP answer.
struct Rejection {
  std::string reason;
  std::string detail;
};

struct ParsedBatch {
  std::vector<detector::AuditEvent> events;
  std::vector<Rejection> skipped;  // events left out, one entry each
  size_t unknown_members = 0;      // members of events riposte does not know
  // Their names, each once per batch (for the warning; kIgnore leaves it empty).
  std::vector<std::string> unknown_names;
};

// Parses the names of FieldValidation's flag values ("Ignore", "Warn", "Strict").
bool parse_field_validation(std::string_view name, FieldValidation* out);

// Parses `body`. false: the body as a whole is refused and *why says so.
//
// The body is looked at once (json_scan.h): requestObject and responseObject are checked
// but kept as text, parsed when a rule reads them (AuditEvent::member). Whatever the scanner
// cannot decide alone (bad syntax, nesting over the limit, an event over the byte limit by
// its count) is decided by parse_event_list_dom, so both give the same answer.
bool parse_event_list(std::string_view body, const ParseLimits& limits, ParsedBatch* out,
                      Rejection* why);

// The same with a full nlohmann DOM of the body: the reference parse_event_list must agree
// with (tests/audit/event_list_agreement_test.cpp) and its answer where it cannot decide.
bool parse_event_list_dom(std::string_view body, const ParseLimits& limits, ParsedBatch* out,
                          Rejection* why);

}  // namespace riposte::audit
