// SPDX-License-Identifier: GPL-2.0
/* Exec sensor: one record per successful execve/execveat, taken at sched_process_exec (after
 * the new image is in place, so argv is readable from the new mm and comm is final). tp_btf
 * needs no tracefs. Besides argv it captures what Falco's process fields need and only the
 * kernel knows for sure: the resolved executable and cwd, whether the executable comes from
 * an overlayfs upper layer or a memfd, capabilities, session and cgroups. */
#include "common.bpf.h"
#include "path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define RIPOSTE_SIGSTOP 19

/* ---- the exec hold (events.h, struct riposte_held) -------------------------------------- */

/* Set before load: hold at all. */
const volatile __u8 hold_enabled = 0;
/* Whether the name / parent name maps filter (0: any). Written live, with the maps, when
 * the enforcing rules change (playbooks): an empty name map holds nothing. */
volatile __u8 hold_by_name = 0;
volatile __u8 hold_by_pname = 0;
/* Written by user space on every poll tick: past it the detector is presumed dead or stuck,
 * and nothing more is held (fail open; the watchdog resumes what is held already). */
volatile __u64 hold_alive_until_ns = 0;

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct riposte_comm_key);
  __type(value, __u8);
} hold_names SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct riposte_comm_key);
  __type(value, __u8);
} hold_pnames SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, struct riposte_held);
} held SEC(".maps");

/* Execs that were candidates but not held (the held map full, or the signal refused). */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} hold_failures SEC(".maps");

static __always_inline void count_hold_failure(void) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&hold_failures, &zero);
  if (n) __sync_fetch_and_add(n, 1);
}

static __always_inline struct pid *group_pid(struct task_struct *task, int type) {
  struct pid *p = NULL;
  struct signal_struct *sig = BPF_CORE_READ(task, signal);
  if (type >= 0 && type < 4) bpf_probe_read_kernel(&p, sizeof(p), &sig->pids[type]);
  return p;
}

/* A parent doing job control (an interactive shell: it put the child in a new process group
 * of its own session) would see the stop and report the job "Stopped". Such execs are not
 * held; the detector kills them right after evaluation instead. runc's terminal processes
 * start a session of their own, scripts keep their parent's group: both are held. */
static __always_inline bool parent_does_job_control(struct task_struct *task) {
  struct task_struct *parent = BPF_CORE_READ(task, real_parent);
  int sid = bpf_core_enum_value(enum pid_type, PIDTYPE_SID);
  int pgid = bpf_core_enum_value(enum pid_type, PIDTYPE_PGID);
  return group_pid(task, sid) == group_pid(parent, sid) && group_pid(task, pgid) != group_pid(parent, pgid);
}

/* ---- the in-kernel decision (events.h, struct riposte_kdec_node) ------------------------ */

#define RIPOSTE_SIGKILL 9

/* What to evaluate, one word so a program reads it at once: bits 0-7 how many rules (0:
 * none), bit 8 which bank of kdec_nodes, bits 16-23 the generation (kdec_cgroups values of
 * another generation are stale: unknown). User space writes a new program into the other bank
 * and then flips this word, so a program in flight never reads a half-written one. */
volatile __u32 kdec_rules = 0;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2 * RIPOSTE_KDEC_RULES * RIPOSTE_KDEC_NODES);
  __type(key, __u32);
  __type(value, struct riposte_kdec_node);
} kdec_nodes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, struct riposte_kdec_name_key);
  __type(value, __u8);
} kdec_names SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct riposte_kdec_cgroup_key);
  __type(value, __u32);
} kdec_cgroups SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, struct riposte_kdec_pending);
} kdec_pending SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, struct riposte_exec_name);
} exec_names SEC(".maps");

/* The facts the rules read, and the three-valued results: node i is true when bit i of
 * is_true is set, false when bit i of is_false is, unknown when neither. */
struct kdec_ctx {
  char comm[RIPOSTE_COMM_LEN];
  char pcomm[RIPOSTE_COMM_LEN];
  __u32 tty;
  __u32 scope;       /* kdec_cgroups value */
  __u32 bank;        /* first key of the bank in kdec_nodes */
  __u8 parent_known; /* pcomm is what the process table has */
  __u8 scope_known;
  __u8 kill;  /* a rule held true within its guardrails */
  __u8 defer; /* a rule held true, its cgroup unclassified or out of scope */
  __u64 is_true, is_false;
};

