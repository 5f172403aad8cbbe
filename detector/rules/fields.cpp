// Over 600 lines because the catalogue, extract_field's one switch over every field and the
// fast getters are still one unit: splitting them into per-family tables (evt, proc/thread,
// user/group, fd, container, k8s; one row per field with its extractor, fast getter and cost)
// is issue 14's next step. Until then FastGetters.AgreeWithExtractFieldOnEveryEvent
// (tests/detector/rules/fast_getters_test.cpp) holds the two paths together.
#include "detector/rules/fields.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <charconv>
#include <cstring>
#include <ctime>

namespace riposte::detector::rules {

enum class FieldId : uint16_t {
  // evt
  kEvtType, kEvtDir, kEvtTime, kEvtTimeS, kEvtTimeIso8601, kEvtDatetime, kEvtRawtime,
  kEvtRawtimeS, kEvtRawtimeNs, kEvtNum, kEvtRes, kEvtRawres, kEvtFailed, kEvtIsOpenRead,
  kEvtIsOpenWrite, kEvtIsOpenExec, kEvtIsOpenCreate, kEvtHostname, kEvtArgs, kEvtArg,
  kEvtRawarg, kEvtBuffer, kEvtSource, kEvtIsAsync, kEvtCategory, kSyscallType,
  // proc / thread
  kProcName, kProcExe, kProcExepath, kProcPexe, kProcPexepath, kProcAexe, kProcAexepath,
  kProcCmdline, kProcPcmdline, kProcAcmdline, kProcExeline, kProcArgs, kProcCmdnargs,
  kProcCmdlenargs, kProcPname, kProcAname, kProcPid, kProcPpid, kProcApid, kProcVpid,
  kProcPvpid, kProcSid, kProcSname, kProcSidExe, kProcSidExepath, kProcVpgid, kProcVpgidName,
  kProcVpgidExe, kProcVpgidExepath, kProcIsVpgidLeader, kProcIsSidLeader, kProcTty, kProcCwd,
  kProcDuration, kProcPpidDuration, kProcPidTs, kProcPpidTs, kProcEnv, kProcIsExeUpperLayer,
  kProcIsExeFromMemfd, kProcIsExeWritable, kProcExeIno, kProcExeInoCtime, kProcExeInoMtime,
  kProcExeInoCtimeDurationProcStart, kProcExeInoCtimeDurationPidnsStart, kProcPidnsInitStartTs,
  kProcIsContainerHealthcheck, kProcIsContainerLivenessProbe, kProcIsContainerReadinessProbe,
  kThreadTid, kThreadVtid, kThreadCapEffective, kThreadCapPermitted, kThreadCapInheritable,
  // user / group
  kUserUid, kUserName, kUserLoginuid, kUserLoginname, kGroupGid, kGroupName,
  // fd
  kFdNum, kFdType, kFdTypechar, kFdName, kFdNameraw, kFdDirectory, kFdFilename, kFdIp, kFdCip,
  kFdSip, kFdLip, kFdRip, kFdPort, kFdCport, kFdSport, kFdLport, kFdRport, kFdL4proto,
  kFdSockfamily, kFdIsServer, kFdNet, kFdCnet, kFdSnet, kFdLnet, kFdRnet, kFdCipName,
  kFdSipName, kFdLipName, kFdRipName, kFdConnected, kFdNameChanged,
  // container / k8s
  kContainerId, kContainerFullId, kContainerName, kContainerImage, kContainerImageRepository,
  kContainerImageTag, kContainerType, kContainerPrivileged, kContainerStartTs,
  kContainerDuration, kContainerMounts, kContainerMountSource, kContainerMountDest,
  kContainerInfo, kK8sNsName, kK8sPodName, kK8sPodUid, kK8sPodLabel, kK8sPodLabels,
};

namespace {

enum class ArgMode : uint8_t { kNone, kIndexOptional, kKeyRequired, kKeyOptional };

struct FieldDef {
  std::string_view name;
  FieldId id;
  FieldType type;
  ArgMode arg = ArgMode::kNone;
  bool dotted = false;  // "name.key" accepted as well as "name[key]"
};

using T = FieldType;
using F = FieldId;
using A = ArgMode;

constexpr FieldDef kFields[] = {
    {"evt.type", F::kEvtType, T::kString},
    {"evt.dir", F::kEvtDir, T::kString},
    {"evt.time", F::kEvtTime, T::kString},
    {"evt.time.s", F::kEvtTimeS, T::kString},
    {"evt.time.iso8601", F::kEvtTimeIso8601, T::kString},
    {"evt.datetime", F::kEvtDatetime, T::kString},
    {"evt.rawtime", F::kEvtRawtime, T::kInt},
    {"evt.rawtime.s", F::kEvtRawtimeS, T::kInt},
    {"evt.rawtime.ns", F::kEvtRawtimeNs, T::kInt},
    {"evt.num", F::kEvtNum, T::kInt},
    {"evt.res", F::kEvtRes, T::kString},
    {"evt.rawres", F::kEvtRawres, T::kInt},
    {"evt.failed", F::kEvtFailed, T::kBool},
    {"evt.is_open_read", F::kEvtIsOpenRead, T::kBool},
    {"evt.is_open_write", F::kEvtIsOpenWrite, T::kBool},
    {"evt.is_open_exec", F::kEvtIsOpenExec, T::kBool},
    {"evt.is_open_create", F::kEvtIsOpenCreate, T::kBool},
    {"evt.hostname", F::kEvtHostname, T::kString},
    {"evt.args", F::kEvtArgs, T::kString},
    {"evt.arg", F::kEvtArg, T::kString, A::kKeyRequired, true},
    {"evt.rawarg", F::kEvtRawarg, T::kString, A::kKeyRequired, true},
    {"evt.buffer", F::kEvtBuffer, T::kBytes},
    {"evt.source", F::kEvtSource, T::kString},
    {"evt.is_async", F::kEvtIsAsync, T::kBool},
    {"evt.category", F::kEvtCategory, T::kString},
    {"syscall.type", F::kSyscallType, T::kString},

    {"proc.name", F::kProcName, T::kString},
    {"proc.exe", F::kProcExe, T::kString},
    {"proc.exepath", F::kProcExepath, T::kString},
    {"proc.pexe", F::kProcPexe, T::kString},
    {"proc.pexepath", F::kProcPexepath, T::kString},
    {"proc.aexe", F::kProcAexe, T::kString, A::kIndexOptional},
    {"proc.aexepath", F::kProcAexepath, T::kString, A::kIndexOptional},
    {"proc.cmdline", F::kProcCmdline, T::kString},
    {"proc.pcmdline", F::kProcPcmdline, T::kString},
    {"proc.acmdline", F::kProcAcmdline, T::kString, A::kIndexOptional},
    {"proc.exeline", F::kProcExeline, T::kString},
    {"proc.args", F::kProcArgs, T::kString, A::kIndexOptional},
    {"proc.cmdnargs", F::kProcCmdnargs, T::kInt},
    {"proc.cmdlenargs", F::kProcCmdlenargs, T::kInt},
    {"proc.pname", F::kProcPname, T::kString},
    {"proc.aname", F::kProcAname, T::kString, A::kIndexOptional},
    {"proc.pid", F::kProcPid, T::kInt},
    {"proc.ppid", F::kProcPpid, T::kInt},
    {"proc.apid", F::kProcApid, T::kInt, A::kIndexOptional},
    {"proc.vpid", F::kProcVpid, T::kInt},
    {"proc.pvpid", F::kProcPvpid, T::kInt},
    {"proc.sid", F::kProcSid, T::kInt},
    {"proc.sname", F::kProcSname, T::kString},
    {"proc.sid.exe", F::kProcSidExe, T::kString},
    {"proc.sid.exepath", F::kProcSidExepath, T::kString},
    {"proc.vpgid", F::kProcVpgid, T::kInt},
    {"proc.vpgid.name", F::kProcVpgidName, T::kString},
    {"proc.vpgid.exe", F::kProcVpgidExe, T::kString},
    {"proc.vpgid.exepath", F::kProcVpgidExepath, T::kString},
    {"proc.is_vpgid_leader", F::kProcIsVpgidLeader, T::kBool},
    {"proc.is_sid_leader", F::kProcIsSidLeader, T::kBool},
    {"proc.tty", F::kProcTty, T::kInt},
    {"proc.cwd", F::kProcCwd, T::kString},
    {"proc.duration", F::kProcDuration, T::kRelTime},
    {"proc.ppid.duration", F::kProcPpidDuration, T::kRelTime},
    {"proc.pid.ts", F::kProcPidTs, T::kAbsTime},
    {"proc.ppid.ts", F::kProcPpidTs, T::kAbsTime},
    {"proc.env", F::kProcEnv, T::kString, A::kKeyOptional},
    {"proc.is_exe_upper_layer", F::kProcIsExeUpperLayer, T::kBool},
    {"proc.is_exe_from_memfd", F::kProcIsExeFromMemfd, T::kBool},
    {"proc.is_exe_writable", F::kProcIsExeWritable, T::kBool},
    {"proc.exe_ino", F::kProcExeIno, T::kInt},
    {"proc.exe_ino.ctime", F::kProcExeInoCtime, T::kAbsTime},
    {"proc.exe_ino.mtime", F::kProcExeInoMtime, T::kAbsTime},
    {"proc.exe_ino.ctime_duration_proc_start", F::kProcExeInoCtimeDurationProcStart,
     T::kRelTime},
    {"proc.exe_ino.ctime_duration_pidns_start", F::kProcExeInoCtimeDurationPidnsStart,
     T::kRelTime},
    {"proc.pidns_init_start_ts", F::kProcPidnsInitStartTs, T::kAbsTime},
    {"proc.is_container_healthcheck", F::kProcIsContainerHealthcheck, T::kBool},
    {"proc.is_container_liveness_probe", F::kProcIsContainerLivenessProbe, T::kBool},
    {"proc.is_container_readiness_probe", F::kProcIsContainerReadinessProbe, T::kBool},
    {"thread.tid", F::kThreadTid, T::kInt},
    {"thread.vtid", F::kThreadVtid, T::kInt},
    {"thread.cap_effective", F::kThreadCapEffective, T::kString},
    {"thread.cap_permitted", F::kThreadCapPermitted, T::kString},
    {"thread.cap_inheritable", F::kThreadCapInheritable, T::kString},

    {"user.uid", F::kUserUid, T::kInt},
    {"user.name", F::kUserName, T::kString},
    {"user.loginuid", F::kUserLoginuid, T::kInt},
    {"user.loginname", F::kUserLoginname, T::kString},
    {"group.gid", F::kGroupGid, T::kInt},
    {"group.name", F::kGroupName, T::kString},

    {"fd.num", F::kFdNum, T::kInt},
    {"fd.type", F::kFdType, T::kString},
    {"fd.typechar", F::kFdTypechar, T::kString},
    {"fd.name", F::kFdName, T::kString},
    {"fd.nameraw", F::kFdNameraw, T::kString},
    {"fd.directory", F::kFdDirectory, T::kString},
    {"fd.filename", F::kFdFilename, T::kString},
    {"fd.ip", F::kFdIp, T::kIp},
    {"fd.cip", F::kFdCip, T::kIp},
    {"fd.sip", F::kFdSip, T::kIp},
    {"fd.lip", F::kFdLip, T::kIp},
    {"fd.rip", F::kFdRip, T::kIp},
    {"fd.port", F::kFdPort, T::kPort},
    {"fd.cport", F::kFdCport, T::kPort},
    {"fd.sport", F::kFdSport, T::kPort},
    {"fd.lport", F::kFdLport, T::kPort},
    {"fd.rport", F::kFdRport, T::kPort},
    {"fd.l4proto", F::kFdL4proto, T::kString},
    {"fd.sockfamily", F::kFdSockfamily, T::kString},
    {"fd.is_server", F::kFdIsServer, T::kBool},
    {"fd.net", F::kFdNet, T::kIpNet},
    {"fd.cnet", F::kFdCnet, T::kIpNet},
    {"fd.snet", F::kFdSnet, T::kIpNet},
    {"fd.lnet", F::kFdLnet, T::kIpNet},
    {"fd.rnet", F::kFdRnet, T::kIpNet},
    {"fd.cip.name", F::kFdCipName, T::kString},
    {"fd.sip.name", F::kFdSipName, T::kString},
    {"fd.lip.name", F::kFdLipName, T::kString},
    {"fd.rip.name", F::kFdRipName, T::kString},
    {"fd.connected", F::kFdConnected, T::kBool},
    {"fd.name_changed", F::kFdNameChanged, T::kBool},

    {"container.id", F::kContainerId, T::kString},
    {"container.full_id", F::kContainerFullId, T::kString},
    {"container.name", F::kContainerName, T::kString},
    {"container.image", F::kContainerImage, T::kString},
    {"container.image.repository", F::kContainerImageRepository, T::kString},
    {"container.image.tag", F::kContainerImageTag, T::kString},
    {"container.type", F::kContainerType, T::kString},
    {"container.privileged", F::kContainerPrivileged, T::kBool},
    {"container.start_ts", F::kContainerStartTs, T::kAbsTime},
    {"container.duration", F::kContainerDuration, T::kRelTime},
    {"container.mounts", F::kContainerMounts, T::kString},
    {"container.mount.source", F::kContainerMountSource, T::kString, A::kKeyRequired},
    {"container.mount.dest", F::kContainerMountDest, T::kString, A::kKeyRequired},
    {"container.info", F::kContainerInfo, T::kString},
    {"k8s.ns.name", F::kK8sNsName, T::kString},
    {"k8s.pod.name", F::kK8sPodName, T::kString},
    {"k8s.pod.uid", F::kK8sPodUid, T::kString},
    {"k8s.pod.id", F::kK8sPodUid, T::kString},
    {"k8s.pod.label", F::kK8sPodLabel, T::kString, A::kKeyRequired, true},
    {"k8s.pod.labels", F::kK8sPodLabels, T::kString},
};

const FieldDef* find_def(std::string_view name) {
  for (const auto& d : kFields)
    if (d.name == name) return &d;
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// evt.arg.* names

enum ArgName : uint16_t {
  kArgUnknown = 0, kArgName, kArgPath, kArgFilename, kArgPathname, kArgExe, kArgOldpath,
  kArgNewpath, kArgTarget, kArgLinkpath, kArgDev, kArgDir, kArgType, kArgFlags, kArgMode,
  kArgFd, kArgOldfd, kArgNewfd, kArgPid, kArgRequest, kArgUid, kArgGid, kArgRuid, kArgEuid,
  kArgSuid, kArgRgid, kArgEgid, kArgSgid, kArgNstype, kArgCmd, kArgDomain, kArgProto,
  kArgRes, kArgResOrFd, kArgData, kArgOption, kArgSig, kArgCount
};

constexpr std::array<std::string_view, kArgCount> kArgNames = {
    "", "name", "path", "filename", "pathname", "exe", "oldpath", "newpath", "target",
    "linkpath", "dev", "dir", "type", "flags", "mode", "fd", "oldfd", "newfd", "pid", "request",
    "uid", "gid", "ruid", "euid", "suid", "rgid", "egid", "sgid", "nstype", "cmd", "domain",
    "proto", "res", "res_or_fd", "data", "option", "sig"};

uint16_t arg_id(std::string_view key) {
  for (uint16_t i = 1; i < kArgCount; ++i)
    if (kArgNames[i] == key) return i;
  return kArgUnknown;
}

bool arg_is_numeric(uint16_t a) {
  switch (a) {
    case kArgFlags: case kArgMode: case kArgFd: case kArgOldfd: case kArgNewfd: case kArgPid:
    case kArgRequest: case kArgUid: case kArgGid: case kArgRuid: case kArgEuid: case kArgSuid:
    case kArgRgid: case kArgEgid: case kArgSgid: case kArgNstype: case kArgCmd:
    case kArgDomain: case kArgProto: case kArgRes: case kArgResOrFd: case kArgOption:
    case kArgSig:
      return true;
    default:
      return false;
  }
}

using ET = EventType;

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

bool event_has_arg(EventType t, uint16_t a) {
  ArgList l = args_of(t);
  if (l.ids == nullptr) return a != kArgUnknown;
  for (size_t i = 0; i < l.n; ++i)
    if (l.ids[i] == a) return true;
  return false;
}

bool is_open_family(EventType t) {
  return t == ET::kOpen || t == ET::kOpenat || t == ET::kOpenat2 || t == ET::kCreat ||
         t == ET::kOpenByHandleAt;
}

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

void render_open_flags(uint32_t f, std::string* out) {
  switch (f & O_ACCMODE) {
    case O_RDONLY: *out += "O_RDONLY"; break;
    case O_WRONLY: *out += "O_WRONLY"; break;
    case O_RDWR: *out += "O_RDWR"; break;
    default: break;
  }
  static const FlagName kOpen[] = {
      {O_CREAT, "O_CREAT"},         {O_EXCL, "O_EXCL"},           {O_NOCTTY, "O_NOCTTY"},
      {O_TRUNC, "O_TRUNC"},         {O_APPEND, "O_APPEND"},       {O_NONBLOCK, "O_NONBLOCK"},
      {O_DSYNC, "O_DSYNC"},         {O_DIRECT, "O_DIRECT"},       {O_DIRECTORY, "O_DIRECTORY"},
      {O_NOFOLLOW, "O_NOFOLLOW"},   {O_NOATIME, "O_NOATIME"},     {O_CLOEXEC, "O_CLOEXEC"},
      {O_PATH, "O_PATH"},           {O_TMPFILE, "O_TMPFILE"},     {O_SYNC, "O_SYNC"},
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
      {CLONE_FILES, "CLONE_FILES"},       {CLONE_FS, "CLONE_FS"},
      {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {CLONE_NEWIPC, "CLONE_NEWIPC"},
      {CLONE_NEWNET, "CLONE_NEWNET"},     {CLONE_NEWNS, "CLONE_NEWNS"},
      {CLONE_NEWPID, "CLONE_NEWPID"},     {CLONE_NEWUTS, "CLONE_NEWUTS"},
      {CLONE_NEWUSER, "CLONE_NEWUSER"},   {CLONE_PARENT, "CLONE_PARENT"},
      {CLONE_PTRACE, "CLONE_PTRACE"},     {CLONE_SIGHAND, "CLONE_SIGHAND"},
      {CLONE_SYSVSEM, "CLONE_SYSVSEM"},   {CLONE_THREAD, "CLONE_THREAD"},
      {CLONE_UNTRACED, "CLONE_UNTRACED"}, {CLONE_VFORK, "CLONE_VFORK"},
      {CLONE_VM, "CLONE_VM"},
  };
  append_flags(f, kClone, std::size(kClone), out);
}

void render_mount_flags(uint32_t f, std::string* out) {
  static const FlagName kMount[] = {
      {MS_RDONLY, "RDONLY"},     {MS_NOSUID, "NOSUID"},     {MS_NODEV, "NODEV"},
      {MS_NOEXEC, "NOEXEC"},     {MS_SYNCHRONOUS, "SYNCHRONOUS"}, {MS_REMOUNT, "REMOUNT"},
      {MS_MANDLOCK, "MANDLOCK"}, {MS_DIRSYNC, "DIRSYNC"},   {MS_NOATIME, "NOATIME"},
      {MS_NODIRATIME, "NODIRATIME"}, {MS_BIND, "BIND"},     {MS_MOVE, "MOVE"},
      {MS_REC, "REC"},           {MS_SILENT, "SILENT"},     {MS_POSIXACL, "POSIXACL"},
      {MS_UNBINDABLE, "UNBINDABLE"}, {MS_PRIVATE, "PRIVATE"}, {MS_SLAVE, "SLAVE"},
      {MS_SHARED, "SHARED"},     {MS_RELATIME, "RELATIME"}, {MS_STRICTATIME, "STRICTATIME"},
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
    case 0: return "PTRACE_TRACEME";
    case 1: return "PTRACE_PEEKTEXT";
    case 2: return "PTRACE_PEEKDATA";
    case 3: return "PTRACE_PEEKUSR";
    case 4: return "PTRACE_POKETEXT";
    case 5: return "PTRACE_POKEDATA";
    case 6: return "PTRACE_POKEUSR";
    case 7: return "PTRACE_CONT";
    case 8: return "PTRACE_KILL";
    case 9: return "PTRACE_SINGLESTEP";
    case 12: return "PTRACE_GETREGS";
    case 13: return "PTRACE_SETREGS";
    case 14: return "PTRACE_GETFPREGS";
    case 15: return "PTRACE_SETFPREGS";
    case 16: return "PTRACE_ATTACH";
    case 17: return "PTRACE_DETACH";
    case 18: return "PTRACE_GETFPXREGS";
    case 19: return "PTRACE_SETFPXREGS";
    case 24: return "PTRACE_SYSCALL";
    case 0x4200: return "PTRACE_SETOPTIONS";
    case 0x4201: return "PTRACE_GETEVENTMSG";
    case 0x4202: return "PTRACE_GETSIGINFO";
    case 0x4203: return "PTRACE_SETSIGINFO";
    case 0x4204: return "PTRACE_GETREGSET";
    case 0x4205: return "PTRACE_SETREGSET";
    case 0x4206: return "PTRACE_SEIZE";
    case 0x4207: return "PTRACE_INTERRUPT";
    case 0x4208: return "PTRACE_LISTEN";
    case 0x4209: return "PTRACE_PEEKSIGINFO";
    default: return {};
  }
}

std::string_view bpf_cmd_name(int64_t c) {
  static constexpr std::string_view kNames[] = {
      "BPF_MAP_CREATE", "BPF_MAP_LOOKUP_ELEM", "BPF_MAP_UPDATE_ELEM", "BPF_MAP_DELETE_ELEM",
      "BPF_MAP_GET_NEXT_KEY", "BPF_PROG_LOAD", "BPF_OBJ_PIN", "BPF_OBJ_GET", "BPF_PROG_ATTACH",
      "BPF_PROG_DETACH", "BPF_PROG_TEST_RUN", "BPF_PROG_GET_NEXT_ID", "BPF_MAP_GET_NEXT_ID",
      "BPF_PROG_GET_FD_BY_ID", "BPF_MAP_GET_FD_BY_ID", "BPF_OBJ_GET_INFO_BY_FD",
      "BPF_PROG_QUERY", "BPF_RAW_TRACEPOINT_OPEN", "BPF_BTF_LOAD", "BPF_BTF_GET_FD_BY_ID",
      "BPF_TASK_FD_QUERY", "BPF_MAP_LOOKUP_AND_DELETE_ELEM", "BPF_MAP_FREEZE",
      "BPF_BTF_GET_NEXT_ID", "BPF_MAP_LOOKUP_BATCH", "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
      "BPF_MAP_UPDATE_BATCH", "BPF_MAP_DELETE_BATCH", "BPF_LINK_CREATE", "BPF_LINK_UPDATE",
      "BPF_LINK_GET_FD_BY_ID", "BPF_LINK_GET_NEXT_ID", "BPF_ENABLE_STATS", "BPF_ITER_CREATE",
      "BPF_LINK_DETACH", "BPF_PROG_BIND_MAP"};
  if (c >= 0 && static_cast<size_t>(c) < std::size(kNames)) return kNames[c];
  return {};
}

std::string_view af_name(uint32_t d) {
  switch (d) {
    case 0: return "AF_UNSPEC";
    case 1: return "AF_UNIX";
    case 2: return "AF_INET";
    case 10: return "AF_INET6";
    case 16: return "AF_NETLINK";
    case 17: return "AF_PACKET";
    case 38: return "AF_ALG";
    case 40: return "AF_VSOCK";
    case 44: return "AF_XDP";
    default: return {};
  }
}

constexpr std::string_view kCapNames[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
    "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON",
    "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};

void render_caps(uint64_t caps, std::string* out) {
  for (size_t i = 0; i < std::size(kCapNames); ++i) {
    if (caps & (uint64_t{1} << i)) {
      if (!out->empty()) *out += ' ';
      *out += kCapNames[i];
    }
  }
}

std::string_view fd_type_name(FdType t) {
  switch (t) {
    case FdType::kFile: return "file";
    case FdType::kDirectory: return "directory";
    case FdType::kIpv4: return "ipv4";
    case FdType::kIpv6: return "ipv6";
    case FdType::kUnix: return "unix";
    case FdType::kPipe: return "pipe";
    case FdType::kEvent: return "event";
    case FdType::kSignalfd: return "signalfd";
    case FdType::kEventpoll: return "eventpoll";
    case FdType::kInotify: return "inotify";
    case FdType::kTimerfd: return "timerfd";
    case FdType::kNetlink: return "netlink";
    case FdType::kBpf: return "bpf";
    case FdType::kUserfaultfd: return "userfaultfd";
    case FdType::kIoUring: return "io_uring";
    case FdType::kMemfd: return "memfd";
    case FdType::kUnknown: break;
  }
  return "unknown";
}

std::string_view fd_type_char(FdType t) {
  switch (t) {
    case FdType::kFile: return "f";
    case FdType::kDirectory: return "d";
    case FdType::kIpv4: return "4";
    case FdType::kIpv6: return "6";
    case FdType::kUnix: return "u";
    case FdType::kPipe: return "p";
    case FdType::kEvent: return "e";
    case FdType::kSignalfd: return "s";
    case FdType::kEventpoll: return "l";
    case FdType::kInotify: return "i";
    case FdType::kTimerfd: return "t";
    case FdType::kNetlink: return "n";
    case FdType::kBpf: return "b";
    case FdType::kUserfaultfd: return "u";
    case FdType::kIoUring: return "r";
    case FdType::kMemfd: return "m";
    case FdType::kUnknown: break;
  }
  return "o";
}

// ---------------------------------------------------------------------------------------
// Extraction helpers

struct Out {
  FieldValue* v;
  size_t cap;
  size_t n = 0;
  FieldType type;
  bool full() const { return n >= cap; }
  // Only the member the value's type reads is written (readers switch on the type).
  void str(std::string_view s) {
    if (full()) return;
    FieldValue& x = v[n++];
    x.type = type;
    x.str = s;
  }
  void num(int64_t i) {
    if (full()) return;
    FieldValue& x = v[n++];
    x.type = type;
    x.num = i;
  }
  void boolean(bool b) {
    if (full()) return;
    FieldValue& x = v[n++];
    x.type = type;
    x.flag = b;
  }
  void ip(const IpAddr& a) {
    if (full() || a.family == 0) return;
    FieldValue& x = v[n++];
    x.type = type;
    x.ip = a;
  }
};

const ProcessInfo* find_proc(const EvalContext& c, int64_t pid) {
  if (c.ev->procs == nullptr || pid <= 0) return nullptr;
  return c.ev->procs->find(pid);
}

const ProcessInfo* parent_of(const EvalContext& c, const ProcessInfo* p) {
  if (p == nullptr || p->ppid <= 0 || p->ppid == p->pid) return nullptr;
  return find_proc(c, p->ppid);
}

// The event's process (n = 0), its parent (1), ...: looked up once per event and kept in the
// scratch space.
const ProcessInfo* ancestor(const EvalContext& c, int64_t n) {
  EvalScratch& s = *c.scratch;
  if (n < 0 || static_cast<size_t>(n) >= EvalScratch::kMaxAncestors) return nullptr;
  if (s.anc_known_ == 0) {
    s.anc_[0] = c.ev->proc;
    s.anc_known_ = 1;
    s.anc_end_ = c.ev->proc == nullptr;
  }
  while (s.anc_known_ <= static_cast<size_t>(n)) {
    if (s.anc_end_) return nullptr;
    const ProcessInfo* p = parent_of(c, s.anc_[s.anc_known_ - 1]);
    if (p == nullptr) {
      s.anc_end_ = true;
      return nullptr;
    }
    s.anc_[s.anc_known_++] = p;
  }
  return s.anc_[n];
}

// The parent of the event's process (cached).
const ProcessInfo* parent(const EvalContext& c) { return ancestor(c, 1); }

void build_args(const ProcessInfo& p, std::string* out) {
  for (size_t i = 0; i < p.args.size(); ++i) {
    if (i) *out += ' ';
    *out += p.args[i];
  }
}

void build_cmdline(const ProcessInfo& p, std::string* b) {
  *b += p.name;
  if (!p.args.empty()) {
    *b += ' ';
    build_args(p, b);
  }
}

std::string_view cmdline(const EvalContext& c, const ProcessInfo& p) {
  std::string& b = c.scratch->buffer();
  build_cmdline(p, &b);
  return b;
}

const ContainerInfo* container_of(const EvalContext& c) {
  return c.ev->proc != nullptr ? c.ev->proc->container.get() : nullptr;
}

const PodInfo* pod_of(const EvalContext& c) {
  const ContainerInfo* ci = container_of(c);
  return ci != nullptr ? ci->pod.get() : nullptr;
}

// The fd the event is about; for failed opens without an fd, the path from the arguments.
struct FdView {
  bool present = false;
  const FdInfo* fd = nullptr;
  std::string_view name;
  FdType type = FdType::kUnknown;
  int64_t num = -1;
};

FdView fd_view(const EvalContext& c) {
  FdView v;
  const Event& ev = *c.ev;
  if (ev.fd != nullptr) {
    v.present = true;
    v.fd = ev.fd;
    v.name = ev.fd->name;
    v.type = ev.fd->type;
    v.num = ev.fd->num;
    return v;
  }
  if (is_open_family(ev.type) && !ev.args.path.empty()) {
    v.present = true;
    v.name = ev.args.path;
    v.type = (ev.args.flags & O_DIRECTORY) ? FdType::kDirectory : FdType::kFile;
    v.num = ev.res >= 0 ? ev.res : -1;
  }
  return v;
}

bool is_socket(FdType t) { return t == FdType::kIpv4 || t == FdType::kIpv6; }

bool open_flags(const Event& ev, uint32_t* flags) {
  if (!is_open_family(ev.type)) return false;
  *flags = ev.fd != nullptr && ev.fd->open_flags != 0 ? ev.fd->open_flags : ev.args.flags;
  if (ev.type == ET::kCreat) *flags |= O_CREAT | O_WRONLY | O_TRUNC;
  return true;
}

void render_arg(const EvalContext& c, uint16_t a, bool raw, Out* o) {
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
    case kArgName: case kArgPath: case kArgFilename: case kArgPathname: case kArgExe:
    case kArgOldpath: case kArgTarget: case kArgDev:
      if (ev.type == ET::kMemfdCreate) {
        o->str(args.data);
      } else if (a == kArgExe && ev.proc != nullptr && args.path.empty()) {
        o->str(ev.proc->exe);
      } else {
        o->str(args.path);
      }
      return;
    case kArgNewpath: case kArgLinkpath: case kArgDir:
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
        case ET::kOpen: case ET::kOpenat: case ET::kOpenat2: case ET::kCreat:
          open_flags(ev, &f);
          render_open_flags(f, &b);
          break;
        case ET::kExecve: case ET::kExecveat:
          render_exe_flags(ev.proc, &b);
          break;
        case ET::kClone: case ET::kClone3: case ET::kFork: case ET::kVfork:
          render_clone_flags(f, &b);
          break;
        case ET::kUnshare:
          render_clone_flags(f != 0 ? f : args.nstype, &b);
          break;
        case ET::kMount: case ET::kUmount: case ET::kUmount2:
          render_mount_flags(f, &b);
          break;
        case ET::kMemfdCreate: {
          static const FlagName kMfd[] = {{1, "MFD_CLOEXEC"}, {2, "MFD_ALLOW_SEALING"},
                                          {4, "MFD_HUGETLB"}};
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
    case kArgFd: case kArgOldfd:
      if (ev.type == ET::kOpen || ev.type == ET::kOpenat || ev.type == ET::kOpenat2 ||
          ev.type == ET::kCreat || ev.type == ET::kMemfdCreate || ev.type == ET::kSocket)
        return num(ev.res);
      return num(args.fd);
    case kArgNewfd: return num(args.fd2);
    case kArgPid: return num(args.pid);
    case kArgRequest: return named(args.request, ptrace_request_name(args.request));
    case kArgOption: return num(args.request);
    case kArgSig: return num(args.request);
    case kArgUid: case kArgRuid: case kArgEuid: case kArgSuid:
      return num(args.uid == UINT32_MAX ? -1 : static_cast<int64_t>(args.uid));
    case kArgGid: case kArgRgid: case kArgEgid: case kArgSgid:
      return num(args.gid == UINT32_MAX ? -1 : static_cast<int64_t>(args.gid));
    case kArgNstype: {
      if (raw) return num(args.nstype);
      std::string& b = c.scratch->buffer();
      render_clone_flags(args.nstype, &b);
      o->str(b);
      return;
    }
    case kArgCmd: return named(args.request, bpf_cmd_name(args.request));
    case kArgDomain: return named(args.domain, af_name(args.domain));
    case kArgProto: return num(args.protocol);
    case kArgRes: case kArgResOrFd: {
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
    render_arg(c, l.ids[i], false, &o);
    if (o.n == 0) continue;
    if (!out->empty()) *out += ' ';
    *out += kArgNames[l.ids[i]];
    *out += '=';
    *out += vals[0].str;
  }
}

void local_remote(const FdInfo& fd, const IpAddr** lip, uint16_t* lport, const IpAddr** rip,
                  uint16_t* rport) {
  if (fd.is_server) {
    *lip = &fd.server_ip;
    *lport = fd.server_port;
    *rip = &fd.client_ip;
    *rport = fd.client_port;
  } else {
    *lip = &fd.client_ip;
    *lport = fd.client_port;
    *rip = &fd.server_ip;
    *rport = fd.server_port;
  }
}

void extract_ancestors(const EvalContext& c, const ResolvedField& f, Out* o,
                       void (*emit)(const EvalContext&, const ProcessInfo&, Out*)) {
  if (c.ev->proc == nullptr) return;
  if (f.index >= 0) {
    const ProcessInfo* a = ancestor(c, f.index);
    if (a != nullptr) emit(c, *a, o);
    return;
  }
  // No index: every ancestor, parent first.
  for (int64_t i = 1; !o->full(); ++i) {
    const ProcessInfo* a = ancestor(c, i);
    if (a == nullptr) break;
    emit(c, *a, o);
  }
}

}  // namespace

bool is_numeric(FieldType t) {
  return t == FieldType::kInt || t == FieldType::kPort || t == FieldType::kAbsTime ||
         t == FieldType::kRelTime;
}

bool resolve_field(std::string_view name, std::string_view arg, bool has_arg, ResolvedField* out,
                   std::string* error) {
  const FieldDef* def = find_def(name);
  std::string key;
  bool dotted_key = false;
  if (def == nullptr) {
    // "k8s.pod.label.app" / "evt.arg.flags": longest dotted prefix accepting a key.
    for (size_t dot = name.rfind('.'); dot != std::string_view::npos && dot > 0;
         dot = name.rfind('.', dot - 1)) {
      const FieldDef* d = find_def(name.substr(0, dot));
      if (d != nullptr && d->dotted) {
        def = d;
        key = std::string(name.substr(dot + 1));
        dotted_key = true;
        break;
      }
      if (dot == 0) break;
    }
    if (def == nullptr) {
      *error = "unknown field '" + std::string(name) + "'";
      return false;
    }
    if (has_arg) {
      *error = "field '" + std::string(name) + "' cannot take both a .key and a [argument]";
      return false;
    }
  }
  ResolvedField r;
  r.id = def->id;
  r.type = def->type;
  r.name = std::string(def->name);
  if (has_arg) key = std::string(arg);
  bool have_key = has_arg || dotted_key;
  switch (def->arg) {
    case ArgMode::kNone:
      if (have_key) {
        *error = "field '" + std::string(def->name) + "' does not take an argument";
        return false;
      }
      break;
    case ArgMode::kIndexOptional:
      if (have_key) {
        int64_t idx = -1;
        auto res = std::from_chars(key.data(), key.data() + key.size(), idx);
        if (res.ec != std::errc() || res.ptr != key.data() + key.size() || idx < 0) {
          *error = "field '" + std::string(def->name) + "' needs a numeric argument, got '" +
                   key + "'";
          return false;
        }
        r.index = idx;
      } else {
        r.multi = def->id != FieldId::kProcArgs;
      }
      break;
    case ArgMode::kKeyRequired:
      if (!have_key || key.empty()) {
        *error = "field '" + std::string(def->name) + "' requires an argument";
        return false;
      }
      break;
    case ArgMode::kKeyOptional:
      break;
  }
  r.key = key;
  if (have_key) {
    r.name += dotted_key ? "." + key : "[" + key + "]";
  }
  if (def->id == FieldId::kEvtArg || def->id == FieldId::kEvtRawarg) {
    r.sub = arg_id(key);
    if (def->id == FieldId::kEvtRawarg && arg_is_numeric(r.sub)) r.type = FieldType::kInt;
  }
  *out = std::move(r);
  return true;
}

bool resolve_field_prefix(std::string_view text, ResolvedField* out, size_t* consumed,
                          std::string* error) {
  // Field name chars: [A-Za-z0-9_.]; try the longest catalogue name that is a prefix and ends
  // at a segment boundary.
  size_t end = 0;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                               text[end] == '_' || text[end] == '.'))
    ++end;
  while (end > 0 && text[end - 1] == '.') --end;
  std::string_view word = text.substr(0, end);
  const FieldDef* best = nullptr;
  for (const auto& d : kFields) {
    if (word.substr(0, d.name.size()) != d.name) continue;
    if (word.size() > d.name.size() && word[d.name.size()] != '.') continue;
    if (best == nullptr || d.name.size() > best->name.size()) best = &d;
  }
  if (best == nullptr) {
    *error = "unknown field '" + std::string(word) + "'";
    return false;
  }
  size_t pos = best->name.size();
  std::string_view name = best->name;
  std::string_view arg;
  bool has_arg = false;
  if (pos < text.size() && text[pos] == '[' && best->arg != ArgMode::kNone) {
    size_t close = text.find(']', pos);
    if (close == std::string_view::npos) {
      *error = "missing ']' after field '" + std::string(best->name) + "'";
      return false;
    }
    arg = text.substr(pos + 1, close - pos - 1);
    has_arg = true;
    pos = close + 1;
  } else if (pos < word.size() && best->dotted) {
    name = word;  // dotted key form
    pos = word.size();
  } else if (pos < word.size()) {
    // e.g. "proc.name.foo": the catalogue field ends at a '.', the rest is literal text.
  }
  if (!resolve_field(name, arg, has_arg, out, error)) return false;
  *consumed = pos;
  return true;
}

size_t extract_field(const ResolvedField& f, const EvalContext& c, FieldValue* vals, size_t cap) {
  Out o{vals, cap, 0, f.type};
  const Event& ev = *c.ev;
  const ProcessInfo* p = ev.proc;
  switch (f.id) {
    // ---- evt
    case F::kEvtType:
    case F::kSyscallType:
      o.str(event_type_name(ev.type));
      break;
    case F::kEvtDir:
      o.str(ev.dir == '>' ? std::string_view(">") : std::string_view("<"));
      break;
    case F::kEvtTime: {
      std::string& b = c.scratch->buffer();
      format_time_hms(ev.ts_ns, &b);
      o.str(b);
      break;
    }
    case F::kEvtRawtime:
    case F::kEvtRawtimeNs:
      o.num(static_cast<int64_t>(ev.ts_ns));
      break;
    case F::kEvtRawtimeS:
      o.num(static_cast<int64_t>(ev.ts_ns / 1000000000ull));
      break;
    case F::kEvtTimeS: {
      std::string& b = c.scratch->buffer();
      format_time_hms(ev.ts_ns, &b);
      b.resize(8);
      o.str(b);
      break;
    }
    case F::kEvtTimeIso8601:
    case F::kEvtDatetime: {
      std::string& b = c.scratch->buffer();
      std::time_t secs = static_cast<std::time_t>(ev.ts_ns / 1000000000ull);
      std::tm tm{};
      gmtime_r(&secs, &tm);
      char buf[64];
      if (f.id == F::kEvtTimeIso8601) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                      static_cast<unsigned long long>(ev.ts_ns % 1000000000ull));
      } else {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%09llu", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                      static_cast<unsigned long long>(ev.ts_ns % 1000000000ull));
      }
      b += buf;
      o.str(b);
      break;
    }
    case F::kEvtNum:
      o.num(static_cast<int64_t>(ev.num));
      break;
    case F::kEvtRes:
      if (ev.res >= 0) {
        o.str("SUCCESS");
      } else {
        std::string_view n = errno_name(-ev.res);
        if (!n.empty()) {
          o.str(n);
        } else {
          std::string& b = c.scratch->buffer();
          append_int(ev.res, &b);
          o.str(b);
        }
      }
      break;
    case F::kEvtRawres:
      o.num(ev.res);
      break;
    case F::kEvtFailed:
      o.boolean(ev.res < 0);
      break;
    case F::kEvtIsOpenRead:
    case F::kEvtIsOpenWrite:
    case F::kEvtIsOpenExec:
    case F::kEvtIsOpenCreate: {
      uint32_t fl = 0;
      if (!open_flags(ev, &fl)) {
        o.boolean(false);
        break;
      }
      uint32_t acc = fl & O_ACCMODE;
      bool v = false;
      if (f.id == F::kEvtIsOpenRead) v = acc == O_RDONLY || acc == O_RDWR;
      if (f.id == F::kEvtIsOpenWrite) v = acc == O_WRONLY || acc == O_RDWR;
      if (f.id == F::kEvtIsOpenCreate) v = (fl & O_CREAT) != 0;
      if (f.id == F::kEvtIsOpenExec)
        v = (fl & O_CREAT) != 0 && (ev.args.mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
      o.boolean(v);
      break;
    }
    case F::kEvtHostname:
      o.str(c.hostname);
      break;
    case F::kEvtArgs: {
      std::string& b = c.scratch->buffer();
      render_all_args(c, &b);
      o.str(b);
      break;
    }
    case F::kEvtArg:
    case F::kEvtRawarg:
      if (f.sub != kArgUnknown && event_has_arg(ev.type, f.sub))
        render_arg(c, f.sub, f.id == F::kEvtRawarg, &o);
      break;
    case F::kEvtBuffer:
      if (!ev.args.data.empty()) o.str(ev.args.data);
      break;
    case F::kEvtSource:
      o.str("syscall");
      break;
    case F::kEvtIsAsync:
      o.boolean(false);
      break;
    case F::kEvtCategory: {
      std::string_view cat = "other";
      if (is_open_family(ev.type) || ev.type == ET::kClose) cat = "file";
      if (ev.type == ET::kExecve || ev.type == ET::kExecveat || ev.type == ET::kClone ||
          ev.type == ET::kClone3 || ev.type == ET::kFork || ev.type == ET::kVfork ||
          ev.type == ET::kProcExit)
        cat = "process";
      if (ev.type >= ET::kConnect && ev.type <= ET::kRecvmsg) cat = "net";
      o.str(cat);
      break;
    }

    // ---- proc
    case F::kProcName:
      if (p) o.str(p->name);
      break;
    case F::kProcExe:
      if (p) o.str(p->exe);
      break;
    case F::kProcExepath:
      if (p) o.str(p->exepath);
      break;
    case F::kProcPexe:
      if (auto* pp = parent(c)) o.str(pp->exe);
      break;
    case F::kProcPexepath:
      if (auto* pp = parent(c)) o.str(pp->exepath);
      break;
    case F::kProcPname:
      if (auto* pp = parent(c)) o.str(pp->name);
      break;
    case F::kProcAname:
      extract_ancestors(c, f, &o, [](const EvalContext&, const ProcessInfo& a, Out* x) {
        x->str(a.name);
      });
      break;
    case F::kProcAexe:
      extract_ancestors(c, f, &o, [](const EvalContext&, const ProcessInfo& a, Out* x) {
        x->str(a.exe);
      });
      break;
    case F::kProcAexepath:
      extract_ancestors(c, f, &o, [](const EvalContext&, const ProcessInfo& a, Out* x) {
        x->str(a.exepath);
      });
      break;
    case F::kProcAcmdline:
      extract_ancestors(c, f, &o, [](const EvalContext& cc, const ProcessInfo& a, Out* x) {
        x->str(cmdline(cc, a));
      });
      break;
    case F::kProcApid:
      extract_ancestors(c, f, &o, [](const EvalContext&, const ProcessInfo& a, Out* x) {
        x->num(a.pid);
      });
      break;
    case F::kProcCmdline:
      if (p) {
        std::string* m;
        if (!c.scratch->memo(EvalScratch::kCmdline, &m)) build_cmdline(*p, m);
        o.str(*m);
      }
      break;
    case F::kProcPcmdline:
      if (auto* pp = parent(c)) {
        std::string* m;
        if (!c.scratch->memo(EvalScratch::kPcmdline, &m)) build_cmdline(*pp, m);
        o.str(*m);
      }
      break;
    case F::kProcExeline:
      if (p) {
        std::string& b = c.scratch->buffer();
        b += p->exe;
        if (!p->args.empty()) {
          b += ' ';
          build_args(*p, &b);
        }
        o.str(b);
      }
      break;
    case F::kProcArgs:
      if (p) {
        if (f.index >= 0) {
          if (static_cast<size_t>(f.index) < p->args.size()) o.str(p->args[f.index]);
        } else {
          std::string* m;
          if (!c.scratch->memo(EvalScratch::kArgs, &m)) build_args(*p, m);
          o.str(*m);
        }
      }
      break;
    case F::kProcCmdnargs:
      if (p) o.num(static_cast<int64_t>(p->args.size()));
      break;
    case F::kProcCmdlenargs:
      if (p) {
        int64_t n = 0;
        for (const auto& a : p->args) n += static_cast<int64_t>(a.size());
        o.num(n);
      }
      break;
    case F::kProcPid:
      if (p) o.num(p->pid);
      break;
    case F::kProcPpid:
      if (p) o.num(p->ppid);
      break;
    case F::kProcVpid:
      if (p) o.num(p->vpid);
      break;
    case F::kProcPvpid:
      if (auto* pp = parent(c)) o.num(pp->vpid);
      break;
    case F::kProcSid:
      if (p) o.num(p->sid);
      break;
    case F::kProcSname:
    case F::kProcSidExe:
    case F::kProcSidExepath:
      if (p) {
        const ProcessInfo* s = p->sid == p->pid ? p : find_proc(c, p->sid);
        if (s) o.str(f.id == F::kProcSname ? std::string_view(s->name)
                     : f.id == F::kProcSidExe ? std::string_view(s->exe)
                                              : std::string_view(s->exepath));
      }
      break;
    case F::kProcVpgid:
      if (p) o.num(p->pgid);
      break;
    case F::kProcVpgidName:
    case F::kProcVpgidExe:
    case F::kProcVpgidExepath:
      if (p) {
        const ProcessInfo* g = p->pgid == p->pid ? p : find_proc(c, p->pgid);
        if (g) o.str(f.id == F::kProcVpgidName ? std::string_view(g->name)
                     : f.id == F::kProcVpgidExe ? std::string_view(g->exe)
                                                : std::string_view(g->exepath));
      }
      break;
    case F::kProcIsVpgidLeader:
      if (p) o.boolean(p->pgid == p->pid);
      break;
    case F::kProcIsSidLeader:
      if (p) o.boolean(p->sid == p->pid);
      break;
    case F::kProcTty:
      if (p) o.num(p->tty);
      break;
    case F::kProcCwd:
      if (p) o.str(p->cwd);
      break;
    case F::kProcDuration:
      if (p && p->start_ns != 0 && ev.ts_ns >= p->start_ns)
        o.num(static_cast<int64_t>(ev.ts_ns - p->start_ns));
      break;
    case F::kProcPpidDuration:
      if (auto* pp = parent(c); pp && pp->start_ns != 0 && ev.ts_ns >= pp->start_ns)
        o.num(static_cast<int64_t>(ev.ts_ns - pp->start_ns));
      break;
    case F::kProcPidTs:
      if (p && p->start_ns != 0) o.num(static_cast<int64_t>(p->start_ns));
      break;
    case F::kProcPpidTs:
      if (auto* pp = parent(c); pp && pp->start_ns != 0)
        o.num(static_cast<int64_t>(pp->start_ns));
      break;
    case F::kProcEnv:
      if (p) {
        if (!f.key.empty()) {
          for (const auto& e : p->env) {
            std::string_view sv(e);
            if (sv.size() > f.key.size() && sv.substr(0, f.key.size()) == f.key &&
                sv[f.key.size()] == '=') {
              o.str(sv.substr(f.key.size() + 1));
              break;
            }
          }
        } else {
          std::string& b = c.scratch->buffer();
          for (size_t i = 0; i < p->env.size(); ++i) {
            if (i) b += ' ';
            b += p->env[i];
          }
          o.str(b);
        }
      }
      break;
    case F::kProcIsExeUpperLayer:
      if (p) o.boolean(p->exe_upper_layer);
      break;
    case F::kProcIsExeFromMemfd:
      if (p) o.boolean(p->exe_from_memfd);
      break;
    case F::kProcIsExeWritable:
      if (p) o.boolean(p->exe_writable);
      break;
    case F::kProcExeIno:
      if (p && p->exe_ino != 0) o.num(static_cast<int64_t>(p->exe_ino));
      break;
    case F::kProcExeInoCtime:
      if (p && p->exe_ino_ctime_ns != 0) o.num(static_cast<int64_t>(p->exe_ino_ctime_ns));
      break;
    case F::kProcExeInoMtime:
      if (p && p->exe_ino_mtime_ns != 0) o.num(static_cast<int64_t>(p->exe_ino_mtime_ns));
      break;
    case F::kProcExeInoCtimeDurationProcStart:
      if (p && p->exe_ino_ctime_ns != 0 && p->start_ns >= p->exe_ino_ctime_ns)
        o.num(static_cast<int64_t>(p->start_ns - p->exe_ino_ctime_ns));
      break;
    case F::kProcExeInoCtimeDurationPidnsStart:
      if (p && p->exe_ino_ctime_ns != 0 && p->pidns_init_start_ns != 0 &&
          p->exe_ino_ctime_ns >= p->pidns_init_start_ns)
        o.num(static_cast<int64_t>(p->exe_ino_ctime_ns - p->pidns_init_start_ns));
      break;
    case F::kProcPidnsInitStartTs:
      if (p && p->pidns_init_start_ns != 0) o.num(static_cast<int64_t>(p->pidns_init_start_ns));
      break;
    case F::kProcIsContainerHealthcheck:
    case F::kProcIsContainerLivenessProbe:
    case F::kProcIsContainerReadinessProbe:
      if (p) o.boolean(false);
      break;
    case F::kThreadTid:
      if (p) o.num(p->tid);
      break;
    case F::kThreadVtid:
      if (p) o.num(p->vtid);
      break;
    case F::kThreadCapEffective:
    case F::kThreadCapPermitted:
    case F::kThreadCapInheritable:
      if (p) {
        uint64_t caps = f.id == F::kThreadCapEffective   ? p->cap_effective
                        : f.id == F::kThreadCapPermitted ? p->cap_permitted
                                                         : p->cap_inheritable;
        auto which = f.id == F::kThreadCapEffective   ? EvalScratch::kCapEffective
                     : f.id == F::kThreadCapPermitted ? EvalScratch::kCapPermitted
                                                      : EvalScratch::kCapInheritable;
        std::string* m;
        if (!c.scratch->memo(which, &m)) render_caps(caps, m);
        o.str(*m);
      }
      break;

    // ---- user / group
    case F::kUserUid:
      if (p) o.num(p->uid);
      break;
    case F::kUserName:
      if (p && !p->user_name.empty()) o.str(p->user_name);
      break;
    case F::kUserLoginuid:
      if (p) o.num(p->loginuid == UINT32_MAX ? -1 : static_cast<int64_t>(p->loginuid));
      break;
    case F::kUserLoginname:
      if (p && !p->login_name.empty()) o.str(p->login_name);
      break;
    case F::kGroupGid:
      if (p) o.num(p->gid);
      break;
    case F::kGroupName:
      if (p && !p->group_name.empty()) o.str(p->group_name);
      break;

    // ---- fd
    case F::kFdNum: {
      FdView v = fd_view(c);
      if (v.present) o.num(v.num);
      break;
    }
    case F::kFdType: {
      FdView v = fd_view(c);
      if (v.present) o.str(fd_type_name(v.type));
      break;
    }
    case F::kFdTypechar: {
      FdView v = fd_view(c);
      if (v.present) o.str(fd_type_char(v.type));
      break;
    }
    case F::kFdName: {
      FdView v = fd_view(c);
      if (v.present) o.str(v.name);
      break;
    }
    case F::kFdNameraw: {
      FdView v = fd_view(c);
      if (v.present) o.str(v.fd != nullptr && !v.fd->nameraw.empty() ? std::string_view(v.fd->nameraw) : v.name);
      break;
    }
    case F::kFdDirectory: {
      FdView v = fd_view(c);
      if (!v.present) break;
      if (v.type == FdType::kDirectory) {
        o.str(v.name);
      } else if (v.type == FdType::kFile || v.type == FdType::kMemfd) {
        size_t slash = v.name.rfind('/');
        if (slash == std::string_view::npos) break;
        o.str(slash == 0 ? v.name.substr(0, 1) : v.name.substr(0, slash));
      }
      break;
    }
    case F::kFdFilename: {
      FdView v = fd_view(c);
      if (!v.present || (v.type != FdType::kFile && v.type != FdType::kMemfd)) break;
      size_t slash = v.name.rfind('/');
      o.str(slash == std::string_view::npos ? v.name : v.name.substr(slash + 1));
      break;
    }
    case F::kFdIp: case F::kFdNet: {
      FdView v = fd_view(c);
      if (v.fd && is_socket(v.type)) {
        o.ip(v.fd->client_ip);
        o.ip(v.fd->server_ip);
      }
      break;
    }
    case F::kFdCip: case F::kFdCnet:
      if (ev.fd && is_socket(ev.fd->type)) o.ip(ev.fd->client_ip);
      break;
    case F::kFdSip: case F::kFdSnet:
      if (ev.fd && is_socket(ev.fd->type)) o.ip(ev.fd->server_ip);
      break;
    case F::kFdLip: case F::kFdLnet: case F::kFdRip: case F::kFdRnet:
      if (ev.fd && is_socket(ev.fd->type)) {
        const IpAddr *l, *r;
        uint16_t lp, rp;
        local_remote(*ev.fd, &l, &lp, &r, &rp);
        o.ip(f.id == F::kFdLip || f.id == F::kFdLnet ? *l : *r);
      }
      break;
    case F::kFdPort:
      if (ev.fd && is_socket(ev.fd->type)) {
        o.num(ev.fd->client_port);
        o.num(ev.fd->server_port);
      }
      break;
    case F::kFdCport:
      if (ev.fd && is_socket(ev.fd->type)) o.num(ev.fd->client_port);
      break;
    case F::kFdSport:
      if (ev.fd && is_socket(ev.fd->type)) o.num(ev.fd->server_port);
      break;
    case F::kFdLport: case F::kFdRport:
      if (ev.fd && is_socket(ev.fd->type)) {
        const IpAddr *l, *r;
        uint16_t lp, rp;
        local_remote(*ev.fd, &l, &lp, &r, &rp);
        o.num(f.id == F::kFdLport ? lp : rp);
      }
      break;
    case F::kFdL4proto:
      if (ev.fd && is_socket(ev.fd->type)) {
        switch (ev.fd->l4proto) {
          case 6: o.str("tcp"); break;
          case 17: o.str("udp"); break;
          case 1: case 58: o.str("icmp"); break;
          case 255: o.str("raw"); break;
          default: o.str("unknown");
        }
      }
      break;
    case F::kFdSockfamily:
      if (ev.fd) {
        if (is_socket(ev.fd->type)) o.str("ip");
        else if (ev.fd->type == FdType::kUnix) o.str("unix");
      }
      break;
    case F::kFdIsServer:
      if (ev.fd && is_socket(ev.fd->type)) o.boolean(ev.fd->is_server);
      break;
    case F::kFdCipName: case F::kFdSipName: case F::kFdLipName: case F::kFdRipName:
      break;  // DNS names are not tracked
    case F::kFdConnected:
      if (ev.fd) o.boolean(ev.fd->connected);
      break;
    case F::kFdNameChanged:
      if (ev.fd) o.boolean(ev.fd->name_changed);
      break;

    // ---- container / k8s
    case F::kContainerId:
      if (p) o.str(p->container ? std::string_view(p->container->id) : std::string_view("host"));
      break;
    case F::kContainerFullId:
      if (p) o.str(p->container ? std::string_view(p->container->full_id) : std::string_view("host"));
      break;
    case F::kContainerName:
      if (p) {
        if (!p->container) o.str("host");
        else if (!p->container->name.empty()) o.str(p->container->name);
      }
      break;
    case F::kContainerType:
      if (p) o.str(p->container ? std::string_view(p->container->runtime) : std::string_view("host"));
      break;
    case F::kContainerImage:
      if (auto* ci = container_of(c); ci && !ci->image.empty()) o.str(ci->image);
      break;
    case F::kContainerImageRepository:
      if (auto* ci = container_of(c); ci && !ci->image_repository.empty())
        o.str(ci->image_repository);
      break;
    case F::kContainerImageTag:
      if (auto* ci = container_of(c); ci && !ci->image_tag.empty()) o.str(ci->image_tag);
      break;
    case F::kContainerPrivileged:
      if (auto* ci = container_of(c)) o.boolean(ci->privileged);
      break;
    case F::kContainerStartTs:
      if (auto* ci = container_of(c); ci && ci->start_ns != 0)
        o.num(static_cast<int64_t>(ci->start_ns));
      break;
    case F::kContainerDuration:
      if (auto* ci = container_of(c); ci && ci->start_ns != 0 && ev.ts_ns >= ci->start_ns)
        o.num(static_cast<int64_t>(ev.ts_ns - ci->start_ns));
      break;
    case F::kContainerMounts:
      if (auto* ci = container_of(c)) {
        std::string& b = c.scratch->buffer();
        for (const auto& m : ci->mounts) {
          if (!b.empty()) b += ',';
          b += m.source;
          b += ':';
          b += m.dest;
          b += m.read_write ? ":true" : ":false";
        }
        o.str(b);
      }
      break;
    case F::kContainerMountSource:
    case F::kContainerMountDest:
      if (auto* ci = container_of(c)) {
        // Argument: an index, or a glob on the other side's path
        // (mount.dest[/src/path] gives the destination of the mount whose source matches).
        int64_t idx = -1;
        auto r = std::from_chars(f.key.data(), f.key.data() + f.key.size(), idx);
        bool by_index = r.ec == std::errc() && r.ptr == f.key.data() + f.key.size();
        for (size_t i = 0; i < ci->mounts.size(); ++i) {
          const auto& m = ci->mounts[i];
          bool hit = false;
          if (by_index) {
            hit = static_cast<int64_t>(i) == idx;
          } else {
            std::string_view other = f.id == F::kContainerMountDest ? m.source : m.dest;
            std::string_view pat = f.key;
            if (!pat.empty() && pat.back() == '*') {
              pat.remove_suffix(1);
              hit = other.substr(0, pat.size()) == pat;
            } else {
              hit = other == pat;
            }
          }
          if (hit) {
            o.str(f.id == F::kContainerMountDest ? std::string_view(m.dest)
                                                 : std::string_view(m.source));
            break;
          }
        }
        // No such mount: the literal "<NA>", which is what rules compare against
        // (not container.mount.dest[/proc*] in ("<NA>","N/A")).
        if (o.n == 0) o.str("<NA>");
      }
      break;
    case F::kContainerInfo:
      o.str("");
      break;
    case F::kK8sNsName:
      if (auto* pod = pod_of(c)) o.str(pod->ns);
      break;
    case F::kK8sPodName:
      if (auto* pod = pod_of(c)) o.str(pod->name);
      break;
    case F::kK8sPodUid:
      if (auto* pod = pod_of(c)) o.str(pod->uid);
      break;
    case F::kK8sPodLabel:
      if (auto* pod = pod_of(c)) {
        for (const auto& [k, v] : pod->labels) {
          if (k == f.key) {
            o.str(v);
            break;
          }
        }
      }
      break;
    case F::kK8sPodLabels:
      if (auto* pod = pod_of(c)) {
        std::string& b = c.scratch->buffer();
        for (const auto& [k, v] : pod->labels) {
          if (!b.empty()) b += ", ";
          b += k;
          b += ':';
          b += v;
        }
        o.str(b);
      }
      break;
  }
  return o.n;
}

void append_value_text(const FieldValue& v, std::string* out) {
  switch (v.type) {
    case FieldType::kString:
    case FieldType::kBytes:
      *out += v.str;
      return;
    case FieldType::kBool:
      *out += v.flag ? "true" : "false";
      return;
    case FieldType::kIp:
    case FieldType::kIpNet:
      format_ip(v.ip, out);
      return;
    case FieldType::kAbsTime:
    case FieldType::kInt:
    case FieldType::kPort:
    case FieldType::kRelTime:
      append_int(v.num, out);
      return;
  }
}

std::vector<std::string_view> known_field_names() {
  std::vector<std::string_view> v;
  for (const auto& d : kFields) v.push_back(d.name);
  return v;
}

bool is_event_type_field(const ResolvedField& f) { return f.id == FieldId::kEvtType; }

}  // namespace riposte::detector::rules

namespace riposte::detector::rules {

namespace {

// ---- fast accessors (see fast_str_getter)

#define STR_GETTER(name, body)                                                        \
  bool name(const ResolvedField& f, const EvalContext& c, std::string_view* out) {   \
    (void)f;                                                                          \
    const ProcessInfo* p = c.ev->proc;                                                \
    (void)p;                                                                          \
    body                                                                              \
  }
#define NUM_GETTER(name, body)                                                        \
  bool name(const ResolvedField& f, const EvalContext& c, int64_t* out) {            \
    (void)f;                                                                          \
    const ProcessInfo* p = c.ev->proc;                                                \
    (void)p;                                                                          \
    body                                                                              \
  }

STR_GETTER(g_proc_name, if (!p) return false; *out = p->name; return true;)
STR_GETTER(g_proc_exe, if (!p) return false; *out = p->exe; return true;)
STR_GETTER(g_proc_exepath, if (!p) return false; *out = p->exepath; return true;)
STR_GETTER(g_proc_cwd, if (!p) return false; *out = p->cwd; return true;)
STR_GETTER(g_proc_pname, const ProcessInfo* pp = parent(c); if (!pp) return false;
           *out = pp->name; return true;)
STR_GETTER(g_proc_pexe, const ProcessInfo* pp = parent(c); if (!pp) return false;
           *out = pp->exe; return true;)
STR_GETTER(g_proc_pexepath, const ProcessInfo* pp = parent(c); if (!pp) return false;
           *out = pp->exepath; return true;)
STR_GETTER(g_proc_aname_idx, const ProcessInfo* a = ancestor(c, f.index); if (!a) return false;
           *out = a->name; return true;)
STR_GETTER(g_proc_cmdline, if (!p) return false; std::string* m;
           if (!c.scratch->memo(EvalScratch::kCmdline, &m)) build_cmdline(*p, m);
           *out = *m; return true;)
STR_GETTER(g_proc_pcmdline, const ProcessInfo* pp = parent(c); if (!pp) return false;
           std::string* m;
           if (!c.scratch->memo(EvalScratch::kPcmdline, &m)) build_cmdline(*pp, m);
           *out = *m; return true;)
STR_GETTER(g_proc_args, if (!p) return false; std::string* m;
           if (!c.scratch->memo(EvalScratch::kArgs, &m)) build_args(*p, m);
           *out = *m; return true;)
STR_GETTER(g_proc_args_idx, if (!p || static_cast<size_t>(f.index) >= p->args.size()) return false;
           *out = p->args[f.index]; return true;)
STR_GETTER(g_fd_name, FdView v = fd_view(c); if (!v.present) return false; *out = v.name;
           return true;)
STR_GETTER(g_fd_nameraw, FdView v = fd_view(c); if (!v.present) return false;
           *out = v.fd != nullptr && !v.fd->nameraw.empty() ? std::string_view(v.fd->nameraw)
                                                           : v.name;
           return true;)
STR_GETTER(g_fd_directory, FdView v = fd_view(c); if (!v.present) return false;
           if (v.type == FdType::kDirectory) { *out = v.name; return true; }
           if (v.type != FdType::kFile && v.type != FdType::kMemfd) return false;
           size_t slash = v.name.rfind('/'); if (slash == std::string_view::npos) return false;
           *out = slash == 0 ? v.name.substr(0, 1) : v.name.substr(0, slash); return true;)
STR_GETTER(g_fd_filename, FdView v = fd_view(c);
           if (!v.present || (v.type != FdType::kFile && v.type != FdType::kMemfd)) return false;
           size_t slash = v.name.rfind('/');
           *out = slash == std::string_view::npos ? v.name : v.name.substr(slash + 1);
           return true;)
STR_GETTER(g_fd_typechar, FdView v = fd_view(c); if (!v.present) return false;
           *out = fd_type_char(v.type); return true;)
STR_GETTER(g_fd_type, FdView v = fd_view(c); if (!v.present) return false;
           *out = fd_type_name(v.type); return true;)
STR_GETTER(g_container_id, if (!p) return false;
           *out = p->container ? std::string_view(p->container->id) : std::string_view("host");
           return true;)
STR_GETTER(g_container_name, if (!p) return false;
           if (!p->container) { *out = "host"; return true; }
           if (p->container->name.empty()) return false; *out = p->container->name; return true;)
STR_GETTER(g_container_image, const ContainerInfo* ci = container_of(c);
           if (!ci || ci->image.empty()) return false; *out = ci->image; return true;)
STR_GETTER(g_container_image_repository, const ContainerInfo* ci = container_of(c);
           if (!ci || ci->image_repository.empty()) return false;
           *out = ci->image_repository; return true;)
STR_GETTER(g_user_name, if (!p || p->user_name.empty()) return false; *out = p->user_name;
           return true;)
STR_GETTER(g_k8s_ns_name, const PodInfo* pod = pod_of(c); if (!pod) return false;
           *out = pod->ns; return true;)
STR_GETTER(g_k8s_pod_name, const PodInfo* pod = pod_of(c); if (!pod) return false;
           *out = pod->name; return true;)

NUM_GETTER(g_fd_num, FdView v = fd_view(c); if (!v.present) return false; *out = v.num;
           return true;)
NUM_GETTER(g_proc_tty, if (!p) return false; *out = p->tty; return true;)
NUM_GETTER(g_proc_pid, if (!p) return false; *out = p->pid; return true;)
NUM_GETTER(g_proc_ppid, if (!p) return false; *out = p->ppid; return true;)
NUM_GETTER(g_proc_vpid, if (!p) return false; *out = p->vpid; return true;)
NUM_GETTER(g_user_uid, if (!p) return false; *out = p->uid; return true;)
NUM_GETTER(g_user_loginuid, if (!p) return false;
           *out = p->loginuid == UINT32_MAX ? -1 : static_cast<int64_t>(p->loginuid);
           return true;)
NUM_GETTER(g_evt_num, *out = static_cast<int64_t>(c.ev->num); return true;)
NUM_GETTER(g_evt_rawres, *out = c.ev->res; return true;)
NUM_GETTER(g_evt_failed, *out = c.ev->res < 0; return true;)
NUM_GETTER(g_proc_duration, if (!p || p->start_ns == 0 || c.ev->ts_ns < p->start_ns) return false;
           *out = static_cast<int64_t>(c.ev->ts_ns - p->start_ns); return true;)
NUM_GETTER(g_evt_is_open_read, uint32_t fl = 0; if (!open_flags(*c.ev, &fl)) { *out = 0; return true; }
           uint32_t acc = fl & O_ACCMODE; *out = acc == O_RDONLY || acc == O_RDWR; return true;)
NUM_GETTER(g_evt_is_open_write, uint32_t fl = 0; if (!open_flags(*c.ev, &fl)) { *out = 0; return true; }
           uint32_t acc = fl & O_ACCMODE; *out = acc == O_WRONLY || acc == O_RDWR; return true;)
NUM_GETTER(g_proc_is_exe_upper_layer, if (!p) return false; *out = p->exe_upper_layer; return true;)
NUM_GETTER(g_proc_is_exe_from_memfd, if (!p) return false; *out = p->exe_from_memfd; return true;)
NUM_GETTER(g_proc_is_exe_writable, if (!p) return false; *out = p->exe_writable; return true;)
NUM_GETTER(g_container_privileged, const ContainerInfo* ci = container_of(c); if (!ci) return false;
           *out = ci->privileged; return true;)
NUM_GETTER(g_fd_sport, const FdInfo* fd = c.ev->fd; if (!fd || !is_socket(fd->type)) return false;
           *out = fd->server_port; return true;)
NUM_GETTER(g_fd_cport, const FdInfo* fd = c.ev->fd; if (!fd || !is_socket(fd->type)) return false;
           *out = fd->client_port; return true;)
NUM_GETTER(g_fd_connected, if (!c.ev->fd) return false; *out = c.ev->fd->connected; return true;)
NUM_GETTER(g_fd_name_changed, if (!c.ev->fd) return false; *out = c.ev->fd->name_changed;
           return true;)
NUM_GETTER(g_fd_is_server, const FdInfo* fd = c.ev->fd; if (!fd || !is_socket(fd->type)) return false;
           *out = fd->is_server; return true;)

#undef STR_GETTER
#undef NUM_GETTER

}  // namespace

StrGetter fast_str_getter(const ResolvedField& f) {
  switch (f.id) {
    case F::kProcName: return g_proc_name;
    case F::kProcExe: return g_proc_exe;
    case F::kProcExepath: return g_proc_exepath;
    case F::kProcCwd: return g_proc_cwd;
    case F::kProcPname: return g_proc_pname;
    case F::kProcPexe: return g_proc_pexe;
    case F::kProcPexepath: return g_proc_pexepath;
    case F::kProcAname: return f.index >= 0 ? g_proc_aname_idx : nullptr;
    case F::kProcCmdline: return g_proc_cmdline;
    case F::kProcPcmdline: return g_proc_pcmdline;
    case F::kProcArgs: return f.index >= 0 ? g_proc_args_idx : g_proc_args;
    case F::kFdName: return g_fd_name;
    case F::kFdNameraw: return g_fd_nameraw;
    case F::kFdDirectory: return g_fd_directory;
    case F::kFdFilename: return g_fd_filename;
    case F::kFdTypechar: return g_fd_typechar;
    case F::kFdType: return g_fd_type;
    case F::kContainerId: return g_container_id;
    case F::kContainerName: return g_container_name;
    case F::kContainerImage: return g_container_image;
    case F::kContainerImageRepository: return g_container_image_repository;
    case F::kUserName: return g_user_name;
    case F::kK8sNsName: return g_k8s_ns_name;
    case F::kK8sPodName: return g_k8s_pod_name;
    default: return nullptr;
  }
}

NumGetter fast_num_getter(const ResolvedField& f) {
  switch (f.id) {
    case F::kFdNum: return g_fd_num;
    case F::kProcTty: return g_proc_tty;
    case F::kProcPid: return g_proc_pid;
    case F::kProcPpid: return g_proc_ppid;
    case F::kProcVpid: return g_proc_vpid;
    case F::kUserUid: return g_user_uid;
    case F::kUserLoginuid: return g_user_loginuid;
    case F::kEvtNum: return g_evt_num;
    case F::kEvtRawres: return g_evt_rawres;
    case F::kEvtFailed: return g_evt_failed;
    case F::kProcDuration: return g_proc_duration;
    case F::kEvtIsOpenRead: return g_evt_is_open_read;
    case F::kEvtIsOpenWrite: return g_evt_is_open_write;
    case F::kProcIsExeUpperLayer: return g_proc_is_exe_upper_layer;
    case F::kProcIsExeFromMemfd: return g_proc_is_exe_from_memfd;
    case F::kProcIsExeWritable: return g_proc_is_exe_writable;
    case F::kContainerPrivileged: return g_container_privileged;
    case F::kFdSport: return g_fd_sport;
    case F::kFdCport: return g_fd_cport;
    case F::kFdConnected: return g_fd_connected;
    case F::kFdNameChanged: return g_fd_name_changed;
    case F::kFdIsServer: return g_fd_is_server;
    default: return nullptr;
  }
}

FieldClass field_class(const ResolvedField& f) {
  switch (f.id) {
    case F::kEvtType: case F::kSyscallType: case F::kEvtDir: case F::kEvtRes: case F::kEvtRawres:
    case F::kEvtFailed: case F::kEvtIsOpenRead: case F::kEvtIsOpenWrite:
    case F::kEvtIsOpenCreate: case F::kEvtSource: case F::kEvtCategory: case F::kEvtIsAsync:
    case F::kFdNum: case F::kFdType: case F::kFdTypechar: case F::kFdL4proto:
    case F::kFdSockfamily: case F::kFdIsServer: case F::kFdConnected: case F::kFdNameChanged:
    case F::kContainerType: case F::kUserUid: case F::kGroupGid: case F::kProcDuration:
    case F::kProcPpidDuration: case F::kContainerDuration: case F::kProcIsVpgidLeader:
    case F::kProcIsSidLeader: case F::kUserLoginuid:
      return FieldClass::kStructural;
    case F::kEvtIsOpenExec: case F::kProcIsExeUpperLayer: case F::kProcIsExeFromMemfd:
    case F::kProcIsExeWritable: case F::kContainerPrivileged: case F::kProcIsContainerHealthcheck:
    case F::kProcIsContainerLivenessProbe: case F::kProcIsContainerReadinessProbe:
      return FieldClass::kRareFlag;
    case F::kProcTty:
      return FieldClass::kTty;
    case F::kEvtNum:
      return FieldClass::kSequence;
    case F::kContainerId: case F::kContainerFullId: case F::kContainerName:
      return FieldClass::kContainerId;
    default:
      return FieldClass::kIdentity;
  }
}

int field_cost(const ResolvedField& f) {
  switch (f.id) {
    // Read straight from the event, the process or the fd.
    case F::kEvtType: case F::kSyscallType: case F::kEvtDir: case F::kEvtRawtime:
    case F::kEvtRawtimeS: case F::kEvtRawtimeNs: case F::kEvtNum: case F::kEvtRawres:
    case F::kEvtFailed: case F::kEvtIsOpenRead: case F::kEvtIsOpenWrite:
    case F::kEvtIsOpenExec: case F::kEvtIsOpenCreate: case F::kEvtSource: case F::kEvtIsAsync:
    case F::kProcPid: case F::kProcPpid: case F::kProcVpid: case F::kProcSid: case F::kProcVpgid:
    case F::kProcTty: case F::kProcIsVpgidLeader: case F::kProcIsSidLeader:
    case F::kProcDuration: case F::kProcPidTs: case F::kProcIsExeUpperLayer:
    case F::kProcIsExeFromMemfd: case F::kProcIsExeWritable: case F::kProcExeIno:
    case F::kProcExeInoCtime: case F::kProcExeInoMtime: case F::kProcExeInoCtimeDurationProcStart:
    case F::kProcExeInoCtimeDurationPidnsStart: case F::kProcPidnsInitStartTs:
    case F::kProcIsContainerHealthcheck: case F::kProcIsContainerLivenessProbe:
    case F::kProcIsContainerReadinessProbe: case F::kProcCmdnargs: case F::kThreadTid:
    case F::kThreadVtid: case F::kUserUid: case F::kUserLoginuid: case F::kGroupGid:
    case F::kFdNum: case F::kFdTypechar: case F::kFdType: case F::kFdPort: case F::kFdCport:
    case F::kFdSport: case F::kFdLport: case F::kFdRport: case F::kFdIsServer:
    case F::kFdConnected: case F::kFdNameChanged: case F::kFdL4proto: case F::kFdSockfamily:
    case F::kContainerPrivileged: case F::kContainerStartTs: case F::kContainerDuration:
      return 1;
    case F::kEvtRes: case F::kEvtHostname: case F::kEvtCategory:
    case F::kProcName: case F::kProcExe: case F::kProcExepath: case F::kProcCwd:
    case F::kUserName: case F::kUserLoginname: case F::kGroupName:
    case F::kFdName: case F::kFdNameraw: case F::kFdDirectory: case F::kFdFilename:
    case F::kFdIp: case F::kFdCip: case F::kFdSip: case F::kFdLip: case F::kFdRip:
    case F::kFdNet: case F::kFdCnet: case F::kFdSnet: case F::kFdLnet: case F::kFdRnet:
    case F::kFdCipName: case F::kFdSipName: case F::kFdLipName: case F::kFdRipName:
    case F::kContainerId: case F::kContainerFullId: case F::kContainerName:
    case F::kContainerImage: case F::kContainerImageRepository: case F::kContainerImageTag:
    case F::kContainerType: case F::kContainerInfo: case F::kK8sNsName: case F::kK8sPodName:
    case F::kK8sPodUid: case F::kProcCmdlenargs:
      return 2;
    case F::kK8sPodLabel: case F::kProcEnv:
      return f.key.empty() ? 12 : 4;
    // One process-table lookup (cached for the event).
    case F::kProcPname: case F::kProcPexe: case F::kProcPexepath: case F::kProcPvpid:
    case F::kProcPpidDuration: case F::kProcPpidTs:
      return 6;
    case F::kProcSname: case F::kProcSidExe: case F::kProcSidExepath: case F::kProcVpgidName:
    case F::kProcVpgidExe: case F::kProcVpgidExepath:
      return 8;
    // Strings built per event (memoised).
    case F::kProcCmdline: case F::kProcExeline:
      return 10;
    case F::kProcArgs:
      return f.index >= 0 ? 2 : 10;
    case F::kProcPcmdline:
      return 14;
    case F::kThreadCapEffective: case F::kThreadCapPermitted: case F::kThreadCapInheritable:
      return 12;
    // Ancestor walks.
    case F::kProcAname: case F::kProcAexe: case F::kProcAexepath: case F::kProcApid:
      return f.index >= 0 ? 4 + 4 * static_cast<int>(std::min<int64_t>(f.index, 8)) : 30;
    case F::kProcAcmdline:
      return f.index >= 0 ? 14 + 4 * static_cast<int>(std::min<int64_t>(f.index, 8)) : 60;
    // Rendered.
    case F::kEvtArg: case F::kEvtRawarg:
      return 8;
    case F::kEvtArgs: case F::kEvtTime: case F::kEvtTimeS: case F::kEvtTimeIso8601:
    case F::kEvtDatetime: case F::kContainerMounts: case F::kContainerMountSource:
    case F::kContainerMountDest: case F::kK8sPodLabels:
      return 20;
    case F::kEvtBuffer:
      return 4;
  }
  return 10;
}

}  // namespace riposte::detector::rules
