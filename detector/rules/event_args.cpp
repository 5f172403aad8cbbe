// evt.arg.* / evt.rawarg.* / evt.args: each event type's parameters in Falco's order and their
// rendering as Falco prints them (flag names, errno names, ptrace requests, bpf commands,
// address families).
#include "detector/rules/event_args.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <array>
#include <charconv>

#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

namespace {

constexpr std::array<std::string_view, kArgCount> kArgNames = {
    "",       "name",      "path", "filename", "pathname", "exe",   "oldpath", "newpath",
    "target", "linkpath",  "dev",  "dir",      "type",     "flags", "mode",    "fd",
    "oldfd",  "newfd",     "pid",  "request",  "uid",      "gid",   "ruid",    "euid",
    "suid",   "rgid",      "egid", "sgid",     "nstype",   "cmd",   "domain",  "proto",
    "res",    "res_or_fd", "data", "option",   "sig"};

}  // namespace

uint16_t arg_id(std::string_view key) {
  for (uint16_t i = 1; i < kArgCount; ++i)
    if (kArgNames[i] == key) return i;
  return kArgUnknown;
}

bool arg_is_numeric(uint16_t a) {
  switch (a) {
    case kArgFlags:
    case kArgMode:
    case kArgFd:
    case kArgOldfd:
    case kArgNewfd:
    case kArgPid:
    case kArgRequest:
    case kArgUid:
    case kArgGid:
    case kArgRuid:
    case kArgEuid:
    case kArgSuid:
    case kArgRgid:
    case kArgEgid:
    case kArgSgid:
    case kArgNstype:
    case kArgCmd:
    case kArgDomain:
    case kArgProto:
    case kArgRes:
    case kArgResOrFd:
    case kArgOption:
    case kArgSig:
      return true;
    default:
      return false;
  }
}

using ET = EventType;

namespace {

// The parameters of each event type, in Falco's order (res first where Falco has it), from the
// args column of detector/event/event_types.h. GENERIC events expose every parameter riposte
// models.
struct ArgList {
  const uint16_t* ids;
  size_t n;
};
#define ARGS(...)                                  \
  {                                                \
    static constexpr uint16_t a[] = {__VA_ARGS__}; \
    return ArgList{a, sizeof(a) / sizeof(a[0])};   \
  }
#define GENERIC return ArgList{nullptr, 0};
#define ARG_LIST_CASE(type, name, args) \
  case ET::k##type:                     \
    args
ArgList args_of(EventType t) {
  switch (t) {
    RIPOSTE_EVENT_TYPES(ARG_LIST_CASE)
    default:
      return ArgList{nullptr, 0};
  }
}
#undef ARG_LIST_CASE
#undef GENERIC
#undef ARGS

}  // namespace

bool event_has_arg(EventType t, uint16_t a) {
  ArgList l = args_of(t);
  if (l.ids == nullptr) return a != kArgUnknown;
  for (size_t i = 0; i < l.n; ++i)
    if (l.ids[i] == a) return true;
  return false;
}

namespace {

// ---------------------------------------------------------------------------------------
// Flag renderers

struct FlagName {
  uint64_t bit;
  std::string_view name;
};

void append_flags(uint64_t v, const FlagName* names, size_t n, std::string* out) {
  bool first = true;
  for (size_t i = 0; i < n; ++i) {
    if ((v & names[i].bit) == names[i].bit && names[i].bit != 0) {
      if (!first) *out += '|';
      *out += names[i].name;
      first = false;
    }
  }
}

}  // namespace