static __always_inline int kdec_name_in(__u32 set, const char* comm) {
  struct riposte_kdec_name_key k = {.set = set};
  __builtin_memcpy(k.comm, comm, sizeof(k.comm));
  return bpf_map_lookup_elem(&kdec_names, &k) != NULL;
}

/* One node per call, each rule's nodes from the last to the first, so operands come first. */
static long kdec_step(__u64 index, void* data) {
  struct kdec_ctx* c = data;
  __u32 rule = index / RIPOSTE_KDEC_NODES;
  __u32 i = RIPOSTE_KDEC_NODES - 1 - index % RIPOSTE_KDEC_NODES;
  if (i == RIPOSTE_KDEC_NODES - 1) c->is_true = c->is_false = 0;
  __u32 key = c->bank + rule * RIPOSTE_KDEC_NODES + i;
  struct riposte_kdec_node* n = bpf_map_lookup_elem(&kdec_nodes, &key);
  if (!n || n->kind == RIPOSTE_KDEC_UNUSED) return 0;
  __u64 k = n->kids;
  int t = -1; /* 1 true, 0 false, -1 unknown */
  switch (n->kind) {
    case RIPOSTE_KDEC_AND:
      t = (c->is_false & k) ? 0 : ((c->is_true & k) == k ? 1 : -1);
      break;
    case RIPOSTE_KDEC_OR:
      t = (c->is_true & k) ? 1 : ((c->is_false & k) == k ? 0 : -1);
      break;
    case RIPOSTE_KDEC_NOT:
      t = (c->is_true & k) ? 0 : ((c->is_false & k) ? 1 : -1);
      break;
    case RIPOSTE_KDEC_TRUE:
      t = 1;
      break;
    case RIPOSTE_KDEC_FALSE:
      t = 0;
      break;
    case RIPOSTE_KDEC_NAME_IN:
      t = kdec_name_in(n->arg, c->comm);
      break;
    case RIPOSTE_KDEC_PNAME_IN:
      t = c->parent_known ? kdec_name_in(n->arg, c->pcomm) : -1;
      break;
    case RIPOSTE_KDEC_PNAME_EXISTS:
      t = c->parent_known ? 1 : -1;
      break;
    case RIPOSTE_KDEC_TTY_EQ:
      t = c->tty == n->arg;
      break;
    case RIPOSTE_KDEC_IN_CONTAINER:
      t = c->scope_known ? ((c->scope & RIPOSTE_KDEC_CGROUP_IN_CONTAINER) != 0) : -1;
      break;
    default:
      break; /* a kind this program does not know: unknown */
  }
  if (t == 1) c->is_true |= 1ull << i;
  if (t == 0) c->is_false |= 1ull << i;
  if (i != 0) return 0;
  if (t == 1 && c->scope_known && (c->scope & (1u << rule))) {
    c->kill = 1;
    return 1; /* stop: decided */
  }
  /* True but out of scope, or not false while the cgroup is unclassified (container.id is
   * then unknown): the detector decides, and classifies the cgroup for the next exec. */
  if (t == 1 || (t == -1 && !c->scope_known)) c->defer = 1;
  return 0;
}

static __always_inline struct riposte_kdec_cgroup_key cgroup_key(struct task_struct* task) {
  struct riposte_kdec_cgroup_key key = {.dfl_id = bpf_get_current_cgroup_id()};
  struct css_set* cset = BPF_CORE_READ(task, cgroups);
  int cpu_id = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
  struct cgroup_subsys_state* css = NULL;
  if (cpu_id >= 0 && cpu_id < 12) bpf_probe_read_kernel(&css, sizeof(css), &cset->subsys[cpu_id]);
  if (css) key.cpu_id = BPF_CORE_READ(css, cgroup, kn, id);
  return key;
}

/* The name the process table gives this process from now on (its exec record's comm). */
static __always_inline void track_exec_name(struct riposte_exec_record* r) {
  if (!(kdec_rules & 0xff)) return;
  struct riposte_exec_name v = {.start_boot_ns = r->start_boot_ns};
  __builtin_memcpy(v.comm, r->comm, sizeof(v.comm));
  __u32 pid = r->h.pid;
  bpf_map_update_elem(&exec_names, &pid, &v, BPF_ANY);
}

