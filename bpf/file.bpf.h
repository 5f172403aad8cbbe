/* What an fd is, read from the task's fd table: type, flags, inode and, for sockets, the
 * address tuple. */
#ifndef RIPOSTE_FILE_BPF_H
#define RIPOSTE_FILE_BPF_H

#include "common.bpf.h"

static __always_inline struct file *fd_file(struct task_struct *task, long fd) {
  if (fd < 0) return NULL;
  struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
  if (!fdt) return NULL;
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  if ((unsigned long)fd >= max) return NULL;
  struct file **arr = BPF_CORE_READ(fdt, fd);
  struct file *f = NULL;
  bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
  return f;
}

/* The addresses are read with their own sizes: BPF_CORE_READ_INTO reads sizeof(*dst), one
 * byte for an array, which left only the first byte of each address (127.0.0.0). */
static __always_inline void read_sock(struct sock *sk, struct riposte_fd_info *out) {
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  out->l4proto = (__u8)BPF_CORE_READ(sk, sk_protocol);
  if (family == RIPOSTE_AF_INET) {
    out->type = RIPOSTE_FD_IPV4;
    bpf_core_read(out->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
    bpf_core_read(out->raddr, 4, &sk->__sk_common.skc_daddr);
  } else if (family == RIPOSTE_AF_INET6) {
    out->type = RIPOSTE_FD_IPV6;
    bpf_core_read(out->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
    bpf_core_read(out->raddr, 16, &sk->__sk_common.skc_v6_daddr);
  } else {
    out->type = family == RIPOSTE_AF_UNIX      ? RIPOSTE_FD_UNIX
                : family == RIPOSTE_AF_NETLINK ? RIPOSTE_FD_NETLINK
                                               : RIPOSTE_FD_SOCKET;
    return;
  }
  out->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
  out->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* Which file f is: inode number and device, what user space checks its fd entries against.
 * Returns the inode (NULL when no file, and then nothing is written). */
static __always_inline struct inode *file_identity(struct file *f, __u64 *ino, __u32 *dev) {
  if (!f) return NULL;
  struct inode *inode = BPF_CORE_READ(f, f_inode);
  *ino = BPF_CORE_READ(inode, i_ino);
  *dev = BPF_CORE_READ(inode, i_sb, s_dev);
  return inode;
}

/* fd `num` and the identity of its file f. */
static __always_inline struct inode *read_file_id(struct file *f, long num, struct riposte_fd_info *out) {
  out->num = (__s32)num;
  return file_identity(f, &out->ino, &out->dev);
}

/* Type, flags, identity and (for sockets) the address tuple of an open file. */
static __always_inline void read_file_info(struct file *f, long num, struct riposte_fd_info *out) {
  struct inode *inode = read_file_id(f, num, out);
  if (!inode) return;
  __u16 mode = BPF_CORE_READ(inode, i_mode);
  out->flags = BPF_CORE_READ(f, f_flags);
  switch (mode & RIPOSTE_S_IFMT) {
    case RIPOSTE_S_IFREG:
    case RIPOSTE_S_IFCHR:
    case RIPOSTE_S_IFBLK:
      out->type = RIPOSTE_FD_FILE;
      break;
    case RIPOSTE_S_IFDIR:
      out->type = RIPOSTE_FD_DIR;
      break;
    case RIPOSTE_S_IFIFO:
      out->type = RIPOSTE_FD_PIPE;
      break;
    case RIPOSTE_S_IFSOCK: {
      struct socket *sock = BPF_CORE_READ(f, private_data);
      struct sock *sk = BPF_CORE_READ(sock, sk);
      if (sk) read_sock(sk, out);
      else out->type = RIPOSTE_FD_SOCKET;
      break;
    }
    default:
      out->type = RIPOSTE_FD_ANON;
      bpf_probe_read_kernel_str(out->hint, sizeof(out->hint), BPF_CORE_READ(f, f_path.dentry, d_name.name));
  }
}

#endif
