/* Records the BPF programs write to the ring buffer. Plain C, shared by the BPF objects and
 * user space, so only fixed-size types; user space checks `kind` and `size` before reading. */
#ifndef RIPOSTE_BPF_EVENTS_H
#define RIPOSTE_BPF_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RIPOSTE_COMM_LEN 16
#define RIPOSTE_PATH_LEN 256
#define RIPOSTE_ARGS_LEN 1024
#define RIPOSTE_CGROUP_DEPTH 8
#define RIPOSTE_CGROUP_NAME_LEN 128

enum riposte_record_kind {
  RIPOSTE_REC_EXEC = 1,
};

/* A kernfs path captured leaf first: names[0] is the task's own cgroup. */
struct riposte_cgroup_path {
  __u32 depth;
  __u32 truncated; /* the path was deeper than RIPOSTE_CGROUP_DEPTH */
  char names[RIPOSTE_CGROUP_DEPTH][RIPOSTE_CGROUP_NAME_LEN];
};

struct riposte_exec_record {
  __u32 kind; /* RIPOSTE_REC_EXEC */
  __u32 size; /* sizeof(struct riposte_exec_record) */
  __u64 boot_ns; /* bpf_ktime_get_boot_ns() */
  __u32 pid, tid, ppid;
  __u32 vpid, sid;
  __u32 uid, gid, loginuid;
  __u32 tty;
  __u32 args_len; /* bytes of args used: NUL-separated argv, argv[0] first */
  __u64 cap_effective;
  __u64 cgroup_id;
  char comm[RIPOSTE_COMM_LEN];
  char filename[RIPOSTE_PATH_LEN];
  struct riposte_cgroup_path cgroup_v2; /* default hierarchy */
  struct riposte_cgroup_path cgroup_v1; /* cpu controller, for cgroup v1 / hybrid hosts */
  char args[RIPOSTE_ARGS_LEN];
};

#endif