/* 1: a kernel rule holds for this exec within its guardrails; the caller kills it. */
static __always_inline int kernel_decides_kill(struct task_struct* task,
                                               struct riposte_exec_record* r) {
  __u32 word = kdec_rules;
  __u32 rules = word & 0xff;
  if (!rules) return 0;
  if (rules > RIPOSTE_KDEC_RULES) rules = RIPOSTE_KDEC_RULES;
  struct kdec_ctx c = {.tty = r->tty,
                       .bank = ((word >> 8) & 1) * RIPOSTE_KDEC_RULES * RIPOSTE_KDEC_NODES};
  __builtin_memcpy(c.comm, r->comm, sizeof(c.comm));
  struct task_struct* parent = BPF_CORE_READ(task, real_parent);
  __u32 ppid = BPF_CORE_READ(parent, tgid);
  struct riposte_exec_name* pn = bpf_map_lookup_elem(&exec_names, &ppid);
  if (pn && pn->start_boot_ns == BPF_CORE_READ(parent, group_leader, start_boottime)) {
    __builtin_memcpy(c.pcomm, pn->comm, sizeof(c.pcomm));
    c.parent_known = 1;
  }
  struct riposte_kdec_cgroup_key key = cgroup_key(task);
  __u32* scope = bpf_map_lookup_elem(&kdec_cgroups, &key);
  if (scope && ((*scope >> 16) & 0xff) == ((word >> 16) & 0xff)) {
    c.scope = *scope;
    c.scope_known = 1;
  }
  bpf_loop(rules * RIPOSTE_KDEC_NODES, kdec_step, &c, 0);
  if (c.kill) return 1;
  if (c.defer) {
    struct riposte_kdec_pending p = {.start_boot_ns = r->start_boot_ns, .cgroup = key};
    __u32 pid = r->h.pid;
    bpf_map_update_elem(&kdec_pending, &pid, &p, BPF_ANY);
  }
  return 0;
}

/* Stops the process before its first instruction when its names make it a candidate. */
static __always_inline __u32 hold_if_candidate(struct task_struct *task, struct riposte_exec_record *r) {
  if (!hold_enabled) return 0;
  __u64 now = bpf_ktime_get_boot_ns();
  if (now > hold_alive_until_ns) return 0;
  if (hold_by_name) {
    struct riposte_comm_key name = {};
    __builtin_memcpy(name.comm, r->comm, sizeof(name.comm));
    if (!bpf_map_lookup_elem(&hold_names, &name)) return 0;
  }
  if (hold_by_pname) {
    struct riposte_comm_key parent = {};
    bpf_probe_read_kernel_str(parent.comm, sizeof(parent.comm), BPF_CORE_READ(task, real_parent, comm));
    if (!bpf_map_lookup_elem(&hold_pnames, &parent)) return 0;
  }
  /* Decided here with no round trip when a kernel rule holds; SIGKILL is pending like the
   * stop: the new program never runs. Otherwise the hold path decides. */
  if (kernel_decides_kill(task, r) && bpf_send_signal(RIPOSTE_SIGKILL) == 0)
    return RIPOSTE_HELD_KILLED_IN_KERNEL;
  if (parent_does_job_control(task)) return 0;
  struct riposte_held h = {.start_boot_ns = r->start_boot_ns, .held_at_ns = now};
  __u32 pid = r->h.pid;
  if (bpf_map_update_elem(&held, &pid, &h, BPF_ANY)) {
    count_hold_failure();
    return 0;
  }
  /* pending until the return to user mode: the new program has not run an instruction */
  if (bpf_send_signal(RIPOSTE_SIGSTOP)) {
    bpf_map_delete_elem(&held, &pid);
    count_hold_failure();
    return 0;
  }
  return 1;
}
#define RIPOSTE_S_IWUSR 00200
#define RIPOSTE_S_IWGRP 00020
#define RIPOSTE_S_IWOTH 00002

