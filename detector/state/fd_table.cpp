#include "detector/state/fd_table.h"

#include <arpa/inet.h>
#include <fcntl.h>

#include <cstring>

namespace riposte::detector {

void clear_fd(FdInfo* fd) {
  fd->num = -1;
  fd->type = FdType::kUnknown;
  fd->name.clear();
  fd->nameraw.clear();
  fd->open_flags = 0;
  fd->client_ip = IpAddr{};
  fd->server_ip = IpAddr{};
  fd->client_port = fd->server_port = 0;
  fd->l4proto = 0;
  fd->is_server = fd->connected = fd->name_changed = fd->server_socket = false;
  fd->ino = fd->dev = 0;
}

void set_socket_ends(FdInfo* fd, const IpAddr& local, uint16_t lport, const IpAddr& remote,
                     uint16_t rport, bool accepted) {
  fd->is_server = accepted;
  fd->client_ip = accepted ? remote : local;
  fd->client_port = accepted ? rport : lport;
  fd->server_ip = accepted ? local : remote;
  fd->server_port = accepted ? lport : rport;
}

FdInfo* FdTable::get(int64_t fd) {
  if (fd >= 0 && fd < kDirect) {
    if (static_cast<size_t>(fd) >= direct_.size()) return nullptr;
    FdInfo& e = direct_[static_cast<size_t>(fd)];
    return e.num < 0 ? nullptr : &e;
  }
  auto it = other_.find(fd);
  return it == other_.end() ? nullptr : &it->second;
}

FdInfo* FdTable::put(int64_t fd) {
  FdInfo* e = nullptr;
  if (fd < 0) return nullptr;
  if (fd < kDirect) {
    const auto i = static_cast<size_t>(fd);
    if (i >= direct_.size()) {
      // grow to the next power of two past fd, every new slot free
      size_t n = direct_.empty() ? 4 : direct_.size();
      while (n <= i) n *= 2;
      direct_.resize(n);
    }
    e = &direct_[i];
    if (e->num < 0) ++count_;
  } else {
    auto it = other_.find(fd);
    if (it == other_.end()) {
      if (other_.size() >= kMaxOther) return nullptr;
      it = other_.emplace(fd, FdInfo{}).first;
    }
    e = &it->second;
  }
  clear_fd(e);
  e->num = fd;
  return e;
}

void FdTable::erase(int64_t fd) {
  if (fd >= 0 && fd < kDirect) {
    if (static_cast<size_t>(fd) < direct_.size() && direct_[static_cast<size_t>(fd)].num >= 0) {
      direct_[static_cast<size_t>(fd)].num = -1;
      --count_;
    }
    return;
  }
  other_.erase(fd);
}

void FdTable::erase_cloexec() {
  for (FdInfo& e : direct_) {
    if (e.num >= 0 && (e.open_flags & O_CLOEXEC)) {
      e.num = -1;
      --count_;
    }
  }
  std::erase_if(other_, [](const auto& kv) { return (kv.second.open_flags & O_CLOEXEC) != 0; });
}

namespace {

void append_ip(const IpAddr& ip, std::string* out) {
  char buf[INET6_ADDRSTRLEN] = "";
  inet_ntop(ip.family == 6 ? AF_INET6 : AF_INET, ip.bytes.data(), buf, sizeof buf);
  *out += buf;
}

}  // namespace

void format_socket_name(const FdInfo& fd, std::string* out) {
  out->clear();
  append_ip(fd.client_ip, out);
  *out += ':';
  *out += std::to_string(fd.client_port);
  *out += "->";
  append_ip(fd.server_ip, out);
  *out += ':';
  *out += std::to_string(fd.server_port);
}

FdType anon_fd_type(std::string_view link) {
  // "anon_inode:[eventfd]", "anon_inode:bpf-map", "pipe:[123]", ...
  struct Kind {
    std::string_view needle;
    FdType type;
  };
  static constexpr Kind kKinds[] = {
      {"pipe:", FdType::kPipe},        {"eventfd", FdType::kEvent},
      {"signalfd", FdType::kSignalfd}, {"eventpoll", FdType::kEventpoll},
      {"inotify", FdType::kInotify},   {"timerfd", FdType::kTimerfd},
      {"bpf", FdType::kBpf},           {"userfaultfd", FdType::kUserfaultfd},
      {"io_uring", FdType::kIoUring},  {"/memfd:", FdType::kMemfd},
  };
  for (const auto& k : kKinds) {
    if (link.find(k.needle) != std::string_view::npos) return k.type;
  }
  return FdType::kUnknown;
}

FdType fd_type_of(const KernelFd& k) {
  using KT = KernelFd::Type;
  switch (k.type) {
    case KT::kFile:
      return FdType::kFile;
    case KT::kDirectory:
      return FdType::kDirectory;
    case KT::kIpv4:
      return FdType::kIpv4;
    case KT::kIpv6:
      return FdType::kIpv6;
    case KT::kUnix:
      return FdType::kUnix;
    case KT::kNetlink:
      return FdType::kNetlink;
    case KT::kPipe:
      return FdType::kPipe;
    case KT::kAnon:
      return anon_fd_type(k.hint);
    default:
      return FdType::kUnknown;
  }
}

bool same_file(const FdInfo& fd, const KernelFd& k) {
  return fd.ino == k.ino && fd.dev == k.dev &&
         (k.type != KernelFd::Type::kAnon || fd.type == fd_type_of(k));
}

namespace {

IpAddr ip_of(const std::array<uint8_t, 16>& bytes, FdType type) {
  IpAddr ip;
  ip.family = type == FdType::kIpv6 ? 6 : 4;
  std::memcpy(ip.bytes.data(), bytes.data(), ip.family == 6 ? 16 : 4);
  return ip;
}

bool is_inet(FdType t) { return t == FdType::kIpv4 || t == FdType::kIpv6; }

}  // namespace

void set_socket(FdInfo* fd, const KernelFd& k, bool accepted) {
  fd->server_socket = false;
  fd->type = fd_type_of(k);
  if (!is_inet(fd->type)) return;
  fd->l4proto = k.l4proto;
  set_socket_ends(fd, ip_of(k.laddr, fd->type), k.lport, ip_of(k.raddr, fd->type), k.rport,
                  accepted);
  format_socket_name(*fd, &fd->name);
}

void set_server_socket(FdInfo* fd, const KernelFd& k) {
  set_socket(fd, k, true);
  if (!is_inet(fd->type) || fd->server_port == 0) return;  // as libsinsp: a port makes a server
  fd->server_socket = true;
  fd->name.clear();
  append_ip(fd->server_ip, &fd->name);
  fd->name += ':';
  fd->name += std::to_string(fd->server_port);
}

void reset_from_kernel(FdInfo* fd, const KernelFd& k) {
  const int64_t num = fd->num;
  clear_fd(fd);
  fd->num = num;
  fd->ino = k.ino;
  fd->dev = k.dev;
  set_socket(fd, k, false);
}

void set_send_peer(FdInfo* fd, const KernelFd& k) {
  if (fd->connected || !is_inet(fd->type)) return;
  if (k.type != KernelFd::Type::kIpv4 && k.type != KernelFd::Type::kIpv6) return;
  fd->server_socket = false;  // a bound UDP socket: it has a peer now
  const IpAddr to = ip_of(k.raddr, fd->type);
  fd->name_changed = to.bytes != fd->server_ip.bytes || k.rport != fd->server_port;
  fd->server_ip = to;
  fd->server_port = k.rport;
  fd->client_ip = ip_of(k.laddr, fd->type);
  fd->client_port = k.lport;
  format_socket_name(*fd, &fd->name);
}

}  // namespace riposte::detector
