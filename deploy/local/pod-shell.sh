#!/usr/bin/env bash
# Runs a command "inside" a pod's container the way kubelet + containerd would place it, on a
# machine with no container runtime: the process is moved into the container's cgroup
# (kubelet's naming, systemd or cgroupfs driver), gets its own mount, pid and uts namespaces
# and a root filesystem of its own (busybox-static). Used by `make demo` and the e2e tests.
#
#   pod-shell.sh --pod-uid UID --container-id ID64 [--driver systemd|cgroupfs]
#                [--qos besteffort|burstable|guaranteed] [--tty] [--rootfs DIR] [--overlay]
#                -- CMD [ARG...]
#
# --overlay: the root is an overlayfs mount as containerd makes it: the rootfs is the
# read-only lower layer (the image) and a fresh temporary directory the upper layer (the
# container's writable layer), so files the command writes land in the upper layer and the
# shared rootfs stays untouched. Unmounted and removed on exit.
set -euo pipefail

pod_uid= container_id= driver=systemd qos=besteffort tty=0 overlay=0
rootfs=${RIPOSTE_LOCAL_DIR:-/tmp/riposte-local}/rootfs
while (($#)); do
  case $1 in
    --pod-uid) pod_uid=$2; shift 2 ;;
    --container-id) container_id=$2; shift 2 ;;
    --driver) driver=$2; shift 2 ;;
    --qos) qos=$2; shift 2 ;;
    --tty) tty=1; shift ;;
    --rootfs) rootfs=$2; shift 2 ;;
    --overlay) overlay=1; shift ;;
    --) shift; break ;;
    *) echo "pod-shell: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $pod_uid && ${#container_id} == 64 && $# -gt 0 ]] ||
  { echo "pod-shell: need --pod-uid, a 64-hex --container-id and a command" >&2; exit 2; }
busybox=$(command -v busybox || true)
# The rootfs has no libc: only a statically linked busybox (package busybox-static) runs there.
[[ -n $busybox ]] && { ldd "$busybox" 2>&1 || true; } | grep -q 'not a dynamic' ||
  { echo "pod-shell: a static busybox is needed (apt-get install busybox-static)" >&2; exit 1; }

# A root filesystem of its own: busybox and its applets, plus the usual top-level dirs.
if [[ ! -x $rootfs/bin/busybox ]]; then
  mkdir -p "$rootfs"/{bin,sbin,etc,tmp,proc,usr/bin,usr/local/bin,root}
  cp "$busybox" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [[ -e $rootfs/bin/$applet ]] || ln -s busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
fi

# The cgroup v2 hierarchy: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid.
cg_root=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
[[ -n $cg_root ]] || { echo "pod-shell: no cgroup2 hierarchy is mounted" >&2; exit 1; }
case $driver in
  systemd)
    uid_=${pod_uid//-/_}
    if [[ $qos == guaranteed ]]; then
      pod_dir=kubepods.slice/kubepods-pod$uid_.slice
    else
      pod_dir=kubepods.slice/kubepods-$qos.slice/kubepods-$qos-pod$uid_.slice
    fi
    leaf=$pod_dir/cri-containerd-$container_id.scope ;;
  cgroupfs)
    if [[ $qos == guaranteed ]]; then pod_dir=kubepods/pod$pod_uid; else pod_dir=kubepods/$qos/pod$pod_uid; fi
    leaf=$pod_dir/$container_id ;;
  *) echo "pod-shell: --driver is systemd or cgroupfs" >&2; exit 2 ;;
esac
cg=$cg_root/$leaf
mkdir -p "$cg"

layers=
cleanup() {
  if [[ -n $layers ]]; then
    umount "$layers/merged" 2>/dev/null || umount -l "$layers/merged" 2>/dev/null || true
    rm -rf "$layers"
  fi
  # Remove the cgroups we made, leaf first; a non-empty one (still in use) stays.
  local d=$leaf
  while [[ $d == kubepods* ]]; do
    rmdir "$cg_root/$d" 2>/dev/null || break
    d=$(dirname "$d")
  done
}
trap cleanup EXIT

root=$rootfs
if ((overlay)); then
  layers=$(mktemp -d "$(dirname "$rootfs")/overlay-${container_id:0:12}.XXXXXX")
  mkdir -p "$layers"/{upper,work,merged}
  mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$layers/upper,workdir=$layers/work" "$layers/merged" ||
    { echo "pod-shell: cannot mount overlayfs (kernel module overlay?)" >&2; exit 1; }
  root=$layers/merged
fi

# The mover runs on the host and execs into the container cgroup, so only what runs after it
# (unshare, then the command in the new root) belongs to the container, as with runc.
quoted=$(printf '%q ' "$@")
inner="echo \$\$ > '$cg/cgroup.procs' && exec unshare --mount --pid --uts --fork --mount-proc --root='$root' $quoted"
# Not exec'd: the EXIT trap must run to unmount the overlay and remove the cgroups.
rc=0
if ((tty)); then
  # script(1) gives the command a pseudo-terminal as its controlling tty (proc.tty != 0).
  script -qec "$inner" /dev/null || rc=$?
else
  sh -c "$inner" || rc=$?
fi
exit $rc
