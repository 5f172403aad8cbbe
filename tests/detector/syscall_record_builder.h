// A syscall record as the sensor would decode it, for tests that feed records by hand.
#pragma once

#include <cstdint>
#include <vector>

#include "detector/sensor/syscall_record.h"

namespace riposte::testing {

inline detector::SyscallRecord syscall_record(uint32_t pid, long nr, int64_t res,
                                              const std::vector<uint64_t>& args) {
  detector::SyscallRecord r;
  r.pid = r.tid = pid;
  r.nr = static_cast<uint32_t>(nr);
  r.res = res;
  for (size_t i = 0; i < args.size() && i < 6; ++i) r.args[i] = args[i];
  return r;
}

}  // namespace riposte::testing
