// SPDX-License-Identifier: GPL-2.0
/* Syscall sensor: one record per completed syscall that user space is interested in, taken at
 * sys_exit. The arguments are still in the saved user registers there, so no enter-side state
 * is needed: args come from pt_regs, strings are read from user memory (the kernel has just
 * read them, so they are resident), and fd-producing calls are described from the new fd's
 * struct file. The interest map (filled from the loaded rules' event types, plus what keeps
 * the fd table right) is checked first, so uninteresting syscalls cost one array lookup. */
#include "common.bpf.h"
#include "file.bpf.h"
#include "path.bpf.h"
#include "syscalls.h"

char LICENSE[] SEC("license") = "GPL";

/* riposte_interest bits per syscall number; zero = not reported. Filled before attach. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, RIPOSTE_SYSCALL_MAX);
  __type(key, __u32);
  __type(value, __u8);
} interest SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct riposte_syscall_record);
} sc_scratch SEC(".maps");

/* Paths an open of each class can match (riposte_open_key); consulted only for the classes
 * whose bit (1 << riposte_open_class) is set in open_filter, the others all pass. */
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, RIPOSTE_OPEN_PREFIX_MAX);
  __type(key, struct riposte_open_key);
  __type(value, __u8);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} open_paths SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct riposte_open_key);
} open_key_scratch SEC(".maps");

const volatile __u8 open_filter = 0;

/* The detector's own process: its syscalls (ring buffer reads, /proc scans, logs) would feed
 * back into itself. */
const volatile __u32 self_tgid = 0;

#define TS_COMPAT 0x0002
#define FD_RES 6 /* spec.fd: the result is the fd */

enum special {
  SP_NONE,
  SP_OPEN,     /* resolve a relative path through the new file */
  SP_OPENAT2,  /* + struct open_how */
  SP_HANDLE,   /* open_by_handle_at: the path only the kernel knows */
  SP_SOCKADDR, /* connect, bind: struct sockaddr at args[1] */
  SP_SENDTO,   /* struct sockaddr at args[4] */
  SP_PIPE,
  SP_CLONE3,
  SP_MOUNT,
  SP_CHDIR,
  SP_FCNTL,
  SP_CLOSE,
  SP_CREDS, /* setuid family, capset: the credentials the call left (RIPOSTE_SC_CREDS) */
};

struct spec {
  __s8 str1, str2; /* argument holding a user string, -1 none */
  __s8 fd;         /* argument holding the fd the call is about, FD_RES, -1 none */
  __s8 dir1, dir2; /* argument holding the dirfd str1 / str2 is relative to, -1 none */
  __u8 special;
};

#define SPEC_AT(s1, d1, s2, d2, f, sp) \
  ((struct spec){.str1 = (s1), .str2 = (s2), .fd = (f), .dir1 = (d1), .dir2 = (d2), .special = (sp)})
#define SPEC(s1, s2, f, sp) SPEC_AT(s1, -1, s2, -1, f, sp)

