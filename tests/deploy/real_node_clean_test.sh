#!/usr/bin/env bash
# After `cluster.sh down` (it runs after the fixture's cluster_down), nothing of the real node
# is left on the machine: no kubelet, containerd, shim or container process, no mount, no
# /kubepods cgroup, no CNI bridge or veth, no pod network namespace, no lock.
set -uo pipefail
state=$(realpath -m "${RIPOSTE_LOCAL_DIR:?}")
failed=0
bad() { printf 'FAIL: %s\n' "$*" >&2; failed=1; }
for p in /proc/[0-9]*; do
  args=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
  [[ $args == *"$state/"* ]] && bad "process ${p#/proc/} left: $args"
done
left=$(awk -v d="$state/" 'index($2, d) == 1 || $2 ~ /^\/run\/containerd\/io\.containerd\./ {print $2}' /proc/self/mounts)
[[ -z $left ]] || bad "mounts left: $left"
for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/unified/kubepods; do
  [[ -e $d ]] && bad "cgroup left: $d"
done
ip link show riposte-cni0 >/dev/null 2>&1 && bad "bridge riposte-cni0 left"
veths=$(ip -o link show type veth 2>/dev/null | grep -c 'master riposte-cni0')
((veths == 0)) || bad "$veths veth(s) left on riposte-cni0"
[[ $(cat /run/riposte-real-node.lock 2>/dev/null) == "$state" ]] && bad "lock /run/riposte-real-node.lock still names $state"
[[ -e $state ]] && bad "state dir $state left"
if ((failed)); then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
