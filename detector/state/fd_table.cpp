#include "detector/state/fd_table.h"

#include <fcntl.h>

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
  fd->is_server = fd->connected = fd->name_changed = false;
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

}  // namespace riposte::detector