static __always_inline __u32 tty_of(struct task_struct *task) {
  struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
  if (!tty) return 0;
  int index = BPF_CORE_READ(tty, index);
  int major = BPF_CORE_READ(tty, driver, major);
  int minor = BPF_CORE_READ(tty, driver, minor_start) + index;
  /* new_encode_dev(), which is how Falco reports proc.tty */
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

/* inode timestamps moved from timespec64 members to split sec/nsec fields in 6.11 (ctime) and
 * 6.7/6.11 (mtime); older layouts are read through these flavors. */
struct inode___timespec {
  struct timespec64 __i_ctime;
  struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

static __always_inline void inode_times(struct inode *inode, __u64 *ctime, __u64 *mtime) {
  if (bpf_core_field_exists(inode->i_ctime_sec)) {
    *ctime = BPF_CORE_READ(inode, i_ctime_sec) * 1000000000ull + BPF_CORE_READ(inode, i_ctime_nsec);
    *mtime = BPF_CORE_READ(inode, i_mtime_sec) * 1000000000ull + BPF_CORE_READ(inode, i_mtime_nsec);
  } else {
    struct inode___timespec *old = (void *)inode;
    *ctime = BPF_CORE_READ(old, __i_ctime.tv_sec) * 1000000000ull + BPF_CORE_READ(old, __i_ctime.tv_nsec);
    *mtime = BPF_CORE_READ(old, __i_mtime.tv_sec) * 1000000000ull + BPF_CORE_READ(old, __i_mtime.tv_nsec);
  }
}

/* Falco's test: on overlayfs, the inode has an upper dentry (the file was created or copied
 * up in the container's writable layer). struct ovl_inode keeps __upperdentry right after its
 * embedded vfs inode; reading it that way needs no overlayfs BTF (it may be a module). */
static __always_inline bool on_upper_layer(struct inode *inode) {
  if (BPF_CORE_READ(inode, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC) return false;
  struct dentry *upper = NULL;
  bpf_probe_read_kernel(&upper, sizeof(upper), (char *)inode + bpf_core_type_size(struct inode));
  return upper != NULL;
}

static __always_inline bool writable_by(struct inode *inode, __u32 uid, __u32 gid) {
  __u16 mode = BPF_CORE_READ(inode, i_mode);
  if (uid == 0) return true; /* as Falco: root may write whatever it runs */
  if (BPF_CORE_READ(inode, i_uid.val) == uid) return mode & RIPOSTE_S_IWUSR;
  if (BPF_CORE_READ(inode, i_gid.val) == gid) return mode & RIPOSTE_S_IWGRP;
  return mode & RIPOSTE_S_IWOTH;
}

static __always_inline void read_exe(struct task_struct *task, struct linux_binprm *bprm,
                                     struct riposte_exec_record *r) {
  struct file *exe = BPF_CORE_READ(bprm, file);
  struct inode *inode = BPF_CORE_READ(exe, f_inode);
  struct dentry *dentry = BPF_CORE_READ(exe, f_path.dentry);
  walk_path(task, BPF_CORE_READ(exe, f_path.mnt), dentry, r->exe_path, sizeof(r->exe_path));
  r->exe_flags = 0;
  if (on_upper_layer(inode)) r->exe_flags |= RIPOSTE_EXE_UPPER_LAYER;
  if (writable_by(inode, r->uid, r->gid)) r->exe_flags |= RIPOSTE_EXE_WRITABLE;
  char prefix[6] = {};
  bpf_probe_read_kernel(prefix, sizeof(prefix), BPF_CORE_READ(dentry, d_name.name));
  if (prefix[0] == 'm' && prefix[1] == 'e' && prefix[2] == 'm' && prefix[3] == 'f' &&
      prefix[4] == 'd' && prefix[5] == ':') {
    r->exe_flags |= RIPOSTE_EXE_FROM_MEMFD;
  }
  r->exe_ino = BPF_CORE_READ(inode, i_ino);
  inode_times(inode, &r->exe_ctime_ns, &r->exe_mtime_ns);
}

static __always_inline void read_ids(struct task_struct *task, struct riposte_exec_record *r) {
  unsigned int level = task_ns_level(task);
  r->h.tid = BPF_CORE_READ(task, pid);
  r->h.pid = BPF_CORE_READ(task, tgid);
  r->ppid = BPF_CORE_READ(task, real_parent, tgid);
  r->vpid = pid_nr_at(BPF_CORE_READ(task, group_leader, thread_pid), level);
  r->vtid = pid_nr_at(BPF_CORE_READ(task, thread_pid), level);
  int sid_type = bpf_core_enum_value(enum pid_type, PIDTYPE_SID);
  int pgid_type = bpf_core_enum_value(enum pid_type, PIDTYPE_PGID);
  struct pid *sid = NULL, *pgid = NULL;
  struct signal_struct *sig = BPF_CORE_READ(task, signal);
  if (sid_type >= 0 && sid_type < 4) bpf_probe_read_kernel(&sid, sizeof(sid), &sig->pids[sid_type]);
  if (pgid_type >= 0 && pgid_type < 4) bpf_probe_read_kernel(&pgid, sizeof(pgid), &sig->pids[pgid_type]);
  r->sid = pid_nr_at(sid, level);
  r->vpgid = pid_nr_at(pgid, level);
  r->pgid = pid_nr_at(pgid, 0);
  r->start_boot_ns = BPF_CORE_READ(task, group_leader, start_boottime);
  /* the init of the task's pid namespace: for a container, when the container started */
  struct pid *tp = BPF_CORE_READ(task, thread_pid);
  struct pid_namespace *ns = BPF_CORE_READ(tp, numbers[level & 31].ns);
  r->pidns_init_start_boot_ns = BPF_CORE_READ(ns, child_reaper, start_boottime);
}

static __always_inline void read_creds(struct task_struct *task, struct riposte_exec_record *r) {
  const struct cred *cred = BPF_CORE_READ(task, cred);
  r->uid = BPF_CORE_READ(cred, euid.val);
  r->gid = BPF_CORE_READ(cred, egid.val);
  r->loginuid = bpf_core_field_exists(task->loginuid) ? BPF_CORE_READ(task, loginuid.val) : (__u32)-1;
  r->cap_effective = 0;
  r->cap_permitted = 0;
  r->cap_inheritable = 0;
  bpf_probe_read_kernel(&r->cap_effective, sizeof(r->cap_effective), &cred->cap_effective);
  bpf_probe_read_kernel(&r->cap_permitted, sizeof(r->cap_permitted), &cred->cap_permitted);
  bpf_probe_read_kernel(&r->cap_inheritable, sizeof(r->cap_inheritable), &cred->cap_inheritable);
}

static __always_inline void read_cgroups(struct task_struct *task, struct riposte_exec_record *r) {
  r->cgroup_id = bpf_get_current_cgroup_id();
  struct css_set *cset = BPF_CORE_READ(task, cgroups);
  read_cgroup_path(BPF_CORE_READ(cset, dfl_cgrp), &r->cgroup_v2);
  int cpu_id = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
  struct cgroup_subsys_state *css = NULL;
  if (cpu_id >= 0 && cpu_id < 12) bpf_probe_read_kernel(&css, sizeof(css), &cset->subsys[cpu_id]);
  if (css) {
    read_cgroup_path(BPF_CORE_READ(css, cgroup), &r->cgroup_v1);
  } else {
    r->cgroup_v1.depth = 0;
    r->cgroup_v1.truncated = 0;
  }
}

static __always_inline void read_args(struct task_struct *task, struct riposte_exec_record *r) {
  unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
  unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
  __u64 len = arg_end > arg_start ? arg_end - arg_start : 0;
  if (len > RIPOSTE_ARGS_LEN - 1) len = RIPOSTE_ARGS_LEN - 1;
  /* the mask is what convinces the verifier the size is bounded (clang may drop the compare) */
  len &= RIPOSTE_ARGS_LEN - 1;
  r->args_len = 0;
  if (len > 0 && bpf_probe_read_user(r->args, len, (void *)arg_start) == 0) r->args_len = len;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
  struct riposte_exec_record *r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
  if (!r) {
    count_drop();
    return 0;
  }
  fill_header(&r->h, RIPOSTE_REC_EXEC, sizeof(*r));
  read_ids(task, r);
  read_creds(task, r);
  r->tty = tty_of(task);
  bpf_get_current_comm(r->comm, sizeof(r->comm));
  bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), BPF_CORE_READ(bprm, filename));
  read_exe(task, bprm, r);
  walk_path(task, BPF_CORE_READ(task, fs, pwd.mnt), BPF_CORE_READ(task, fs, pwd.dentry), r->cwd,
            sizeof(r->cwd));
  read_cgroups(task, r);
  read_args(task, r);
  track_exec_name(r);
  r->held = hold_if_candidate(task, r);
  r->pad = 0;
  /* A held process waits for the reader: wake it even behind records written without a
   * wakeup (the default wakes it only when this record is the first unread one). */
  bpf_ringbuf_submit(r, r->held ? BPF_RB_FORCE_WAKEUP : submit_flags(true));
  return 0;
}
