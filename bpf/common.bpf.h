/* What every riposte BPF object shares: the one ring buffer and its drop counter (each object
 * declares them; user space creates them once and hands the same fds to every object, so all
 * records go through one buffer in kernel order), and CO-RE helpers to read tasks, cgroups,
 * files, sockets and paths. */
#ifndef RIPOSTE_COMMON_BPF_H
#define RIPOSTE_COMMON_BPF_H

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "events.h"

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

/* Bytes waiting in the ring buffer above which a record wakes the consumer up. Below it,
 * high-volume records are written without a wakeup (each costs the traced task an IPI-ish
 * irq_work) and user space picks them up on its next poll tick. Set before load. */
const volatile __u64 wakeup_bytes = 1 << 18;

#define RIPOSTE_S_IFMT 00170000
#define RIPOSTE_S_IFSOCK 0140000
#define RIPOSTE_S_IFREG 0100000
#define RIPOSTE_S_IFBLK 0060000
#define RIPOSTE_S_IFDIR 0040000
#define RIPOSTE_S_IFCHR 0020000
#define RIPOSTE_S_IFIFO 0010000
#define RIPOSTE_AF_UNIX 1
#define RIPOSTE_AF_INET 2
#define RIPOSTE_AF_INET6 10
#define RIPOSTE_AF_NETLINK 16
#define RIPOSTE_AT_FDCWD -100

static __always_inline void count_drop(void) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&drops, &zero);
  if (n) __sync_fetch_and_add(n, 1);
}

/* Wake the consumer only when the buffer is filling up; `urgent` records (rare ones an alert
 * is likely to come from: exec) always use the default policy, which wakes a waiting
 * consumer. */
static __always_inline __u64 submit_flags(bool urgent) {
  if (urgent) return 0;
  return bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
                                                                         : BPF_RB_NO_WAKEUP;
}

static __always_inline void fill_header_of(struct riposte_rec_header *h, __u32 kind, __u64 pid_tgid) {
  h->kind = kind;
  h->size = 0;
  h->boot_ns = bpf_ktime_get_boot_ns();
  h->pid = pid_tgid >> 32;
  h->tid = (__u32)pid_tgid;
  h->cpu = bpf_get_smp_processor_id();
  h->pad = 0;
}

static __always_inline void fill_header(struct riposte_rec_header *h, __u32 kind, __u32 size) {
  fill_header_of(h, kind, bpf_get_current_pid_tgid());
  h->size = size;
}

/* ---- tasks ---------------------------------------------------------------------------- */

/* The number of a struct pid as seen from pid namespace `level` (0 when not visible). */
static __always_inline __u32 pid_nr_at(struct pid *p, unsigned int level) {
  if (!p) return 0;
  unsigned int plevel = BPF_CORE_READ(p, level);
  if (level > plevel || level > 31) return 0;
  return BPF_CORE_READ(p, numbers[level].nr);
}

static __always_inline unsigned int task_ns_level(struct task_struct *task) {
  return BPF_CORE_READ(task, thread_pid, level);
}

/* ---- cgroups --------------------------------------------------------------------------- */

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

#endif
