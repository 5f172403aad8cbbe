// SPDX-License-Identifier: GPL-2.0
/* Exec sensor: one record per successful execve/execveat, taken at sched_process_exec (after
 * the new image is in place, so argv is readable from the new mm and comm is final). tp_btf
 * needs no tracefs. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "events.h"

char LICENSE[] SEC("license") = "GPL";

/* Sized by user space before load (config); a power of two multiple of the page size. */
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 22);
} records SEC(".maps");

/* Records that did not fit in the ring buffer: user space exports it as a drop counter. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} drops SEC(".maps");

/* kernfs_node::parent became __parent in 6.15; CO-RE picks whichever the kernel has. */
struct kernfs_node___pre615 {
  struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn) {
  if (bpf_core_field_exists(kn->__parent)) return BPF_CORE_READ(kn, __parent);
  return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
}

static __always_inline void read_cgroup_path(struct cgroup *cg, struct riposte_cgroup_path *out) {
  struct kernfs_node *kn = BPF_CORE_READ(cg, kn);
  out->depth = 0;
  out->truncated = 0;
#pragma unroll
  for (int i = 0; i < RIPOSTE_CGROUP_DEPTH; i++) {
    if (!kn) return;
    struct kernfs_node *parent = kn_parent(kn);
    if (!parent) return; /* the hierarchy's root has no name of its own */
    const char *name = BPF_CORE_READ(kn, name);
    bpf_probe_read_kernel_str(out->names[i], RIPOSTE_CGROUP_NAME_LEN, name);
    out->depth = i + 1;
    kn = parent;
  }
  if (kn && kn_parent(kn)) out->truncated = 1;
}

static __always_inline __u32 tty_of(struct task_struct *task) {
  struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
  if (!tty) return 0;
  int index = BPF_CORE_READ(tty, index);
  int major = BPF_CORE_READ(tty, driver, major);
  int minor = BPF_CORE_READ(tty, driver, minor_start) + index;
  /* new_encode_dev(), which is how Falco reports proc.tty */
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

static __always_inline void count_drop(void) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&drops, &zero);
  if (n) __sync_fetch_and_add(n, 1);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
  struct riposte_exec_record *r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
  if (!r) {
    count_drop();
    return 0;
  }
  r->kind = RIPOSTE_REC_EXEC;
  r->size = sizeof(*r);
  r->boot_ns = bpf_ktime_get_boot_ns();
  r->pid = BPF_CORE_READ(task, tgid);
  r->tid = BPF_CORE_READ(task, pid);
  r->ppid = BPF_CORE_READ(task, real_parent, tgid);
  r->sid = 0;
  {
    /* pid as seen from the task's own pid namespace: the last level of its struct pid */
    struct pid *p = BPF_CORE_READ(task, thread_pid);
    unsigned int level = BPF_CORE_READ(p, level);
    r->vpid = BPF_CORE_READ(p, numbers[level].nr);
  }
  r->uid = BPF_CORE_READ(task, cred, uid.val);
  r->gid = BPF_CORE_READ(task, cred, gid.val);
  r->loginuid = bpf_core_field_exists(task->loginuid) ? BPF_CORE_READ(task, loginuid.val) : (__u32)-1;
  r->tty = tty_of(task);
  r->cap_effective = 0;
  bpf_probe_read_kernel(&r->cap_effective, sizeof(r->cap_effective), &task->cred->cap_effective);
  r->cgroup_id = bpf_get_current_cgroup_id();
  bpf_get_current_comm(r->comm, sizeof(r->comm));
  bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), BPF_CORE_READ(bprm, filename));

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

  unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
  unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
  __u64 len = arg_end > arg_start ? arg_end - arg_start : 0;
  if (len > RIPOSTE_ARGS_LEN - 1) len = RIPOSTE_ARGS_LEN - 1;
  /* the mask is what convinces the verifier the size is bounded (clang may drop the compare) */
  len &= RIPOSTE_ARGS_LEN - 1;
  r->args_len = 0;
  if (len > 0 && bpf_probe_read_user(r->args, len, (void *)arg_start) == 0) r->args_len = len;
  bpf_ringbuf_submit(r, 0);
  return 0;
}