/* The row of `nr` in bpf/syscalls.h. */
#define SPEC_ROW(name, nr, fn, event, kind, s1, d1, s2, d2, f, sp) \
  case RIPOSTE_NR_##name:                                          \
    return SPEC_AT(s1, d1, s2, d2, f, SP_##sp);
static __always_inline struct spec spec_of(long nr) {
  switch (nr) {
    RIPOSTE_SYSCALLS(SPEC_ROW)
    default: return SPEC(-1, -1, -1, SP_NONE);
  }
}
#undef SPEC_ROW

static __always_inline __u16 read_user_str(char *dst, __u64 ptr) {
  if (!ptr) {
    dst[0] = 0;
    return 0;
  }
  long n = bpf_probe_read_user_str(dst, RIPOSTE_STR_LEN, (const void *)ptr);
  if (n <= 0) {
    dst[0] = 0;
    return 0;
  }
  return n - 1;
}

/* Remote (or, for bind, local) address of an inet socket call from the caller's sockaddr; a
 * unix socket's path goes to str1. */
static __always_inline void read_sockaddr(struct riposte_syscall_record *r, __u64 ptr, bool local) {
  if (!ptr) return;
  __u16 family = 0;
  if (bpf_probe_read_user(&family, sizeof(family), (void *)ptr)) return;
  __u16 port_be = 0;
  if (family == RIPOSTE_AF_INET || family == RIPOSTE_AF_INET6) {
    bpf_probe_read_user(&port_be, sizeof(port_be), (char *)ptr + 2);
    __u8 *addr = local ? r->fd.laddr : r->fd.raddr;
    if (family == RIPOSTE_AF_INET) bpf_probe_read_user(addr, 4, (char *)ptr + 4);
    else bpf_probe_read_user(addr, 16, (char *)ptr + 8);
    if (local) r->fd.lport = bpf_ntohs(port_be);
    else r->fd.rport = bpf_ntohs(port_be);
  } else if (family == RIPOSTE_AF_UNIX) {
    r->str1_len = read_user_str(r->strings, ptr + 2);
  }
}

/* str1 := the absolute path the kernel resolved, str2 := what the caller passed (str1). */
static __always_inline void resolve_str1(struct riposte_syscall_record *r, struct task_struct *task,
                                         struct vfsmount *vfs, struct dentry *dentry) {
  bpf_probe_read_kernel_str(&r->strings[RIPOSTE_STR_LEN], RIPOSTE_STR_LEN, r->strings);
  r->str2_len = r->str1_len;
  r->str1_len = walk_path(task, vfs, dentry, r->strings, RIPOSTE_STR_LEN);
  r->flags |= RIPOSTE_SC_PATH_RESOLVED;
}

/* What a successful credential call left, read from the task rather than inferred from the
 * arguments (setresuid(-1, -1, x) changes no effective id; setuid by an unprivileged caller
 * only the effective one). kernel_cap_t is one u64 since 6.3 and two u32 before: read as
 * 8 bytes either way, as the exec program does. */
static __always_inline void read_new_creds(struct riposte_syscall_record* r,
                                           struct task_struct* task) {
  const struct cred* cred = BPF_CORE_READ(task, cred);
  if (r->nr == RIPOSTE_NR_capset) {
    r->args[2] = r->args[3] = r->args[4] = 0;
    bpf_probe_read_kernel(&r->args[2], sizeof(r->args[2]), &cred->cap_inheritable);
    bpf_probe_read_kernel(&r->args[3], sizeof(r->args[3]), &cred->cap_permitted);
    bpf_probe_read_kernel(&r->args[4], sizeof(r->args[4]), &cred->cap_effective);
  } else {
    r->args[5] =
        (__u64)BPF_CORE_READ(cred, euid.val) | ((__u64)BPF_CORE_READ(cred, egid.val) << 32);
  }
  r->flags |= RIPOSTE_SC_CREDS;
}

static __always_inline void handle_special(struct riposte_syscall_record *r, struct spec s,
                                           struct task_struct *task, struct file *f) {
  switch (s.special) {
    case SP_OPENAT2: {
      __u64 how[2] = {};
      bpf_probe_read_user(how, sizeof(how), (void *)r->args[2]);
      r->args[2] = how[0];
      r->args[3] = how[1];
    }
      /* fall through */
    case SP_OPEN:
      if (f && r->res >= 0 && r->strings[0] != '/') resolve_str1(r, task, BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry));
      break;
    case SP_HANDLE:
      if (f) {
        r->str1_len = walk_path(task, BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), r->strings, RIPOSTE_STR_LEN);
        r->flags |= RIPOSTE_SC_PATH_RESOLVED;
      }
      break;
    case SP_CHDIR:
      if (r->res == 0) resolve_str1(r, task, BPF_CORE_READ(task, fs, pwd.mnt), BPF_CORE_READ(task, fs, pwd.dentry));
      break;
    case SP_SOCKADDR:
      read_sockaddr(r, r->args[1], r->nr == RIPOSTE_NR_bind);
      break;
    case SP_SENDTO:
      read_sockaddr(r, r->args[4], false);
      break;
    case SP_PIPE: {
      int fds[2] = {-1, -1};
      if (r->res == 0) bpf_probe_read_user(fds, sizeof(fds), (void *)r->args[0]);
      r->args[2] = (__u64)(__s64)fds[0];
      r->args[3] = (__u64)(__s64)fds[1];
      break;
    }
    case SP_CLONE3: {
      __u64 flags = 0;
      bpf_probe_read_user(&flags, sizeof(flags), (void *)r->args[0]);
      r->args[2] = flags;
      break;
    }
    case SP_MOUNT:
      bpf_probe_read_user_str(r->fd.hint, sizeof(r->fd.hint), (void *)r->args[2]);
      break;
    case SP_CREDS:
      if (r->res == 0) read_new_creds(r, task);
      break;
  }
}

