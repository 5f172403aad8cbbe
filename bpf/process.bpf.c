// SPDX-License-Identifier: GPL-2.0
/* Process lifecycle for the detector's thread table: a record when a new process (thread
 * group) is forked and when its last thread exits, so user space can link children to
 * parents (proc.pname, proc.aname) and reap entries (flat memory). New threads and the exit of
 * a thread whose group lives on are not reported: they change nothing user space keeps.
 * When a rule reads proc.env, also the environment of each new image (riposte_env_record). */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child) {
  __u32 child_tgid = BPF_CORE_READ(child, tgid);
  if (child_tgid == BPF_CORE_READ(parent, tgid)) return 0; /* a thread */
  struct riposte_fork_record *r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
  if (!r) {
    count_drop();
    return 0;
  }
  fill_header(&r->h, RIPOSTE_REC_FORK, sizeof(*r));
  r->h.pid = child_tgid;
  r->h.tid = BPF_CORE_READ(child, pid);
  /* the child's parent: the caller, or the caller's parent with CLONE_PARENT */
  r->ppid = BPF_CORE_READ(child, real_parent, tgid);
  r->parent_tid = BPF_CORE_READ(parent, pid);
  r->vpid = pid_nr_at(BPF_CORE_READ(child, thread_pid), task_ns_level(child));
  r->flags = BPF_CORE_READ(child, files) == BPF_CORE_READ(parent, files) ? RIPOSTE_FORK_SHARES_FILES : 0;
  bpf_ringbuf_submit(r, submit_flags(false));
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task) {
  /* do_exit() decrements signal->live before this tracepoint: zero means the group is dead.
   * (Newer kernels also pass group_dead; reading the counter works on older ones too.) */
  if (BPF_CORE_READ(task, signal, live.counter) != 0) return 0;
  struct riposte_exit_record *r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
  if (!r) {
    count_drop();
    return 0;
  }
  fill_header(&r->h, RIPOSTE_REC_EXIT, sizeof(*r));
  r->h.pid = BPF_CORE_READ(task, tgid);
  r->h.tid = BPF_CORE_READ(task, pid);
  r->exit_code = BPF_CORE_READ(task, exit_code);
  r->pad = 0;
  bpf_ringbuf_submit(r, submit_flags(false));
  return 0;
}

/* Set before load: a loaded rule reads proc.env. */
const volatile __u8 env_wanted = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct riposte_env_record);
} env_scratch SEC(".maps");

/* The new image's environment, read where execve copied it (the top of the new stack, so
 * resident). This program is attached before exec.bpf.c's on the same tracepoint, and
 * programs on a tracepoint run in attach order: the record precedes the exec record. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec_env, struct task_struct* task, pid_t old_pid, struct linux_binprm* bprm) {
  if (!env_wanted) return 0;
  __u32 zero = 0;
  struct riposte_env_record* r = bpf_map_lookup_elem(&env_scratch, &zero);
  if (!r) return 0;
  fill_header(&r->h, RIPOSTE_REC_ENV, 0);
  struct mm_struct* mm = BPF_CORE_READ(task, mm);
  unsigned long start = BPF_CORE_READ(mm, env_start), end = BPF_CORE_READ(mm, env_end);
  __u64 len = end > start ? end - start : 0;
  r->truncated = len > RIPOSTE_ENV_LEN;
  if (len > RIPOSTE_ENV_LEN) len = RIPOSTE_ENV_LEN;
  if (len == 0 || bpf_probe_read_user(r->env, len, (const void*)start)) len = 0;
  r->env_len = len;
  __u64 size = offsetof(struct riposte_env_record, env) + len;
  if (size > sizeof(*r)) size = sizeof(*r);
  r->h.size = size;
  if (bpf_ringbuf_output(&records, r, size, submit_flags(false))) count_drop();
  return 0;
}
