// A secret read from a file (a Kubernetes Secret volume, a token file) that follows the file
// when it is replaced: rotating the secret takes effect without restarting the process. The
// file is checked at most every `check_ms` (stat only: mtime, size and inode, so the atomic
// symlink swap of a Secret volume is seen); its content is re-read when any of them changed.
// A file that becomes unreadable or empty keeps the last good value (and logs why), so a
// rotation caught half-way never leaves the process without a credential.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "common/result.h"

namespace riposte {

class SecretFile {
 public:
  explicit SecretFile(std::string path, int check_ms = 1000);

  // Reads the file for the first time: an error when it is missing, unreadable or empty.
  Status load();
  // The current value (trailing whitespace trimmed); re-read when the file changed.
  std::string current();
  const std::string& path() const { return path_; }

 private:
  struct Stamp {
    int64_t mtime_ns = 0;
    off_t size = 0;
    ino_t inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  Result<Stamp> stamp() const;
  Result<std::string> read() const;

  std::string path_;
  std::chrono::milliseconds check_every_;
  std::mutex mu_;
  std::string value_;
  Stamp seen_{};
  std::chrono::steady_clock::time_point next_check_{};
};

}  // namespace riposte
