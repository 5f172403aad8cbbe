// The alerts a detector under test appends to its --output-file (JSON lines), read
// incrementally and kept in detection order: e2e tests wait for one alert, and check what
// came before it (the detector evaluates events in kernel order, so an alert for a later
// action proves the earlier ones were evaluated).
#pragma once

#include <cstddef>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/alert.h"
#include "tests/support/test_util.h"

namespace riposte::testing {

// An output field as a string ("" when absent or null).
inline std::string alert_field(const Alert& a, const char* key) {
  std::string v;
  a.field_string(key, &v);
  return v;
}

class AlertFile {
 public:
  AlertFile() = default;
  explicit AlertFile(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // Every alert written so far; a partial last line is read on the next call.
  const std::vector<Alert>& read() {
    std::ifstream in(path_);
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string line;
    while (in.good() && std::getline(in, line)) {
      if (in.eof()) break;
      offset_ += line.size() + 1;
      auto a = parse_alert(line);
      if (a.ok()) alerts_.push_back(std::move(*a));
    }
    return alerts_;
  }

  // The first alert that satisfies pred (and its index in detection order), waiting up to
  // timeout_ms for it.
  std::optional<Alert> wait(const std::function<bool(const Alert&)>& pred, size_t* index = nullptr,
                            int timeout_ms = 60000) {
    std::optional<Alert> found;
    eventually(
        [&] {
          const auto& all = read();
          for (size_t i = 0; i < all.size() && !found; ++i) {
            if (pred(all[i])) {
              found = all[i];
              if (index) *index = i;
            }
          }
          return found.has_value();
        },
        timeout_ms);
    return found;
  }

 private:
  std::string path_;
  size_t offset_ = 0;
  std::vector<Alert> alerts_;
};

}  // namespace riposte::testing
