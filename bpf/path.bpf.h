/* Path of a dentry as a task sees it, built in BPF: bpf_d_path() is only allowed in a few
 * fentry/LSM hooks, and these paths are needed in tracepoints. Walks d_parent and crosses
 * mounts (struct mount) up to the task's root, so a container process gets the path inside
 * its own root filesystem. */
#ifndef RIPOSTE_PATH_BPF_H
#define RIPOSTE_PATH_BPF_H

#include "common.bpf.h"

/* Paths are built right to left in a per-CPU buffer: RIPOSTE_WALK_END is where the NUL goes,
 * names are prepended. The slack past the mask lets a name of up to 255 bytes be copied at
 * any masked offset, which is what the verifier needs to see. */
#define RIPOSTE_WALK_SIZE 4096
#define RIPOSTE_WALK_MASK (RIPOSTE_WALK_SIZE - 1)
#define RIPOSTE_WALK_END (RIPOSTE_WALK_SIZE - 1)
#define RIPOSTE_WALK_DEPTH 64

struct walk_buf {
  char b[RIPOSTE_WALK_SIZE + 256];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct walk_buf);
} walk_scratch SEC(".maps");

struct walk_ctx {
  struct dentry *dentry;
  struct mount *mnt;
  struct dentry *root_dentry;
  struct vfsmount *root_mnt;
  __u32 pos;     /* first byte of what is built so far */
  __u32 outside; /* ended at a root that is not the process's (pseudo files, other mounts) */
};

static __always_inline struct mount *real_mount(struct vfsmount *v) {
  return (struct mount *)((char *)v - bpf_core_field_offset(struct mount, mnt));
}

static __always_inline struct vfsmount *vfs_of(struct mount *m) {
  return (struct vfsmount *)((char *)m + bpf_core_field_offset(struct mount, mnt));
}

static long walk_step(__u32 i, void *arg) {
  struct walk_ctx *c = arg;
  struct dentry *d = c->dentry;
  struct vfsmount *vfs = vfs_of(c->mnt);
  if (d == c->root_dentry && vfs == c->root_mnt) return 1;
  struct dentry *mnt_root = BPF_CORE_READ(vfs, mnt_root);
  struct dentry *parent = BPF_CORE_READ(d, d_parent);
  if (d == mnt_root || d == parent) {
    /* the top of this mount: continue from where it is mounted, or stop at the very top */
    struct mount *m = c->mnt;
    struct mount *up = BPF_CORE_READ(m, mnt_parent);
    if (d == mnt_root && up && up != m) {
      c->dentry = BPF_CORE_READ(m, mnt_mountpoint);
      c->mnt = up;
      return 0;
    }
    c->outside = 1;
    return 1;
  }
  __u32 len = BPF_CORE_READ(d, d_name.len);
  const unsigned char *name = BPF_CORE_READ(d, d_name.name);
  if (len > 255) len = 255;
  __u32 zero = 0;
  struct walk_buf *buf = bpf_map_lookup_elem(&walk_scratch, &zero);
  if (!buf || c->pos < len + 1) return 1; /* too long: keep the tail we have */
  __u32 pos = c->pos - len - 1;
  buf->b[pos & RIPOSTE_WALK_MASK] = '/';
  bpf_probe_read_kernel(&buf->b[(pos + 1) & RIPOSTE_WALK_MASK], len & 255, name);
  c->pos = pos;
  c->dentry = parent;
  return 0;
}

/* Writes the path of (vfs, dentry) as the task sees it (relative to its root) to dst, which
 * holds dst_size bytes (a constant after inlining). Returns the string length. Files with no
 * place in the tree (memfd, pipes) are named by their dentry alone: "memfd:name", as Falco
 * does. */
static __always_inline __u32 walk_path(struct task_struct *task, struct vfsmount *vfs,
                                       struct dentry *dentry, char *dst, __u32 dst_size) {
  __u32 zero = 0;
  struct walk_buf *buf = bpf_map_lookup_elem(&walk_scratch, &zero);
  if (!buf) return 0;
  struct walk_ctx c = {
      .dentry = dentry,
      .mnt = real_mount(vfs),
      .root_dentry = BPF_CORE_READ(task, fs, root.dentry),
      .root_mnt = BPF_CORE_READ(task, fs, root.mnt),
      .pos = RIPOSTE_WALK_END,
  };
  buf->b[RIPOSTE_WALK_END] = 0;
  bpf_loop(RIPOSTE_WALK_DEPTH, walk_step, &c, 0);
  long n;
  if (c.pos != RIPOSTE_WALK_END) {
    n = bpf_probe_read_kernel_str(dst, dst_size, &buf->b[c.pos & RIPOSTE_WALK_MASK]);
  } else if (c.outside) {
    n = bpf_probe_read_kernel_str(dst, dst_size, BPF_CORE_READ(dentry, d_name.name));
  } else {
    buf->b[RIPOSTE_WALK_END - 1] = '/';
    n = bpf_probe_read_kernel_str(dst, dst_size, &buf->b[RIPOSTE_WALK_END - 1]);
  }
  return n > 0 ? n - 1 : 0;
}

#endif