/* True when no loaded rule can match this open (open_paths.h): its path, as the caller
 * passed it, starts with none of its class's prefixes. Paths whose fd.name is not those bytes
 * (relative, with "//", "/." or "..") and paths too long to check whole always pass. The path
 * is read again from user memory, as for the record itself: the kernel has just copied it. */
static __always_inline bool open_unwanted(long nr, const struct pt_regs *regs) {
  if (!open_filter) return false;
  __u64 path, flags;
  switch (nr) {
    case RIPOSTE_NR_open: path = regs->di; flags = regs->si; break;
    case RIPOSTE_NR_openat: path = regs->si; flags = regs->dx; break;
    case RIPOSTE_NR_openat2:
      path = regs->si;
      flags = 0;
      if (bpf_probe_read_user(&flags, sizeof(flags), (void *)regs->dx)) return false;
      break;
    default: return false; /* creat, open_by_handle_at: rare, and not in the analysis */
  }
  if ((flags & 3) == 3) return false; /* neither read nor write access for the rules */
  const __u8 cls = (flags & 3) == 0 ? RIPOSTE_OPEN_READ : RIPOSTE_OPEN_WRITE;
  if (!(open_filter & (1 << cls))) return false;
  __u32 zero = 0;
  struct riposte_open_key *k = bpf_map_lookup_elem(&open_key_scratch, &zero);
  if (!k) return false;
  long n = bpf_probe_read_user_str(&k->data[1], RIPOSTE_OPEN_KEY_LEN - 1, (const void *)path);
  if (n <= 1 || n >= RIPOSTE_OPEN_KEY_LEN - 1 || k->data[1] != '/') return false;
  for (int i = 1; i < RIPOSTE_OPEN_KEY_LEN - 1; i++) {
    if (i >= n) break;
    const char c = k->data[i], d = k->data[i + 1];
    if ((c == '/' && (d == '/' || d == '.')) || (c == '.' && d == '.')) return false;
  }
  k->data[0] = cls;
  k->prefixlen = (__u32)n * 8; /* the class byte and the path, without its NUL */
  return bpf_map_lookup_elem(&open_paths, k) == NULL;
}

/* A path argument user space resolves through its entry for dirfd `arg`. */
static __always_inline bool relative_to_dirfd(const char *path, const struct riposte_syscall_record *r, __s8 arg) {
  return arg >= 0 && arg < 6 && path[0] && path[0] != '/' && (int)r->args[arg & 7] != RIPOSTE_AT_FDCWD;
}

/* The fd the record describes (see struct riposte_syscall_record), -1 none. */
static __always_inline long described_fd(const struct riposte_syscall_record *r, struct spec s) {
  if (s.fd == FD_RES && r->res >= 0) {
    if (s.special != SP_FCNTL || r->args[1] == RIPOSTE_F_DUPFD || r->args[1] == RIPOSTE_F_DUPFD_CLOEXEC) return r->res;
    return -1;
  }
  if (s.fd >= 0 && s.fd < 6) return (int)r->args[s.fd & 7];
  if (r->nr == RIPOSTE_NR_accept || r->nr == RIPOSTE_NR_accept4) return (int)r->args[0];
  if (relative_to_dirfd(r->strings, r, s.dir1)) return (int)r->args[s.dir1 & 7];
  if (relative_to_dirfd(&r->strings[RIPOSTE_STR_LEN], r, s.dir2)) return (int)r->args[s.dir2 & 7];
  return -1;
}

/* One completed syscall `nr` with its user registers and result. Inlined into every hook with
 * nr a constant where it can be (fexit), so each program keeps only its syscall's code. */
