// forensics.capture: what a responder wants to keep about a process before it kills it or its
// container, read from /proc: the process tree (ancestors and descendants), open files and
// sockets, the executable's SHA-256, cmdline and environment. Bounded: lists and strings are
// cut (and say so), the executable is hashed up to kMaxHashedBytes, so the reply stays well
// within kMaxNodeActionReplyBytes and an audit record.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace riposte::detector {

inline constexpr uint64_t kMaxHashedBytes = 512ull << 20;

// Every value read from the process (names, arguments, environment, paths) is its own and
// may be anything: kept as text, cut, never interpreted.
nlohmann::json capture_process(const std::string& proc_root, pid_t pid);

// Hex SHA-256 of a file's first max_bytes bytes, "" when it cannot be read.
std::string sha256_file(const std::string& path, uint64_t max_bytes, bool* truncated);

}  // namespace riposte::detector
