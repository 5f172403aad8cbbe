// Identities for exactly-once handling. An alert's id is its Nats-Msg-Id (the publisher's own
// dedup key: riposte-detector, `riposte alert publish` and the ingest inputs all set one), or
// else a hash of its rule and its output without Falco's time prefix, so the same event
// reported twice gets one id. Keys for the JetStream key-value buckets are hashes: KV keys
// allow only [-/_=.a-zA-Z0-9], and alert values are attacker-controlled.
#pragma once

#include <string>
#include <string_view>

#include "common/alert.h"

namespace riposte::responder {

inline constexpr const char* kMsgIdHeader = "Nats-Msg-Id";

// Lowercase hex SHA-256 of the parts, each followed by a NUL (so ("ab","c") != ("a","bc")).
std::string hash_key(std::initializer_list<std::string_view> parts);

// "06:51:02.123456789: Notice A shell ..." -> "Notice A shell ..." (unchanged when absent).
std::string_view strip_time_prefix(std::string_view output);

// Hash of rule + output without the time prefix.
std::string content_key(const Alert& alert);

// msg_id when non-empty, else content_key(alert).
std::string alert_id(const std::string& msg_id, const Alert& alert);

// The idempotency key of one playbook run for one alert.
inline std::string run_key(const std::string& alert_id, const std::string& playbook) {
  return hash_key({"run", alert_id, playbook});
}

}  // namespace riposte::responder
