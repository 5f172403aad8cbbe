// The event model shared by the sensor (which fills it from eBPF records and its process,
// fd and container state) and the rules engine (which reads Falco fields from it).
//
// Everything an Event points to is owned by the sensor's state and stays valid for the
// duration of one evaluation; string_views in EventArgs point into the ring-buffer record.
// Nothing here allocates per event.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detector/event/event_types.h"

namespace riposte::detector {

// Syscall-level event types, named as Falco's evt.type values (event_types.h). kCount last.
#define RIPOSTE_EVENT_TYPE_ENUM_(type, name, args) k##type,
enum class EventType : uint16_t { RIPOSTE_EVENT_TYPES(RIPOSTE_EVENT_TYPE_ENUM_) kCount };
#undef RIPOSTE_EVENT_TYPE_ENUM_

std::string_view event_type_name(EventType t);
// Falco's evt.type spelling ("execve", "openat2", "procexit"); nullopt when not modelled.
std::optional<EventType> parse_event_type(std::string_view name);

struct PodInfo {
  std::string uid;
  std::string name;
  std::string ns;
  std::vector<std::pair<std::string, std::string>> labels;
};

struct ContainerInfo {
  std::string id;       // 12-char short id, Falco's container.id
  std::string full_id;  // 64-char id
  std::string runtime;  // containerd, cri-o, docker, podman
  std::string name;     // from the pod spec, when the pod is known
  std::string image;    // repository:tag as in the pod spec
  std::string image_repository;
  std::string image_tag;
  bool privileged = false;
  std::shared_ptr<const PodInfo> pod;  // null until resolved (or not a pod)
  // Added for the rules engine (container.start_ts, container.mounts, container.mount.*).
  uint64_t start_ns = 0;  // container start, ns since the epoch; 0 = unknown
  struct Mount {
    std::string source, dest;
    bool read_write = true;
  };
  std::vector<Mount> mounts;
};

enum class FdType : uint8_t {
  kUnknown, kFile, kDirectory, kIpv4, kIpv6, kUnix, kPipe, kEvent, kSignalfd, kEventpoll,
  kInotify, kTimerfd, kNetlink, kBpf, kUserfaultfd, kIoUring, kMemfd,
};

struct IpAddr {
  uint8_t family = 0;  // 0 = none, 4 or 6
  std::array<uint8_t, 16> bytes{};
};

struct FdInfo {
  int64_t num = -1;
  FdType type = FdType::kUnknown;
  std::string name;  // path, or "cip:cport->sip:sport" for sockets, as Falco prints fd.name
  uint32_t open_flags = 0;
  IpAddr client_ip, server_ip;  // for sockets: client = connecting side
  uint16_t client_port = 0, server_port = 0;
  uint8_t l4proto = 0;  // IPPROTO_TCP / IPPROTO_UDP, 0 unknown
  bool is_server = false;  // we accepted it (local side is the server)
  // A bound or listening socket with no peer (libsinsp's SCAP_FD_IPV*_SERVSOCK): only the
  // server end exists, so fd.ip/fd.net/fd.port are that end alone, the client and
  // local/remote fields have no value, and fd.name is "sip:sport".
  bool server_socket = false;
  // Added for the rules engine (fd.nameraw, fd.connected, fd.name_changed).
  std::string nameraw;        // path as passed by the caller, before normalisation; "" = same as name
  bool connected = false;     // socket has a peer (connect/accept succeeded)
  bool name_changed = false;  // fd.name changed with this event (e.g. sendto on an unconnected UDP socket)
  // Which file this is (st_ino, st_dev; 0 = unknown): closes are not reported, so an entry
  // is checked against the kernel's identity of the fd whenever a record carries it.
  uint64_t ino = 0, dev = 0;
};

struct ProcessInfo {
  int64_t pid = 0, tid = 0, ppid = 0, vpid = 0, vtid = 0, sid = 0, pgid = 0;
  uint32_t uid = 0, gid = 0, loginuid = UINT32_MAX;
  uint32_t tty = 0;
  std::string name;     // comm (Falco proc.name)
  std::string exe;      // argv[0] (Falco proc.exe)
  std::string exepath;  // full path of the executable (proc.exepath)
  std::string cwd;
  std::vector<std::string> args;  // argv[1..]
  std::string user_name, group_name, login_name;
  uint64_t start_ns = 0;  // clone/exec time, for proc.duration
  uint64_t cap_effective = 0, cap_permitted = 0, cap_inheritable = 0;
  bool exe_upper_layer = false;  // executable lives on an overlayfs upper layer
  bool exe_from_memfd = false;
  bool exe_writable = false;
  std::shared_ptr<const ContainerInfo> container;  // null on the host
  // Added for the rules engine (proc.env, proc.exe_ino.*, proc.pidns_init_start_ts).
  std::vector<std::string> env;  // "NAME=value" entries
  uint64_t exe_ino = 0;
  uint64_t exe_ino_ctime_ns = 0, exe_ino_mtime_ns = 0;  // 0 = unknown
  uint64_t pidns_init_start_ns = 0;                     // 0 = unknown
};

// Thread-table lookups the engine needs for proc.pname / proc.aname[n] / proc.sname.
class ProcessLookup {
 public:
  virtual ~ProcessLookup() = default;
  virtual const ProcessInfo* find(int64_t pid) const = 0;
};

// Per-event arguments, named after Falco's evt.arg.* where they map one to one.
struct EventArgs {
  std::string_view path;    // name / pathname / filename / path / oldpath / target / dev
  std::string_view path2;   // newpath / linkpath / dir / fstype
  std::string_view data;    // other string arg (memfd name, ...)
  uint32_t flags = 0;       // open/clone/mount/memfd flags (kernel values)
  uint32_t mode = 0;
  int64_t fd = -1;          // fd argument (dup oldfd, close fd...)
  int64_t fd2 = -1;         // dup newfd
  int64_t pid = 0;          // ptrace/kill target pid
  int64_t request = 0;      // ptrace request, prctl option, bpf cmd
  uint32_t uid = UINT32_MAX, gid = UINT32_MAX;  // setuid/setgid targets
  uint32_t nstype = 0;      // setns / unshare flags
  // Added for the rules engine (evt.arg.domain / type / proto of socket()).
  uint32_t domain = 0, sock_type = 0, protocol = 0;
};

struct AuditEvent;  // audit_event.h

struct Event {
  EventType type = EventType::kUnknown;
  char dir = '<';           // Falco's evt.dir; riposte emits exit events only
  uint64_t ts_ns = 0;       // wall-clock ns since the Unix epoch
  uint64_t num = 0;         // sequence number (evt.num)
  int64_t res = 0;          // syscall return value
  int32_t cpu = -1;         // the CPU the kernel saw it on (evt.cpu); -1 = not from the kernel
  const ProcessInfo* proc = nullptr;
  const ProcessLookup* procs = nullptr;
  const FdInfo* fd = nullptr;  // the fd the event is about, when known
  EventArgs args;
  // Set only for EventType::kPluginEvent: the Kubernetes audit event the k8s_audit rules read
  // (ka.*, jevt.*). Syscall events leave it null.
  const AuditEvent* audit = nullptr;
};

}  // namespace riposte::detector
