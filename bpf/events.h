/* Records the BPF programs write to the ring buffer, and the few constants both sides share.
 * Plain C, shared by the BPF objects and user space, so only fixed-size types; user space
 * checks `kind` and `size` before reading. Every record starts with struct riposte_rec_header
 * and all of them go through one ring buffer, so user space sees them in kernel order (an
 * exec before the opens of the new image, a fork before the child's first syscall). */
#ifndef RIPOSTE_BPF_EVENTS_H
#define RIPOSTE_BPF_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RIPOSTE_COMM_LEN 16
#define RIPOSTE_PATH_LEN 512 /* exec paths; syscall paths are bounded by RIPOSTE_STR_LEN */
#define RIPOSTE_ARGS_LEN 1024
#define RIPOSTE_CGROUP_DEPTH 8
#define RIPOSTE_CGROUP_NAME_LEN 128
#define RIPOSTE_STR_LEN 1024 /* each of the two strings of a syscall record, NUL included */
#define RIPOSTE_HINT_LEN 16
/* Syscall numbers below this have a slot in the interest map (x86_64 tops out near 470). */
#define RIPOSTE_SYSCALL_MAX 512

enum riposte_record_kind {
  RIPOSTE_REC_EXEC = 1,
  RIPOSTE_REC_FORK = 2,
  RIPOSTE_REC_EXIT = 3,
  RIPOSTE_REC_SYSCALL = 4,
  RIPOSTE_REC_ENV = 5,
};

/* Values of the interest map, per syscall number: why user space wants that syscall. */
enum riposte_interest {
  RIPOSTE_WANT_RULES = 1, /* a loaded rule can match it: every completed call */
  RIPOSTE_WANT_STATE = 2, /* only the calls that change the fd table (an fcntl that
                           * duplicated, ...); closes are not needed: user space checks an
                           * fd's entry against the inode a record carries */
};

/* The open filter (detector/rules/open_paths.h): an LPM trie of the paths that an open of
 * each access class can match in the loaded rules. Key data: the class, then the path. */
#define RIPOSTE_OPEN_KEY_LEN 256 /* the trie's largest key */
#define RIPOSTE_OPEN_PREFIX_MAX 8192
enum riposte_open_class {
  RIPOSTE_OPEN_READ = 0,  /* O_RDONLY */
  RIPOSTE_OPEN_WRITE = 1, /* O_WRONLY, O_RDWR (and creat) */
};
struct riposte_open_key {
  __u32 prefixlen; /* bits */
  __u8 data[RIPOSTE_OPEN_KEY_LEN];
};

struct riposte_rec_header {
  __u32 kind;
  __u32 size;    /* bytes of the whole record */
  __u64 boot_ns; /* bpf_ktime_get_boot_ns() */
  __u32 pid;     /* thread group id */
  __u32 tid;
  __u32 cpu; /* bpf_get_smp_processor_id(): the CPU the record was made on (evt.cpu) */
  __u32 pad;
};

/* A kernfs path captured leaf first: names[0] is the task's own cgroup. */
struct riposte_cgroup_path {
  __u32 depth;
  __u32 truncated; /* the path was deeper than RIPOSTE_CGROUP_DEPTH */
  char names[RIPOSTE_CGROUP_DEPTH][RIPOSTE_CGROUP_NAME_LEN];
};

enum riposte_exe_flags {
  RIPOSTE_EXE_UPPER_LAYER = 1, /* on an overlayfs upper layer: not part of the image */
  RIPOSTE_EXE_FROM_MEMFD = 2,  /* a memfd_create() file */
  RIPOSTE_EXE_WRITABLE = 4,    /* the process's euid/egid may write the file */
};

struct riposte_exec_record {
  struct riposte_rec_header h; /* RIPOSTE_REC_EXEC */
  __u32 ppid, vpid, vtid, sid, pgid, vpgid;
  __u32 uid, gid, loginuid; /* effective ids, as Falco's user.uid */
  __u32 tty;
  __u32 exe_flags; /* riposte_exe_flags */
  __u32 args_len;  /* bytes of args used: NUL-separated argv, argv[0] first */
  __u32 held;      /* 1: the kernel stopped the process here (see riposte_held); user space decides */
  __u32 pad;
  __u64 cap_effective, cap_permitted, cap_inheritable;
  __u64 cgroup_id;
  __u64 start_boot_ns;            /* the process's clone time */
  __u64 pidns_init_start_boot_ns; /* start of its pid namespace's init (container start) */
  __u64 exe_ino, exe_ctime_ns, exe_mtime_ns;
  char comm[RIPOSTE_COMM_LEN];
  char filename[RIPOSTE_PATH_LEN]; /* as passed to execve */
  char exe_path[RIPOSTE_PATH_LEN]; /* the executable, resolved within the process's root */
  char cwd[RIPOSTE_PATH_LEN];
  struct riposte_cgroup_path cgroup_v2; /* default hierarchy */
  struct riposte_cgroup_path cgroup_v1; /* cpu controller, for cgroup v1 / hybrid hosts */
  char args[RIPOSTE_ARGS_LEN];
};

