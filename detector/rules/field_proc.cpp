// The proc.* and thread.* fields: one row each (field_table.h).
#include <array>

#include "detector/rules/field_table.h"

namespace riposte::detector::rules {

namespace {

using T = FieldType;
using A = ArgMode;
using FC = FieldClass;

constexpr std::string_view kNoProbes =
    "container health checks and probes are not tracked: false for every process";
constexpr std::string_view kNoCpuTime =
    "a thread's CPU time is only in the kernel module's procinfo events, which riposte has not";

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

std::string_view memo_cmdline(const EvalContext& c, const ProcessInfo& p, EvalScratch::Memo m) {
  std::string* s;
  if (!c.scratch->memo(m, &s)) build_cmdline(p, s);
  return *s;
}

constexpr std::string_view kCapNames[] = {"CAP_CHOWN",
                                          "CAP_DAC_OVERRIDE",
                                          "CAP_DAC_READ_SEARCH",
                                          "CAP_FOWNER",
                                          "CAP_FSETID",
                                          "CAP_KILL",
                                          "CAP_SETGID",
                                          "CAP_SETUID",
                                          "CAP_SETPCAP",
                                          "CAP_LINUX_IMMUTABLE",
                                          "CAP_NET_BIND_SERVICE",
                                          "CAP_NET_BROADCAST",
                                          "CAP_NET_ADMIN",
                                          "CAP_NET_RAW",
                                          "CAP_IPC_LOCK",
                                          "CAP_IPC_OWNER",
                                          "CAP_SYS_MODULE",
                                          "CAP_SYS_RAWIO",
                                          "CAP_SYS_CHROOT",
                                          "CAP_SYS_PTRACE",
                                          "CAP_SYS_PACCT",
                                          "CAP_SYS_ADMIN",
                                          "CAP_SYS_BOOT",
                                          "CAP_SYS_NICE",
                                          "CAP_SYS_RESOURCE",
                                          "CAP_SYS_TIME",
                                          "CAP_SYS_TTY_CONFIG",
                                          "CAP_MKNOD",
                                          "CAP_LEASE",
                                          "CAP_AUDIT_WRITE",
                                          "CAP_AUDIT_CONTROL",
                                          "CAP_SETFCAP",
                                          "CAP_MAC_OVERRIDE",
                                          "CAP_MAC_ADMIN",
                                          "CAP_SYSLOG",
                                          "CAP_WAKE_ALARM",
                                          "CAP_BLOCK_SUSPEND",
                                          "CAP_AUDIT_READ",
                                          "CAP_PERFMON",
                                          "CAP_BPF",
                                          "CAP_CHECKPOINT_RESTORE"};

void caps(const EvalContext& c, uint64_t set, EvalScratch::Memo m, Out* o) {
  std::string* s;
  if (!c.scratch->memo(m, &s)) {
    for (size_t i = 0; i < std::size(kCapNames); ++i) {
      if (set & (uint64_t{1} << i)) {
        if (!s->empty()) *s += ' ';
        *s += kCapNames[i];
      }
    }
  }
  o->str(*s);
}

// proc.aname and the other ancestor fields: with an index the one ancestor (0 = the process
// itself), without one every ancestor, parent first.
void ancestors(const ResolvedField& f, const EvalContext& c, Out* o,
               void (*emit)(const EvalContext&, const ProcessInfo&, Out*)) {
  if (c.ev->proc == nullptr) return;
  if (f.index >= 0) {
    const ProcessInfo* a = ancestor(c, f.index);
    if (a != nullptr) emit(c, *a, o);
    return;
  }
  for (int64_t i = 1; !o->full(); ++i) {
    const ProcessInfo* a = ancestor(c, i);
    if (a == nullptr) break;
    emit(c, *a, o);
  }
}

#define ANCESTORS(...)                                                                 \
  EXTRACT(ancestors(f, c, o, [](const EvalContext& cc, const ProcessInfo& a, Out* x) { \
            (void)cc;                                                                  \
            __VA_ARGS__                                                                \
          });)

// The session or process-group leader: the process itself or a table lookup.
const ProcessInfo* leader(const EvalContext& c, const ProcessInfo* p, int64_t id) {
  return id == p->pid ? p : find_proc(c, id);
}

constexpr Cost kAncestorCost{4, 4, 30};

constexpr FieldDef kRows[] = {
    {.name = "proc.name",
     .type = T::kString,
     .str = STR(if (!p) return false; *out = p->name; return true;),
     .cost = {2}},
    {.name = "proc.exe",
     .type = T::kString,
     .str = STR(if (!p) return false; *out = p->exe; return true;),
     .cost = {2}},
    {.name = "proc.exepath",
     .type = T::kString,
     .str = STR(if (!p) return false; *out = p->exepath; return true;),
     .cost = {2}},
    {.name = "proc.pexe",
     .type = T::kString,
     .str = STR(const ProcessInfo* pp = parent(c); if (!pp) return false; *out = pp->exe;
                return true;),
     .cost = {6}},
    {.name = "proc.pexepath",
     .type = T::kString,
     .str = STR(const ProcessInfo* pp = parent(c); if (!pp) return false; *out = pp->exepath;
                return true;),
     .cost = {6}},
    {.name = "proc.aexe",
     .type = T::kString,
     .arg = A::kIndexOptional,
     .extract = ANCESTORS(x->str(a.exe);),
     .cost = kAncestorCost},
    {.name = "proc.aexepath",
     .type = T::kString,
     .arg = A::kIndexOptional,
     .extract = ANCESTORS(x->str(a.exepath);),
     .cost = kAncestorCost},
    {.name = "proc.cmdline",
     .type = T::kString,
     .str =
         STR(if (!p) return false; *out = memo_cmdline(c, *p, EvalScratch::kCmdline); return true;),
     .cost = {10}},
    {.name = "proc.pcmdline",
     .type = T::kString,
     .str = STR(const ProcessInfo* pp = parent(c); if (!pp) return false;
                *out = memo_cmdline(c, *pp, EvalScratch::kPcmdline); return true;),
     .cost = {14}},
    {.name = "proc.acmdline",
     .type = T::kString,
     .arg = A::kIndexOptional,
     .extract = ANCESTORS(std::string& b = cc.scratch->buffer(); build_cmdline(a, &b); x->str(b);),
     .cost = {14, 4, 60}},
    {.name = "proc.exeline",
     .type = T::kString,
     .extract = EXTRACT(if (!p) return; std::string& b = c.scratch->buffer(); b += p->exe;
                        if (!p->args.empty()) {
                          b += ' ';
                          build_args(*p, &b);
                        } o->str(b);),
     .cost = {10}},
    // Without an index all arguments as one string (not multi-valued).
    {.name = "proc.args",
     .type = T::kString,
     .arg = A::kIndexOrJoined,
     .str = STR(if (!p) return false; if (f.index >= 0) {
       if (static_cast<size_t>(f.index) >= p->args.size()) return false;
       *out = p->args[f.index];
       return true;
     } std::string * m;
                if (!c.scratch->memo(EvalScratch::kArgs, &m)) build_args(*p, m); *out = *m;
                return true;),
     .cost = {2, 0, 10}},
    {.name = "proc.cmdnargs",
     .type = T::kInt,
     .extract = EXTRACT(if (p) o->num(static_cast<int64_t>(p->args.size()));),
     .cost = {1}},
    {.name = "proc.cmdlenargs",
     .type = T::kInt,
     .extract =
         EXTRACT(if (!p) return; int64_t n = 0; for (const auto& a
                                                     : p->args) n += static_cast<int64_t>(a.size());
                 o->num(n);),
     .cost = {2}},
    {.name = "proc.pname",
     .type = T::kString,
     .str = STR(const ProcessInfo* pp = parent(c); if (!pp) return false; *out = pp->name;
                return true;),
     .cost = {6}},
    // With an index the getter serves it; without, every ancestor's name.
    {.name = "proc.aname",
     .type = T::kString,
     .arg = A::kIndexOptional,
     .extract = ANCESTORS(x->str(a.name);),
     .str = STR(const ProcessInfo* a = ancestor(c, f.index); if (!a) return false; *out = a->name;
                return true;),
     .cost = kAncestorCost},
    {.name = "proc.pid",
     .type = T::kInt,
     .num = NUM(if (!p) return false; *out = p->pid; return true;),
     .cost = {1}},
    {.name = "proc.ppid",
     .type = T::kInt,
     .num = NUM(if (!p) return false; *out = p->ppid; return true;),
     .cost = {1}},
    {.name = "proc.apid",
     .type = T::kInt,
     .arg = A::kIndexOptional,
     .extract = ANCESTORS(x->num(a.pid);),
     .cost = kAncestorCost},
    {.name = "proc.vpid",
     .type = T::kInt,
     .num = NUM(if (!p) return false; *out = p->vpid; return true;),
     .cost = {1}},
    {.name = "proc.pvpid",
     .type = T::kInt,
     .extract = EXTRACT(if (auto* pp = parent(c)) o->num(pp->vpid);),
     .cost = {6}},
    {.name = "proc.sid", .type = T::kInt, .extract = EXTRACT(if (p) o->num(p->sid);), .cost = {1}},
    {.name = "proc.sname",
     .type = T::kString,
     .extract = EXTRACT(if (!p) return; if (auto* s = leader(c, p, p->sid)) o->str(s->name);),
     .cost = {8}},
    {.name = "proc.sid.exe",
     .type = T::kString,
     .extract = EXTRACT(if (!p) return; if (auto* s = leader(c, p, p->sid)) o->str(s->exe);),
     .cost = {8}},
    {.name = "proc.sid.exepath",
     .type = T::kString,
     .extract = EXTRACT(if (!p) return; if (auto* s = leader(c, p, p->sid)) o->str(s->exepath);),
     .cost = {8}},
    {.name = "proc.vpgid",
     .type = T::kInt,
     .extract = EXTRACT(if (p) o->num(p->pgid);),
     .cost = {1}},
    {.name = "proc.vpgid.name",
     .type = T::kString,
     .extract = EXTRACT(if (!p) return; if (auto* g = leader(c, p, p->pgid)) o->str(g->name);),
     .cost = {8}},
    {.name = "proc.vpgid.exe",
     .type = T::kString,
     .extract = EXTRACT(if (!p) return; if (auto* g = leader(c, p, p->pgid)) o->str(g->exe);),
     .cost = {8}},
    {.name = "proc.vpgid.exepath",
     .type = T::kString,
     .extract = EXTRACT(if (!p) return; if (auto* g = leader(c, p, p->pgid)) o->str(g->exepath);),
     .cost = {8}},
    {.name = "proc.is_vpgid_leader",
     .type = T::kBool,
     .extract = EXTRACT(if (p) o->boolean(p->pgid == p->pid);),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "proc.is_sid_leader",
     .type = T::kBool,
     .extract = EXTRACT(if (p) o->boolean(p->sid == p->pid);),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "proc.tty",
     .type = T::kInt,
     .num = NUM(if (!p) return false; *out = p->tty; return true;),
     .cost = {1},
     .cls = FC::kTty},
    {.name = "proc.cwd",
     .type = T::kString,
     .str = STR(if (!p) return false; *out = p->cwd; return true;),
     .cost = {2}},
    {.name = "proc.duration",
     .type = T::kRelTime,
     .num = NUM(if (!p || p->start_ns == 0 || c.ev->ts_ns < p->start_ns) return false;
                *out = static_cast<int64_t>(c.ev->ts_ns - p->start_ns); return true;),
     .cost = {1},
     .cls = FC::kStructural},
    {.name = "proc.ppid.duration",
     .type = T::kRelTime,
     .extract = EXTRACT(const ProcessInfo* pp = parent(c);
                        if (pp && pp->start_ns != 0 && c.ev->ts_ns >= pp->start_ns)
                            o->num(static_cast<int64_t>(c.ev->ts_ns - pp->start_ns));),
     .cost = {6},
     .cls = FC::kStructural},
    {.name = "proc.pid.ts",
     .type = T::kAbsTime,
     .extract = EXTRACT(if (p && p->start_ns != 0) o->num(static_cast<int64_t>(p->start_ns));),
     .cost = {1}},
    {.name = "proc.ppid.ts",
     .type = T::kAbsTime,
     .extract = EXTRACT(const ProcessInfo* pp = parent(c);
                        if (pp && pp->start_ns != 0) o->num(static_cast<int64_t>(pp->start_ns));),
     .cost = {6}},
    // proc.env[NAME]: that variable's value, its blanks at both ends trimmed, "" when unset
    // or empty (libsinsp's sinsp_threadinfo::get_env); without a key the whole environment,
    // "NAME=value" entries joined by a blank (concatenate_all_env).
    {.name = "proc.env",
     .type = T::kString,
     .arg = A::kKeyOptional,
     .extract = EXTRACT(
         if (!p) return; if (!f.key.empty()) {
           const size_t n = f.key.size();
           for (const auto& e : p->env) {
             std::string_view sv(e);
             if (sv.size() > n + 1 && sv[n] == '=' && sv.substr(0, n) == f.key) {
               sv.remove_prefix(n + 1);
               const size_t first = sv.find_first_not_of(' ');
               if (first == std::string_view::npos) return o->str({});
               return o->str(sv.substr(first, sv.find_last_not_of(' ') - first + 1));
             }
           }
           return o->str({});
         } std::string& b = c.scratch->buffer();
         for (size_t i = 0; i < p->env.size(); ++i) {
           if (i) b += ' ';
           b += p->env[i];
         } o->str(b);),
     .cost = {4, 0, 12}},
    {.name = "proc.is_exe_upper_layer",
     .type = T::kBool,
     .num = NUM(if (!p) return false; *out = p->exe_upper_layer; return true;),
     .cost = {1},
     .cls = FC::kRareFlag},
    {.name = "proc.is_exe_from_memfd",
     .type = T::kBool,
     .num = NUM(if (!p) return false; *out = p->exe_from_memfd; return true;),
     .cost = {1},
     .cls = FC::kRareFlag},
    {.name = "proc.is_exe_writable",
     .type = T::kBool,
     .num = NUM(if (!p) return false; *out = p->exe_writable; return true;),
     .cost = {1},
     .cls = FC::kRareFlag},
    {.name = "proc.exe_ino",
     .type = T::kInt,
     .extract = EXTRACT(if (p && p->exe_ino != 0) o->num(static_cast<int64_t>(p->exe_ino));),
     .cost = {1}},
    {.name = "proc.exe_ino.ctime",
     .type = T::kAbsTime,
     .extract = EXTRACT(if (p && p->exe_ino_ctime_ns != 0)
                            o->num(static_cast<int64_t>(p->exe_ino_ctime_ns));),
     .cost = {1}},
    {.name = "proc.exe_ino.mtime",
     .type = T::kAbsTime,
     .extract = EXTRACT(if (p && p->exe_ino_mtime_ns != 0)
                            o->num(static_cast<int64_t>(p->exe_ino_mtime_ns));),
     .cost = {1}},
    {.name = "proc.exe_ino.ctime_duration_proc_start",
     .type = T::kRelTime,
     .extract = EXTRACT(if (p && p->exe_ino_ctime_ns != 0 && p->start_ns >= p->exe_ino_ctime_ns)
                            o->num(static_cast<int64_t>(p->start_ns - p->exe_ino_ctime_ns));),
     .cost = {1}},
    {.name = "proc.exe_ino.ctime_duration_pidns_start",
     .type = T::kRelTime,
     .extract =
         EXTRACT(if (p && p->exe_ino_ctime_ns != 0 && p->pidns_init_start_ns != 0 &&
                     p->exe_ino_ctime_ns >= p->pidns_init_start_ns)
                     o->num(static_cast<int64_t>(p->exe_ino_ctime_ns - p->pidns_init_start_ns));),
     .cost = {1}},
    {.name = "proc.pidns_init_start_ts",
     .type = T::kAbsTime,
     .extract = EXTRACT(if (p && p->pidns_init_start_ns != 0)
                            o->num(static_cast<int64_t>(p->pidns_init_start_ns));),
     .cost = {1}},
    // Health checks and probes are not tracked: false for every process.
    {.name = "proc.is_container_healthcheck",
     .type = T::kBool,
     .extract = EXTRACT(if (p) o->boolean(false);),
     .cost = {1},
     .cls = FC::kRareFlag,
     .unfilled = kNoProbes},
    {.name = "proc.is_container_liveness_probe",
     .type = T::kBool,
     .extract = EXTRACT(if (p) o->boolean(false);),
     .cost = {1},
     .cls = FC::kRareFlag,
     .unfilled = kNoProbes},
    {.name = "proc.is_container_readiness_probe",
     .type = T::kBool,
     .extract = EXTRACT(if (p) o->boolean(false);),
     .cost = {1},
     .cls = FC::kRareFlag,
     .unfilled = kNoProbes},
    // libsinsp's thread.cpu*: the CPU time a thread used in the last second, extracted only on
    // the kernel module's procinfo events (PPME_PROCINFO_E), never on a syscall event: no
    // value, as there. libsinsp types them PT_DOUBLE yet refuses `= 1.0` and takes `= 1`
    // (its compiler tests): an integer type compiles what it compiles.
    {.name = "thread.cpu",
     .type = T::kInt,
     .extract = EXTRACT((void)o;),
     .cost = {1},
     .unfilled = kNoCpuTime},
    {.name = "thread.cpu.user",
     .type = T::kInt,
     .extract = EXTRACT((void)o;),
     .cost = {1},
     .unfilled = kNoCpuTime},
    {.name = "thread.cpu.system",
     .type = T::kInt,
     .extract = EXTRACT((void)o;),
     .cost = {1},
     .unfilled = kNoCpuTime},
    {.name = "thread.tid",
     .type = T::kInt,
     .extract = EXTRACT(if (p) o->num(p->tid);),
     .cost = {1}},
    {.name = "thread.vtid",
     .type = T::kInt,
     .extract = EXTRACT(if (p) o->num(p->vtid);),
     .cost = {1}},
    {.name = "thread.cap_effective",
     .type = T::kString,
     .extract = EXTRACT(if (p) caps(c, p->cap_effective, EvalScratch::kCapEffective, o);),
     .cost = {12}},
    {.name = "thread.cap_permitted",
     .type = T::kString,
     .extract = EXTRACT(if (p) caps(c, p->cap_permitted, EvalScratch::kCapPermitted, o);),
     .cost = {12}},
    {.name = "thread.cap_inheritable",
     .type = T::kString,
     .extract = EXTRACT(if (p) caps(c, p->cap_inheritable, EvalScratch::kCapInheritable, o);),
     .cost = {12}},
};

#undef ANCESTORS

}  // namespace

std::span<const FieldDef> proc_fields() { return kRows; }

}  // namespace riposte::detector::rules
