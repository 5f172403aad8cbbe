#!/usr/bin/env bash
# A real node that cannot start says why in one line that names its log, and leaves nothing
# running: the kubelet's port is taken (a listener of this test on the node IP's :10250), so
# `cluster.sh up` with RIPOSTE_REAL_NODE=1 fails at the kubelet. Runs on a cluster of its own,
# after the fixture's cluster is down (the real node is one per machine).
set -uo pipefail
src=${RIPOSTE_SOURCE_DIR:?}
state=$(realpath -m "${RIPOSTE_FAIL_DIR:?}")
lock=/run/riposte-real-node.lock
if [[ -s $lock && -f $(cat "$lock")/.riposte-local ]]; then
  echo "the real node is held by the cluster in $(cat "$lock"): cannot test its start here"
  exit 77
fi
failed=0
bad() { printf 'FAIL: %s\n' "$*" >&2; failed=1; }
RIPOSTE_LOCAL_DIR=$state "$src/deploy/local/cluster.sh" down >/dev/null 2>&1 || true

node_ip=$(ip -4 -o addr show scope global | awk '{sub(/\/.*/, "", $4); print $4; exit}')
[[ -n $node_ip ]] || { echo "no global IPv4 address: no real node on this machine"; exit 77; }
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 10250)); s.listen(1); print("listening", flush=True); time.sleep(600)
' "$node_ip" >"${TMPDIR:-/tmp}/real-node-port-$$.out" 2>&1 &
squatter=$!
trap 'kill "$squatter" 2>/dev/null; wait "$squatter" 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q listening "${TMPDIR:-/tmp}/real-node-port-$$.out" && break; sleep 0.1; done
grep -q listening "${TMPDIR:-/tmp}/real-node-port-$$.out" || { echo "cannot hold $node_ip:10250"; exit 77; }

out=$(RIPOSTE_LOCAL_DIR=$state RIPOSTE_REAL_NODE=1 "$src/deploy/local/cluster.sh" up 2>&1)
rc=$?
((rc != 0)) || bad "cluster.sh up succeeded with the kubelet's port taken"
errors=$(grep -c '^\[cluster\] error:' <<<"$out")
((errors == 1)) || bad "$errors error lines (want one):"$'\n'"$out"
grep -q "^\[cluster\] error: kubelet .*(log: $state/logs/kubelet.log)" <<<"$out" ||
  bad "the error does not name the kubelet and its log:"$'\n'"$out"
grep -q "address already in use" "$state/logs/kubelet.log" 2>/dev/null ||
  bad "kubelet.log does not say why (address already in use)"
# Nothing runs: no process names the state dir (etcd, API server, containerd, kubelet...).
for p in /proc/[0-9]*; do
  args=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
  [[ $args == *"$state/"* ]] && bad "process ${p#/proc/} left running: $args"
done
[[ $(cat "$lock" 2>/dev/null) == "$state" ]] && bad "the real node's lock still names $state"
# And `down` then removes the kept logs, leaving nothing at all.
RIPOSTE_LOCAL_DIR=$state "$src/deploy/local/cluster.sh" down >/dev/null 2>&1 || bad "cluster.sh down failed"
RIPOSTE_LOCAL_DIR=$state "$(dirname "$0")/real_node_clean_test.sh" >/dev/null || bad "real_node_clean_test finds leftovers"
if ((failed)); then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