/* The exec hold (bpf/exec.bpf.c): a process whose exec may match an enforcing rule is
 * stopped (SIGSTOP, before its first instruction) and entered here by pid; whoever deletes
 * the entry (the detector's decision, or its watchdog at the deadline) signals it: SIGKILL or
 * SIGCONT. The start time guards against a reused pid. */
struct riposte_held {
  __u64 start_boot_ns; /* the process's clone time, as in its exec record */
  __u64 held_at_ns;    /* CLOCK_BOOTTIME of the hold */
};

/* A name as the kernel keeps it (task->comm): the key of the hold's name maps. */
struct riposte_comm_key {
  char comm[RIPOSTE_COMM_LEN];
};

enum riposte_fork_flags {
  RIPOSTE_FORK_SHARES_FILES = 1, /* CLONE_FILES: parent and child share one fd table */
};

/* A new process (not a thread): sched_process_fork with a new thread group. */
struct riposte_fork_record {
  struct riposte_rec_header h; /* the child: pid == tid */
  __u32 ppid, parent_tid;
  __u32 vpid;
  __u32 flags; /* riposte_fork_flags */
};

/* The last thread of a process exited (the thread group is dead). */
struct riposte_exit_record {
  struct riposte_rec_header h;
  __s32 exit_code; /* wait(2) status */
  __u32 pad;
};

enum riposte_fd_type {
  RIPOSTE_FD_NONE = 0, /* no fd info in this record */
  RIPOSTE_FD_FILE,     /* regular file, device */
  RIPOSTE_FD_DIR,
  RIPOSTE_FD_IPV4,
  RIPOSTE_FD_IPV6,
  RIPOSTE_FD_UNIX,
  RIPOSTE_FD_NETLINK,
  RIPOSTE_FD_SOCKET, /* another address family */
  RIPOSTE_FD_PIPE,
  RIPOSTE_FD_ANON, /* anon inode: hint holds its name ("[eventfd]", "bpf-map", ...) */
};

/* What the kernel knows about the fd a syscall produced or used, read from its struct file.
 * ino and dev identify the file (0: not read), so user space can tell whether its entry for
 * fd `num` is still that file. A successful open carries only num, ino and dev (type NONE). */
struct riposte_fd_info {
  __u8 type; /* riposte_fd_type */
  __u8 l4proto; /* IPPROTO_TCP / IPPROTO_UDP for inet sockets */
  __u16 lport, rport; /* host byte order */
  __s32 num;
  __u32 flags; /* file->f_flags */
  __u32 dev;   /* inode->i_sb->s_dev, the kernel's encoding (major << 20 | minor) */
  __u64 ino;
  __u8 laddr[16], raddr[16]; /* IPv4 in the first 4 bytes */
  char hint[RIPOSTE_HINT_LEN];
};

enum riposte_syscall_flags {
  RIPOSTE_SC_PATH_RESOLVED = 1, /* str1 is the absolute path the kernel resolved (of the
                                 * opened file, of the new cwd), str2 what the caller passed */
  RIPOSTE_SC_DIR2_ID = 2, /* renameat, renameat2, linkat, symlinkat: the second path is relative
                           * to a dirfd other than fd.num; args[5] (unused by these calls) is
                           * that dirfd's inode number and dir2_dev its device */
  RIPOSTE_SC_CREDS = 4,   /* a successful setuid/setgid/setre[ug]id/setres[ug]id: args[5] holds the
                           * task's effective uid (low 32 bits) and gid (high) after the call;
                           * capset: args[2..4] its inheritable, permitted and effective
                           * capabilities after the call (Falco's capset exit parameters) */
};

/* One completed syscall, taken at sys_exit: the raw arguments, the result, up to two strings
 * read from user memory (paths) and what the fd it is about is: the one it produced or
 * used; for a path relative to a dirfd (unlinkat, a failed openat, ...), that dirfd (the
 * first one of renameat/linkat whose path is relative; the second's identity, if another, per
 * RIPOSTE_SC_DIR2_ID); for a failed accept, the listening
 * socket. Where an argument is a
 * pointer to a small struct, the kernel side replaces unused argument slots with its
 * content: openat2 args[2..3] = open_how.flags/mode, pipe/pipe2 args[2..3] = the two fds,
 * clone3 args[2] = clone_args.flags; mount's filesystem type goes to fd.hint. */