static __always_inline int report(long nr, const struct pt_regs *regs, long ret) {
  if (nr < 0 || nr >= RIPOSTE_SYSCALL_MAX) return 0;
  __u32 key = nr;
  __u8 *want = bpf_map_lookup_elem(&interest, &key);
  if (!want || !*want) return 0;
  if (!(*want & RIPOSTE_WANT_RULES)) {
    /* kept for the fd table only: an fcntl that duplicated. Not a close: user space checks
     * its entries against the identity (ino, dev) of the fd a later record describes. */
    if (nr == RIPOSTE_NR_close) return 0;
    /* kept for the process's credentials: only a call that changed them */
    if (spec_of(nr).special == SP_CREDS && ret != 0) return 0;
    if (nr == RIPOSTE_NR_fcntl && (ret < 0 || (regs->si != RIPOSTE_F_DUPFD && regs->si != RIPOSTE_F_DUPFD_CLOEXEC))) return 0;
  }
  if (open_unwanted(nr, regs)) return 0;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  if ((pid_tgid >> 32) == self_tgid) return 0;
  struct task_struct *task = bpf_get_current_task_btf();

  __u32 zero = 0;
  struct riposte_syscall_record *r = bpf_map_lookup_elem(&sc_scratch, &zero);
  if (!r) return 0;
  fill_header_of(&r->h, RIPOSTE_REC_SYSCALL, pid_tgid);
  r->nr = nr;
  r->flags = 0;
  r->res = ret;
  r->args[0] = regs->di;
  r->args[1] = regs->si;
  r->args[2] = regs->dx;
  r->args[3] = regs->r10;
  r->args[4] = regs->r8;
  r->args[5] = regs->r9;
  __builtin_memset(&r->fd, 0, sizeof(r->fd));
  r->str1_len = 0;
  r->str2_len = 0;
  r->strings[0] = 0;

  struct spec s = spec_of(nr);
  if (s.str1 >= 0 && s.str1 < 6) r->str1_len = read_user_str(r->strings, r->args[s.str1 & 7]);
  if (s.str2 >= 0 && s.str2 < 6) r->str2_len = read_user_str(&r->strings[RIPOSTE_STR_LEN], r->args[s.str2 & 7]);

  struct file *f = NULL;
  long fd = described_fd(r, s);
  if (fd >= 0) {
    f = fd_file(task, fd);
    /* The hot path: user space takes the type and flags of a new file from the arguments,
     * as Falco does; it needs only the file's identity. */
    if ((s.special == SP_OPEN || s.special == SP_OPENAT2) && ret >= 0) read_file_id(f, fd, &r->fd);
    else read_file_info(f, fd, &r->fd);
  }
  handle_special(r, s, task, f);
  /* A second dirfd (renameat/linkat) is checked by user space too: its entry may be stale. */
  r->dir2_dev = 0;
  if (relative_to_dirfd(&r->strings[RIPOSTE_STR_LEN], r, s.dir2) && (int)r->args[s.dir2 & 7] != fd &&
      file_identity(fd_file(task, (int)r->args[s.dir2 & 7]), &r->args[5], &r->dir2_dev)) {
    r->flags |= RIPOSTE_SC_DIR2_ID;
  }

  __u32 size = offsetof(struct riposte_syscall_record, strings);
  if (r->str2_len > 0 || s.str2 >= 0 || (r->flags & RIPOSTE_SC_PATH_RESOLVED)) {
    size += RIPOSTE_STR_LEN + (r->str2_len & (RIPOSTE_STR_LEN - 1)) + 1;
  } else if (s.str1 >= 0 || r->str1_len > 0 || fd >= 0 || r->fd.hint[0]) {
    size += (r->str1_len & (RIPOSTE_STR_LEN - 1)) + 1;
  } else {
    size = offsetof(struct riposte_syscall_record, fd); /* the short form: half the bytes */
  }
  if (size > sizeof(*r)) size = sizeof(*r);
  r->h.size = size;
  if (bpf_ringbuf_output(&records, r, size, submit_flags(false))) count_drop();
  return 0;
}

/* Two ways in; user space loads one (bpf_source.cpp). The raw tracepoint sees every syscall of
 * every task, and attaching it at all sends all of them through the kernel's syscall slow
 * path. The fexit hooks, one per syscall of interest on its __x64_sys_* function, cost
 * nothing to the other syscalls; user space falls back to the tracepoint where they cannot
 * be used (a kernel without one of the functions, a clone child's return, which only the
 * tracepoint sees). */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret) {
  struct task_struct *task = bpf_get_current_task_btf();
  if (task->thread_info.status & TS_COMPAT) return 0; /* 32-bit syscall numbers differ */
  return report(regs->orig_ax, regs, ret);
}

/* __x64_sys_* only serve 64-bit syscalls: no compat check needed. */
#define FEXIT_HOOK(name, nr, fn, ...)                                \
  SEC("fexit/__x64_sys_" #fn)                                        \
  int BPF_PROG(fexit_##name, const struct pt_regs* regs, long ret) { \
    return report(RIPOSTE_NR_##name, regs, ret);                     \
  }
RIPOSTE_SYSCALLS(FEXIT_HOOK)
