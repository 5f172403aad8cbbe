// A syscall record as the sensor would decode it, for tests that feed records by hand.
#pragma once

#include <cstdint>
#include <cstring>
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

// What the kernel says of a TCP/IPv4 socket: addresses as 4 network-order bytes.
inline void tcp4(detector::KernelFd* k, const char* laddr, uint16_t lport, const char* raddr,
                 uint16_t rport) {
  k->type = detector::KernelFd::Type::kIpv4;
  k->l4proto = 6;  // IPPROTO_TCP
  k->lport = lport;
  k->rport = rport;
  std::memcpy(k->laddr.data(), laddr, 4);
  std::memcpy(k->raddr.data(), raddr, 4);
}

}  // namespace riposte::testing
