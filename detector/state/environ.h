// proc.env: a process's environment as Falco keeps it, from the NUL-separated block an exec
// record carries (bpf/events.h riposte_env_record) or /proc/<pid>/environ for a process that
// started before the detector. Bounded as Falco's drivers bound it (SCAP_MAX_ENV_SIZE): the
// first 4 KiB, a cut last entry kept as cut.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace riposte::detector {

inline constexpr size_t kEnvBytes = 4096;  // RIPOSTE_ENV_LEN

// "A=1\0B=2\0" -> {"A=1", "B=2"}: libsinsp's sinsp_split on '\0' after dropping one trailing
// NUL (an empty entry between two NULs is kept, as there).
std::vector<std::string> split_environ(std::string_view block);

}  // namespace riposte::detector
