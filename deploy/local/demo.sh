#!/usr/bin/env bash
# `make demo`: the whole reflex arc on one machine, with real parts.
#   local control plane + NATS JetStream + a real node (kubelet, containerd, runc) ->
#   riposte-detector (eBPF) + riposte-responder -> nginx pods in real containers ->
#   `kubectl exec -it POD -- sh` -> the alert -> pod.delete -> the kubelet stops the
#   container and the shell's process is gone from the host, with the time it took.
# Ends by itself and cleans up (processes, containers, the cluster).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${RIPOSTE_BIN:-$repo/build/bin}
export RIPOSTE_LOCAL_DIR=${RIPOSTE_LOCAL_DIR:-/tmp/riposte-demo}
export RIPOSTE_REAL_NODE=1
ns=shop
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || fail "run as root: the detector loads eBPF programs and the real node runs containers"
for b in riposte-detector riposte-responder riposte; do
  [[ -x $bin/$b ]] || fail "$bin/$b is missing: run 'make demo' (it builds first)"
done
command -v script >/dev/null || fail "script (util-linux) is missing: run deploy/local/install.sh"

pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait "${pids[@]}" 2>/dev/null
  "$repo/deploy/local/cluster.sh" down >/dev/null
}
trap cleanup EXIT

step "Starting the local control plane, NATS JetStream and a real node"
"$repo/deploy/local/cluster.sh" up
# shellcheck disable=SC1091
. "$RIPOSTE_LOCAL_DIR/env"
logs=$RIPOSTE_LOCAL_DIR/logs
kubectl get nodes -o wide

step "Starting riposte-detector (eBPF, riposte's default rules) and riposte-responder"
# NATS as shipped: TLS, and each daemon with its own user and subject rights.
"$bin/riposte-detector" --rules "$repo/detector/default_rules/riposte_rules.yaml" \
  --nats "$RIPOSTE_NATS_URL" --nats-ca "$RIPOSTE_NATS_CA" --nats-user riposte-detector \
  --nats-password-file "$RIPOSTE_NATS_DETECTOR_PASSWORD_FILE" --node-name "$RIPOSTE_REAL_NODE_NAME" --kubeconfig "$KUBECONFIG" \
  --ops-addr 127.0.0.1:0 --output-file "$logs/alerts.jsonl" >"$logs/detector.log" 2>&1 &
pids+=($!)
"$bin/riposte-responder" --nats "$RIPOSTE_NATS_URL" --nats-ca "$RIPOSTE_NATS_CA" \
  --nats-user riposte-responder --nats-password-file "$RIPOSTE_NATS_RESPONDER_PASSWORD_FILE" \
  --playbooks "$repo/playbooks" --kubeconfig "$KUBECONFIG" --ops-addr 127.0.0.1:0 \
  >"$logs/responder.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
  grep -q "detector running" "$logs/detector.log" && grep -q "responder running" "$logs/responder.log" && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { tail -n 20 "$logs"/detector.log "$logs"/responder.log; fail "a daemon exited"; }; done
  sleep 0.1
done
grep "running" "$logs/detector.log" "$logs/responder.log" | sed 's/^/  /'

step "Namespace $ns, Deployment web: 2 nginx pods in real containers on $RIPOSTE_REAL_NODE_NAME"
kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" apply -f "$repo/deploy/local/workloads/nginx.yaml" >/dev/null
kubectl -n "$ns" rollout status deployment/web --timeout=120s
kubectl -n "$ns" get pods -o wide

victim=$(kubectl -n "$ns" get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
cid=$(kubectl -n "$ns" get pod "$victim" -o jsonpath='{.status.containerStatuses[0].containerID}')
cid=${cid#containerd://}

step "An attacker runs: kubectl -n $ns exec -it $victim -- sh"
# script(1) gives kubectl a terminal, as a person's would be; its input never ends, so the
# shell waits at its prompt until its container is stopped.
exec 7< <(sleep 600)
pids+=($!)
script -qfec "kubectl -n $ns exec -it $victim -- sh" /dev/null <&7 >"$logs/attacker.tty" 2>&1 &
pids+=($!)
shell_pid=
for _ in $(seq 300); do
  for p in $(grep -l "$cid" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == sh ]] && shell_pid=$p
  done
  [[ -n $shell_pid ]] && break
  sleep 0.1
done
[[ -n $shell_pid ]] || fail "no shell appeared in container ${cid:0:12}; kubectl said: $(cat "$logs/attacker.tty")"
echo "  the shell runs in container ${cid:0:12} as host pid $shell_pid, parent $(ps -o comm= -p "$(ps -o ppid= -p "$shell_pid")")"
echo "  its cgroup: $(grep -m1 pids /proc/"$shell_pid"/cgroup | cut -d: -f3)"
echo "  its terminal: $(readlink /proc/"$shell_pid"/fd/0) (the container's own devpts)"

step "The alert (Falco JSON, also on the NATS JetStream stream RIPOSTE_ALERTS)"
for _ in $(seq 300); do [[ -s $logs/alerts.jsonl ]] && break; sleep 0.1; done
[[ -s $logs/alerts.jsonl ]] || { tail -n 30 "$logs/detector.log"; fail "no alert"; }
head -n 1 "$logs/alerts.jsonl" | jq .

step "The response (riposte-responder: playbook kill-shell-in-container -> pod.delete)"
for _ in $(seq 300); do grep -q 'pod.delete' "$logs/responder.log" && break; sleep 0.1; done
grep -E 'pod.delete' "$logs/responder.log" | sed 's/^/  /' | head -n 3

step "The shell's process is gone; pod $victim is gone; the ReplicaSet started a replacement"
while [[ -e /proc/$shell_pid ]]; do sleep 0.005; done
dead_ns=$(date +%s%N)
exec_ns=$(date -d "$(head -n 1 "$logs/alerts.jsonl" | jq -r .time)" +%s%N)
echo "  shell exec -> shell process dead: $(((dead_ns - exec_ns) / 1000000)) ms"
kubectl -n "$ns" wait --for=delete "pod/$victim" --timeout=60s
kubectl -n "$ns" rollout status deployment/web --timeout=120s >/dev/null
kubectl -n "$ns" get pods -o wide
step "Done; cleaning up"
