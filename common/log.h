// Minimal leveled logger: one line per record on stderr, either human text or JSON
// (`{"ts":..,"level":..,"msg":..,<fields>}`) for log pipelines. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace riposte::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError };

void set_level(Level level);
void set_json(bool json);
bool parse_level(std::string_view s, Level* out);
bool enabled(Level level);

void write(Level level, std::string_view msg, const nlohmann::json& fields = nullptr);

inline void debug(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::kDebug, m, f); }
inline void info(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::kInfo, m, f); }
inline void warn(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::kWarn, m, f); }
inline void error(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::kError, m, f); }

}  // namespace riposte::log
