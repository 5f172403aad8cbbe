#!/usr/bin/env bash
# `RIPOSTE_ETCD_IN_MEMORY=1 cluster.sh up` then `down` against a cluster of its own: up must
# succeed (etcd's data dir is on /dev/shm, outside the state dir its liveness check used to
# look for) and down must leave no etcd (nor any other) process of that cluster behind and
# remove the /dev/shm data dir.
set -euo pipefail
src=${RIPOSTE_SOURCE_DIR:?}
dir=${RIPOSTE_ETCD_MEM_DIR:?}
cluster=$src/deploy/local/cluster.sh
export RIPOSTE_LOCAL_DIR=$dir RIPOSTE_ETCD_IN_MEMORY=1
shm=/dev/shm/riposte-etcd-$(printf %s "$(realpath -m "$dir")" | md5sum | cut -c1-12)

# Pids whose command line names the in-memory data dir or the state dir: what a leak looks like.
leftovers() {
  local p args
  for p in /proc/[0-9]*; do
    args=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    [[ $args == *"$shm"* || $args == *"$dir/"* ]] && echo "${p#/proc/}"
  done
  return 0
}
"$cluster" down >/dev/null 2>&1 || true # a previous, interrupted run
trap '"$cluster" down >/dev/null 2>&1 || true' EXIT

"$cluster" up
etcd_pid=$(cat "$dir/pids/etcd")
args=$(tr '\0' ' ' <"/proc/$etcd_pid/cmdline")
[[ $args == *"--data-dir $shm "* ]] || { echo "FAIL etcd does not run on $shm: $args"; exit 1; }
"$cluster" status || { echo "FAIL status: a component of the cluster is not seen running"; exit 1; }
"$cluster" down
left=$(leftovers)
if [[ -n $left ]]; then
  echo "FAIL processes of the cluster left after down:"
  for p in $left; do echo "  $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done
  exit 1
fi
[[ ! -e $shm ]] || { echo "FAIL $shm still exists after down"; exit 1; }
echo "ok   up + down with RIPOSTE_ETCD_IN_MEMORY=1 leave no process and no $shm"