struct riposte_syscall_record {
  struct riposte_rec_header h; /* RIPOSTE_REC_SYSCALL */
  __u32 nr;                    /* x86_64 syscall number */
  __u32 flags;                 /* riposte_syscall_flags */
  __s64 res;
  __u64 args[6];
  __u16 str1_len, str2_len; /* bytes, NUL excluded */
  __u32 dir2_dev;           /* RIPOSTE_SC_DIR2_ID */
  /* A record with neither fd info nor strings (close, setuid, ...) ends here: size ==
   * offsetof(fd). Otherwise it goes on to the strings. */
  struct riposte_fd_info fd;
  /* str1 at strings[0], str2 at strings[RIPOSTE_STR_LEN]; the record ends after the last
   * string present (size says where), so most records carry one short path. */
  char strings[2 * RIPOSTE_STR_LEN];
};

/* The environment of a successful exec (proc.env), as Falco's drivers take it: the first
 * RIPOSTE_ENV_LEN bytes of the new image's NUL-separated NAME=value strings. Written by
 * bpf/process.bpf.c on sched_process_exec only when a loaded rule reads proc.env, and just
 * before the exec record of the same process (its program is attached first), so user space
 * holds it for that exec record. The record ends after env_len bytes of env. */
#define RIPOSTE_ENV_LEN 4096
struct riposte_env_record {
  struct riposte_rec_header h; /* RIPOSTE_REC_ENV */
  __u32 env_len;               /* bytes of env used */
  __u32 truncated;             /* the environment was longer: its tail is cut */
  char env[RIPOSTE_ENV_LEN];
};

/* ---- The in-kernel decision (bpf/exec.bpf.c, detector/rules/kernel_program.h) ------------
 * An enforcing rule whose condition the kernel can evaluate exactly at exec (proc.name,
 * proc.pname, proc.tty, container.id against host, and/or/not) is encoded as up to
 * RIPOSTE_KDEC_NODES nodes per rule, in prefix order (a node's operands have larger indices),
 * and evaluated in Kleene's three-valued logic: a fact the kernel is not sure of is unknown,
 * and only a condition that is true whatever the unknowns are kills in the kernel. Anything
 * else takes the hold path. */
#define RIPOSTE_KDEC_RULES 8
#define RIPOSTE_KDEC_NODES 32
#define RIPOSTE_HELD_KILLED_IN_KERNEL 2 /* riposte_exec_record.held: SIGKILLed at exec */
/* kdec_cgroups values: bit r (r < 8) rule r may kill there, bits 16-23 the generation of
 * kdec_rules it was made for, and this bit: not the host. */
#define RIPOSTE_KDEC_CGROUP_IN_CONTAINER (1u << 31)

enum riposte_kdec_kind {
  RIPOSTE_KDEC_UNUSED = 0,
  RIPOSTE_KDEC_AND, /* of the nodes in `kids` */
  RIPOSTE_KDEC_OR,
  RIPOSTE_KDEC_NOT, /* of its one kid */
  RIPOSTE_KDEC_TRUE,
  RIPOSTE_KDEC_FALSE,
  RIPOSTE_KDEC_NAME_IN,      /* proc.name in name set `arg` */
  RIPOSTE_KDEC_PNAME_IN,     /* proc.pname in name set `arg` (unknown: parent not tracked) */
  RIPOSTE_KDEC_PNAME_EXISTS, /* true when the parent is tracked, else unknown */
  RIPOSTE_KDEC_TTY_EQ,       /* proc.tty == arg */
  RIPOSTE_KDEC_IN_CONTAINER, /* container.id != host (unknown: cgroup not yet classified) */
};

struct riposte_kdec_node {
  __u32 kind; /* riposte_kdec_kind */
  __u32 arg;
  __u64 kids; /* bit i: node i is an operand */
};

struct riposte_kdec_name_key {
  __u32 set;
  char comm[RIPOSTE_COMM_LEN];
};

/* The cgroups that decide container.id (the default hierarchy's and the cpu controller's, as
 * the exec record's two paths); user space classifies them: container or host, and which
 * kernel rules' guardrails allow a kill there. */
struct riposte_kdec_cgroup_key {
  __u64 dfl_id;
  __u64 cpu_id;
};

/* A kernel rule held (or could hold: the cgroup is unclassified) but the kernel did not kill:
 * the exec took the hold path, and this (by pid) tells user space which cgroup to classify. */
struct riposte_kdec_pending {
  __u64 start_boot_ns;
  struct riposte_kdec_cgroup_key cgroup;
};

/* proc.pname as the detector's process table has it: the name each process got at its last
 * exec (by tgid, with its start time against pid reuse). */
struct riposte_exec_name {
  __u64 start_boot_ns;
  char comm[RIPOSTE_COMM_LEN];
};

#endif