void append_int(int64_t v, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void append_uint(uint64_t v, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

namespace {

void render_open_flags(uint32_t f, std::string* out) {
  switch (f & O_ACCMODE) {
    case O_RDONLY:
      *out += "O_RDONLY";
      break;
    case O_WRONLY:
      *out += "O_WRONLY";
      break;
    case O_RDWR:
      *out += "O_RDWR";
      break;
    default:
      break;
  }
  static const FlagName kOpen[] = {
      {O_CREAT, "O_CREAT"},         {O_EXCL, "O_EXCL"},       {O_NOCTTY, "O_NOCTTY"},
      {O_TRUNC, "O_TRUNC"},         {O_APPEND, "O_APPEND"},   {O_NONBLOCK, "O_NONBLOCK"},
      {O_DSYNC, "O_DSYNC"},         {O_DIRECT, "O_DIRECT"},   {O_DIRECTORY, "O_DIRECTORY"},
      {O_NOFOLLOW, "O_NOFOLLOW"},   {O_NOATIME, "O_NOATIME"}, {O_CLOEXEC, "O_CLOEXEC"},
      {O_PATH, "O_PATH"},           {O_TMPFILE, "O_TMPFILE"}, {O_SYNC, "O_SYNC"},
      {O_LARGEFILE, "O_LARGEFILE"},
  };
  for (const auto& fl : kOpen) {
    if (fl.bit != 0 && (f & fl.bit) == fl.bit) {
      if (!out->empty() && out->back() != '|') *out += '|';
      *out += fl.name;
    }
  }
}

void render_mode(uint32_t m, std::string* out) {
  static const FlagName kMode[] = {
      {S_IXOTH, "S_IXOTH"}, {S_IWOTH, "S_IWOTH"}, {S_IROTH, "S_IROTH"}, {S_IXGRP, "S_IXGRP"},
      {S_IWGRP, "S_IWGRP"}, {S_IRGRP, "S_IRGRP"}, {S_IXUSR, "S_IXUSR"}, {S_IWUSR, "S_IWUSR"},
      {S_IRUSR, "S_IRUSR"}, {S_ISVTX, "S_ISVTX"}, {S_ISGID, "S_ISGID"}, {S_ISUID, "S_ISUID"},
  };
  append_flags(m, kMode, std::size(kMode), out);
}

void render_clone_flags(uint32_t f, std::string* out) {
  static const FlagName kClone[] = {
      {CLONE_FILES, "CLONE_FILES"},
      {CLONE_FS, "CLONE_FS"},
      {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
      {CLONE_NEWIPC, "CLONE_NEWIPC"},
      {CLONE_NEWNET, "CLONE_NEWNET"},
      {CLONE_NEWNS, "CLONE_NEWNS"},
      {CLONE_NEWPID, "CLONE_NEWPID"},
      {CLONE_NEWUTS, "CLONE_NEWUTS"},
      {CLONE_NEWUSER, "CLONE_NEWUSER"},
      {CLONE_PARENT, "CLONE_PARENT"},
      {CLONE_PTRACE, "CLONE_PTRACE"},
      {CLONE_SIGHAND, "CLONE_SIGHAND"},
      {CLONE_SYSVSEM, "CLONE_SYSVSEM"},
      {CLONE_THREAD, "CLONE_THREAD"},
      {CLONE_UNTRACED, "CLONE_UNTRACED"},
      {CLONE_VFORK, "CLONE_VFORK"},
      {CLONE_VM, "CLONE_VM"},
  };
  append_flags(f, kClone, std::size(kClone), out);
}

void render_mount_flags(uint32_t f, std::string* out) {
  static const FlagName kMount[] = {
      {MS_RDONLY, "RDONLY"},
      {MS_NOSUID, "NOSUID"},
      {MS_NODEV, "NODEV"},
      {MS_NOEXEC, "NOEXEC"},
      {MS_SYNCHRONOUS, "SYNCHRONOUS"},
      {MS_REMOUNT, "REMOUNT"},
      {MS_MANDLOCK, "MANDLOCK"},
      {MS_DIRSYNC, "DIRSYNC"},
      {MS_NOATIME, "NOATIME"},
      {MS_NODIRATIME, "NODIRATIME"},
      {MS_BIND, "BIND"},
      {MS_MOVE, "MOVE"},
      {MS_REC, "REC"},
      {MS_SILENT, "SILENT"},
      {MS_POSIXACL, "POSIXACL"},
      {MS_UNBINDABLE, "UNBINDABLE"},
      {MS_PRIVATE, "PRIVATE"},
      {MS_SLAVE, "SLAVE"},
      {MS_SHARED, "SHARED"},
      {MS_RELATIME, "RELATIME"},
      {MS_STRICTATIME, "STRICTATIME"},
  };
  append_flags(f, kMount, std::size(kMount), out);
}

void render_exe_flags(const ProcessInfo* p, std::string* out) {
  if (p == nullptr) return;
  auto add = [&](std::string_view n) {
    if (!out->empty()) *out += '|';
    *out += n;
  };
  if (p->exe_writable) add("EXE_WRITABLE");
  if (p->exe_upper_layer) {
    add("EXE_UPPER_LAYER");
  } else if (p->container != nullptr) {
    add("EXE_LOWER_LAYER");  // container root filesystems are overlays
  }
  if (p->exe_from_memfd) add("EXE_FROM_MEMFD");
}

std::string_view ptrace_request_name(int64_t r) {
  switch (r) {
    case 0:
      return "PTRACE_TRACEME";
    case 1:
      return "PTRACE_PEEKTEXT";
    case 2:
      return "PTRACE_PEEKDATA";
    case 3:
      return "PTRACE_PEEKUSR";
    case 4:
      return "PTRACE_POKETEXT";
    case 5:
      return "PTRACE_POKEDATA";
    case 6:
      return "PTRACE_POKEUSR";
    case 7:
      return "PTRACE_CONT";
    case 8:
      return "PTRACE_KILL";
    case 9:
      return "PTRACE_SINGLESTEP";
    case 12:
      return "PTRACE_GETREGS";
    case 13:
      return "PTRACE_SETREGS";
    case 14:
      return "PTRACE_GETFPREGS";
    case 15:
      return "PTRACE_SETFPREGS";
    case 16:
      return "PTRACE_ATTACH";
    case 17:
      return "PTRACE_DETACH";
    case 18:
      return "PTRACE_GETFPXREGS";
    case 19:
      return "PTRACE_SETFPXREGS";
    case 24:
      return "PTRACE_SYSCALL";
    case 0x4200:
      return "PTRACE_SETOPTIONS";
    case 0x4201:
      return "PTRACE_GETEVENTMSG";
    case 0x4202:
      return "PTRACE_GETSIGINFO";
    case 0x4203:
      return "PTRACE_SETSIGINFO";
    case 0x4204:
      return "PTRACE_GETREGSET";
    case 0x4205:
      return "PTRACE_SETREGSET";
    case 0x4206:
      return "PTRACE_SEIZE";
    case 0x4207:
      return "PTRACE_INTERRUPT";
    case 0x4208:
      return "PTRACE_LISTEN";
    case 0x4209:
      return "PTRACE_PEEKSIGINFO";
    default:
      return {};
  }
}

std::string_view bpf_cmd_name(int64_t c) {
  static constexpr std::string_view kNames[] = {
      "BPF_MAP_CREATE",        "BPF_MAP_LOOKUP_ELEM",
      "BPF_MAP_UPDATE_ELEM",   "BPF_MAP_DELETE_ELEM",
      "BPF_MAP_GET_NEXT_KEY",  "BPF_PROG_LOAD",
      "BPF_OBJ_PIN",           "BPF_OBJ_GET",
      "BPF_PROG_ATTACH",       "BPF_PROG_DETACH",
      "BPF_PROG_TEST_RUN",     "BPF_PROG_GET_NEXT_ID",
      "BPF_MAP_GET_NEXT_ID",   "BPF_PROG_GET_FD_BY_ID",
      "BPF_MAP_GET_FD_BY_ID",  "BPF_OBJ_GET_INFO_BY_FD",
      "BPF_PROG_QUERY",        "BPF_RAW_TRACEPOINT_OPEN",
      "BPF_BTF_LOAD",          "BPF_BTF_GET_FD_BY_ID",
      "BPF_TASK_FD_QUERY",     "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
      "BPF_MAP_FREEZE",        "BPF_BTF_GET_NEXT_ID",
      "BPF_MAP_LOOKUP_BATCH",  "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
      "BPF_MAP_UPDATE_BATCH",  "BPF_MAP_DELETE_BATCH",
      "BPF_LINK_CREATE",       "BPF_LINK_UPDATE",
      "BPF_LINK_GET_FD_BY_ID", "BPF_LINK_GET_NEXT_ID",
      "BPF_ENABLE_STATS",      "BPF_ITER_CREATE",
      "BPF_LINK_DETACH",       "BPF_PROG_BIND_MAP"};
  if (c >= 0 && static_cast<size_t>(c) < std::size(kNames)) return kNames[c];
  return {};
}

std::string_view af_name(uint32_t d) {
  switch (d) {
    case 0:
      return "AF_UNSPEC";
    case 1:
      return "AF_UNIX";
    case 2:
      return "AF_INET";
    case 10:
      return "AF_INET6";
    case 16:
      return "AF_NETLINK";
    case 17:
      return "AF_PACKET";
    case 38:
      return "AF_ALG";
    case 40:
      return "AF_VSOCK";
    case 44:
      return "AF_XDP";
    default:
      return {};
  }
}

}  // namespace

void render_event_arg(const EvalContext& c, uint16_t a, bool raw, Out* o) {
  const Event& ev = *c.ev;
  const EventArgs& args = ev.args;
  auto num = [&](int64_t v) {
    if (raw) {
      o->num(v);
    } else {
      std::string& b = c.scratch->buffer();
      append_int(v, &b);
      o->str(b);
    }
  };
  auto named = [&](int64_t v, std::string_view name) {
    if (raw || name.empty()) return num(v);
    o->str(name);
  };
  switch (a) {
    case kArgName:
    case kArgPath:
    case kArgFilename:
    case kArgPathname:
    case kArgExe:
    case kArgOldpath:
    case kArgTarget:
    case kArgDev:
      if (ev.type == ET::kMemfdCreate) {
        o->str(args.data);
      } else if (a == kArgExe && ev.proc != nullptr && args.path.empty()) {
        o->str(ev.proc->exe);
      } else {
        o->str(args.path);
      }
      return;
    case kArgNewpath:
    case kArgLinkpath:
    case kArgDir:
      o->str(args.path2);
      return;
    case kArgType:
      if (ev.type == ET::kSocket) return num(args.sock_type);
      o->str(args.data);
      return;
    case kArgData:
      o->str(args.data);
      return;
    case kArgFlags: {
      uint32_t f = args.flags;
      if (raw) return num(f);
      std::string& b = c.scratch->buffer();
      switch (ev.type) {
        case ET::kOpen:
        case ET::kOpenat:
        case ET::kOpenat2:
        case ET::kCreat:
          open_flags(ev, &f);
          render_open_flags(f, &b);
          break;
        case ET::kExecve:
        case ET::kExecveat:
          render_exe_flags(ev.proc, &b);
          break;
        case ET::kClone:
        case ET::kClone3:
        case ET::kFork:
        case ET::kVfork:
          render_clone_flags(f, &b);
          break;
        case ET::kUnshare:
          render_clone_flags(f != 0 ? f : args.nstype, &b);
          break;
        case ET::kMount:
        case ET::kUmount:
        case ET::kUmount2:
          render_mount_flags(f, &b);
          break;
        case ET::kMemfdCreate: {
          static const FlagName kMfd[] = {
              {1, "MFD_CLOEXEC"}, {2, "MFD_ALLOW_SEALING"}, {4, "MFD_HUGETLB"}};
          append_flags(f, kMfd, std::size(kMfd), &b);
          break;
        }
        default:
          append_uint(f, &b);
      }
      o->str(b);
      return;
    }
    case kArgMode: {
      if (raw) return num(args.mode);
      std::string& b = c.scratch->buffer();
      render_mode(args.mode, &b);
      o->str(b);
      return;
    }
    case kArgFd:
    case kArgOldfd:
      if (ev.type == ET::kOpen || ev.type == ET::kOpenat || ev.type == ET::kOpenat2 ||
          ev.type == ET::kCreat || ev.type == ET::kMemfdCreate || ev.type == ET::kSocket)
        return num(ev.res);
      return num(args.fd);
    case kArgNewfd:
      return num(args.fd2);
    case kArgPid:
      return num(args.pid);
    case kArgRequest:
      return named(args.request, ptrace_request_name(args.request));
    case kArgOption:
      return num(args.request);
    case kArgSig:
      return num(args.request);
    case kArgUid:
    case kArgRuid:
    case kArgEuid:
    case kArgSuid:
      return num(args.uid == UINT32_MAX ? -1 : static_cast<int64_t>(args.uid));
    case kArgGid:
    case kArgRgid:
    case kArgEgid:
    case kArgSgid:
      return num(args.gid == UINT32_MAX ? -1 : static_cast<int64_t>(args.gid));
    case kArgNstype: {
      if (raw) return num(args.nstype);
      std::string& b = c.scratch->buffer();
      render_clone_flags(args.nstype, &b);
      o->str(b);
      return;
    }
    case kArgCmd:
      return named(args.request, bpf_cmd_name(args.request));
    case kArgDomain:
      return named(args.domain, af_name(args.domain));
    case kArgProto:
      return num(args.protocol);
    case kArgRes:
    case kArgResOrFd: {
      if (raw || ev.res >= 0) return num(ev.res);
      std::string& b = c.scratch->buffer();
      append_int(ev.res, &b);
      std::string_view en = errno_name(-ev.res);
      if (!en.empty()) {
        b += '(';
        b += en;
        b += ')';
      }
      o->str(b);
      return;
    }
    default:
      return;
  }
}

void render_all_args(const EvalContext& c, std::string* out) {
  ArgList l = args_of(c.ev->type);
  static constexpr uint16_t kGeneric[] = {kArgRes};
  if (l.ids == nullptr) l = ArgList{kGeneric, 1};
  FieldValue vals[1];
  for (size_t i = 0; i < l.n; ++i) {
    Out o{vals, 1, 0, FieldType::kString};
    render_event_arg(c, l.ids[i], false, &o);
    if (o.n == 0) continue;
    if (!out->empty()) *out += ' ';
    *out += kArgNames[l.ids[i]];
    *out += '=';
    *out += vals[0].str;
  }
}

}  // namespace riposte::detector::rules
