// The fd.* fields: one row each (field_table.h). The fd is the event's (Event::fd) or, for a
// failed open that has none, the path it named (fd_view).
#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

namespace {

using T = FieldType;
using FC = FieldClass;

constexpr std::string_view kNoDns = "DNS names are not tracked";

std::string_view fd_type_name(FdType t) {
  switch (t) {
    case FdType::kFile:
      return "file";
    case FdType::kDirectory:
      return "directory";
    case FdType::kIpv4:
      return "ipv4";
    case FdType::kIpv6:
      return "ipv6";
    case FdType::kUnix:
      return "unix";
    case FdType::kPipe:
      return "pipe";
    case FdType::kEvent:
      return "event";
    case FdType::kSignalfd:
      return "signalfd";
    case FdType::kEventpoll:
      return "eventpoll";
    case FdType::kInotify:
      return "inotify";
    case FdType::kTimerfd:
      return "timerfd";
    case FdType::kNetlink:
      return "netlink";
    case FdType::kBpf:
      return "bpf";
    case FdType::kUserfaultfd:
      return "userfaultfd";
    case FdType::kIoUring:
      return "io_uring";
    case FdType::kMemfd:
      return "memfd";
    case FdType::kUnknown:
      break;
  }
  return "unknown";
}

std::string_view fd_type_char(FdType t) {
  switch (t) {
    case FdType::kFile:
      return "f";
    case FdType::kDirectory:
      return "d";
    case FdType::kIpv4:
      return "4";
    case FdType::kIpv6:
      return "6";
    case FdType::kUnix:
      return "u";
    case FdType::kPipe:
      return "p";
    case FdType::kEvent:
      return "e";
    case FdType::kSignalfd:
      return "s";
    case FdType::kEventpoll:
      return "l";
    case FdType::kInotify:
      return "i";
    case FdType::kTimerfd:
      return "t";
    case FdType::kNetlink:
      return "n";
    case FdType::kBpf:
      return "b";
    case FdType::kUserfaultfd:
      return "u";
    case FdType::kIoUring:
      return "r";
    case FdType::kMemfd:
      return "m";
    case FdType::kUnknown:
      break;
  }
  return "o";
}

// The event's socket, or null when its fd is not an IP socket.
const FdInfo* ip_socket(const EvalContext& c) {
  const FdInfo* fd = c.ev->fd;
  return fd != nullptr && is_socket(fd->type) ? fd : nullptr;
}

// A socket with both ends: not a bound or listening one (FdInfo::server_socket), whose
// client, local and remote fields have no value in libsinsp.
const FdInfo* peer_socket(const EvalContext& c) {
  const FdInfo* fd = ip_socket(c);
  return fd != nullptr && !fd->server_socket ? fd : nullptr;
}

// Local and remote ends: the server end is local on a server socket.
struct Ends {
  const IpAddr* lip;
  uint16_t lport;
  const IpAddr* rip;
  uint16_t rport;
};
Ends ends(const FdInfo& fd) {
  if (fd.is_server) return {&fd.server_ip, fd.server_port, &fd.client_ip, fd.client_port};
  return {&fd.client_ip, fd.client_port, &fd.server_ip, fd.server_port};
}

bool is_file(FdType t) { return t == FdType::kFile || t == FdType::kMemfd; }

// Both ends' addresses (fd.ip, fd.net): a check holds if it holds for either. A server
// socket has only its own.
#define BOTH_IPS                                  \
  EXTRACT(if (auto* fd = ip_socket(c)) {          \
    if (!fd->server_socket) o->ip(fd->client_ip); \
    o->ip(fd->server_ip);                         \
  })

constexpr FieldDef kRows[] = {
    {.name = "fd.num",
     .type = T::kInt,
     .num = NUM(FdView v = fd_view(c); if (!v.present) return false; *out = v.num; return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "fd.type",
     .type = T::kString,
     .str = STR(FdView v = fd_view(c); if (!v.present) return false; *out = fd_type_name(v.type);
                return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "fd.typechar",
     .type = T::kString,
     .str = STR(FdView v = fd_view(c); if (!v.present) return false; *out = fd_type_char(v.type);
                return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "fd.name",
     .type = T::kString,
     .str = STR(FdView v = fd_view(c); if (!v.present) return false; *out = v.name; return true;),
     .cost = {2}},
    {.name = "fd.nameraw",
     .type = T::kString,
     .str = STR(FdView v = fd_view(c); if (!v.present) return false;
                *out = v.fd != nullptr && !v.fd->nameraw.empty() ? std::string_view(v.fd->nameraw)
                                                                 : v.name;
                return true;),
     .cost = {2}},
    {.name = "fd.directory",
     .type = T::kString,
     .str = STR(FdView v = fd_view(c); if (!v.present) return false;
                if (v.type == FdType::kDirectory) {
                  *out = v.name;
                  return true;
                } if (!is_file(v.type)) return false;
                size_t slash = v.name.rfind('/'); if (slash == std::string_view::npos) return false;
                *out = slash == 0 ? v.name.substr(0, 1) : v.name.substr(0, slash); return true;),
     .cost = {2}},
    {.name = "fd.filename",
     .type = T::kString,
     .str = STR(FdView v = fd_view(c); if (!v.present || !is_file(v.type)) return false;
                size_t slash = v.name.rfind('/');
                *out = slash == std::string_view::npos ? v.name : v.name.substr(slash + 1);
                return true;),
     .cost = {2}},
    {.name = "fd.ip", .type = T::kIp, .extract = BOTH_IPS, .cost = {2}, .both_ends = true},
    {.name = "fd.cip",
     .type = T::kIp,
     .extract = EXTRACT(if (auto* fd = peer_socket(c)) o->ip(fd->client_ip);),
     .cost = {2}},
    {.name = "fd.sip",
     .type = T::kIp,
     .extract = EXTRACT(if (auto* fd = ip_socket(c)) o->ip(fd->server_ip);),
     .cost = {2}},
    {.name = "fd.lip",
     .type = T::kIp,
     .extract = EXTRACT(if (auto* fd = peer_socket(c)) o->ip(*ends(*fd).lip);),
     .cost = {2}},
    {.name = "fd.rip",
     .type = T::kIp,
     .extract = EXTRACT(if (auto* fd = peer_socket(c)) o->ip(*ends(*fd).rip);),
     .cost = {2}},
    {.name = "fd.port",
     .type = T::kPort,
     .extract = EXTRACT(if (auto* fd = ip_socket(c)) {
       if (!fd->server_socket) o->num(fd->client_port);
       o->num(fd->server_port);
     }),
     .cost = {1},
     .both_ends = true},
    {.name = "fd.cport",
     .type = T::kPort,
     .num = NUM(auto* fd = peer_socket(c); if (!fd) return false; *out = fd->client_port;
                return true;),
     .cost = {1}},
    {.name = "fd.sport",
     .type = T::kPort,
     .num =
         NUM(auto* fd = ip_socket(c); if (!fd) return false; *out = fd->server_port; return true;),
     .cost = {1}},
    {.name = "fd.lport",
     .type = T::kPort,
     .extract = EXTRACT(if (auto* fd = peer_socket(c)) o->num(ends(*fd).lport);),
     .cost = {1}},
    {.name = "fd.rport",
     .type = T::kPort,
     .extract = EXTRACT(if (auto* fd = peer_socket(c)) o->num(ends(*fd).rport);),
     .cost = {1}},
    {.name = "fd.l4proto",
     .type = T::kString,
     .extract = EXTRACT(auto* fd = ip_socket(c); if (!fd) return; switch (fd->l4proto) {
       case 6:
         return o->str("tcp");
       case 17:
         return o->str("udp");
       case 1:
       case 58:
         return o->str("icmp");
       case 255:
         return o->str("raw");
       default:
         return o->str("unknown");
     }),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "fd.sockfamily",
     .type = T::kString,
     .extract = EXTRACT(const FdInfo* fd = c.ev->fd; if (!fd) return;
                        if (is_socket(fd->type)) o->str("ip");
                        else if (fd->type == FdType::kUnix) o->str("unix");),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "fd.is_server",
     .type = T::kBool,
     .num = NUM(auto* fd = ip_socket(c); if (!fd) return false; *out = fd->is_server; return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "fd.net", .type = T::kIpNet, .extract = BOTH_IPS, .cost = {2}, .both_ends = true},
    {.name = "fd.cnet",
     .type = T::kIpNet,
     .extract = EXTRACT(if (auto* fd = peer_socket(c)) o->ip(fd->client_ip);),
     .cost = {2}},
    {.name = "fd.snet",
     .type = T::kIpNet,
     .extract = EXTRACT(if (auto* fd = ip_socket(c)) o->ip(fd->server_ip);),
     .cost = {2}},
    {.name = "fd.lnet",
     .type = T::kIpNet,
     .extract = EXTRACT(if (auto* fd = peer_socket(c)) o->ip(*ends(*fd).lip);),
     .cost = {2}},
    {.name = "fd.rnet",
     .type = T::kIpNet,
     .extract = EXTRACT(if (auto* fd = peer_socket(c)) o->ip(*ends(*fd).rip);),
     .cost = {2}},
    // DNS names are not tracked: never a value.
    {.name = "fd.cip.name",
     .type = T::kString,
     .extract = EXTRACT((void)o;),
     .cost = {2},
     .unfilled = kNoDns},
    {.name = "fd.sip.name",
     .type = T::kString,
     .extract = EXTRACT((void)o;),
     .cost = {2},
     .unfilled = kNoDns},
    {.name = "fd.lip.name",
     .type = T::kString,
     .extract = EXTRACT((void)o;),
     .cost = {2},
     .unfilled = kNoDns},
    {.name = "fd.rip.name",
     .type = T::kString,
     .extract = EXTRACT((void)o;),
     .cost = {2},
     .unfilled = kNoDns},
    {.name = "fd.connected",
     .type = T::kBool,
     .num = NUM(if (!c.ev->fd) return false; *out = c.ev->fd->connected; return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "fd.name_changed",
     .type = T::kBool,
     .num = NUM(if (!c.ev->fd) return false; *out = c.ev->fd->name_changed; return true;),
     .cost = {1},
     .cls = FC::kStructural},
    // The device holding the file (st_dev), when the fd table knows it.
    {.name = "fd.dev",
     .type = T::kInt,
     .extract =
         EXTRACT(if (c.ev->fd && c.ev->fd->dev != 0) o->num(static_cast<int64_t>(c.ev->fd->dev));),
     .cost = {1}},
};

#undef BOTH_IPS

}  // namespace

std::span<const FieldDef> fd_fields() { return kRows; }

}  // namespace riposte::detector::rules
