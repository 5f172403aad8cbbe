// The alert model shared by detector and responder: Falco's JSON alert format
// (time, rule, priority, source, hostname, output, output_fields, tags) plus a uuid.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace riposte {

// Falco's priorities, most severe first; numeric order matters for comparisons (>=Warning).
enum class Priority : uint8_t {
  kEmergency = 0,
  kAlert,
  kCritical,
  kError,
  kWarning,
  kNotice,
  kInformational,
  kDebug,
};

// Case-insensitive; accepts Falco's aliases ("info" = Informational).
std::optional<Priority> parse_priority(std::string_view s);
// Title case as Falco prints it ("Critical").
std::string_view priority_name(Priority p);
// True when a is at least as severe as b.
inline bool at_least(Priority a, Priority b) { return a <= b; }

struct Alert {
  int64_t time_ns = 0;  // nanoseconds since the Unix epoch
  std::string rule;
  Priority priority = Priority::kWarning;
  std::string source = "syscall";
  std::string hostname;
  std::string output;
  nlohmann::ordered_json output_fields = nlohmann::ordered_json::object();
  std::vector<std::string> tags;
  std::string uuid;
  // How much of `output` the rule itself rendered, before the context the detector appends
  // (like Falco's append_output); npos when nothing was appended. Not part of the JSON.
  size_t rule_output_size = std::string::npos;

  // Value of an output field as a string ("" and false when absent or null).
  bool field_string(std::string_view key, std::string* out) const;
};

// The bus contract between detector and responder.
inline constexpr const char* kAlertStream = "RIPOSTE_ALERTS";
inline constexpr const char* kAlertSubjects = "riposte.alerts.>";
// Reply-subject prefixes of the detector's and the responder's NATS connections. The shipped
// NATS configurations (deploy/) grant each component subscribe on its own prefix only.
inline constexpr const char* kDetectorInboxPrefix = "_INBOX.riposte-detector";
inline constexpr const char* kResponderInboxPrefix = "_INBOX.riposte-responder";
inline constexpr const char* kAuditInboxPrefix = "_INBOX.riposte-audit";
// Alerts the responder could not parse or handle, with the reason in a header.
inline constexpr const char* kDeadLetterSubject = "riposte.deadletter.alerts";

// Size limit enforced by parse_alert: alerts are attacker-influenced input.
inline constexpr size_t kMaxAlertBytes = 256 * 1024;

std::string to_json(const Alert& a);
// Strict parser: rejects (with a reason) anything that is not a Falco alert.
Result<Alert> parse_alert(std::string_view json);

// RFC 3339 with nanoseconds and Z, as Falco writes "time".
std::string format_rfc3339_ns(int64_t time_ns);
std::optional<int64_t> parse_rfc3339(std::string_view s);

// Rule name lowercased, runs outside [a-z0-9] collapsed to one '_', '_' trimmed at the ends.
std::string rule_slug(std::string_view rule);
// riposte.alerts.<priority lowercase>.<rule slug>
std::string alert_subject(const Alert& a);

// Falco's stdout line: "HH:MM:SS.nnnnnnnnn: Priority output" (UTC).
std::string falco_text_line(const Alert& a);

// Deterministic id for JetStream's Nats-Msg-Id: the same alert published twice (a retry after a
// lost ack, a second detector pass) is stored once. Hex SHA-256 of host, rule, time and output.
std::string alert_dedup_key(const Alert& a);

// A random RFC 4122 version 4 UUID.
std::string new_uuid();

}  // namespace riposte
