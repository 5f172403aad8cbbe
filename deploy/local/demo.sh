#!/usr/bin/env bash
# `make demo`: the whole reflex arc on one machine, with real parts.
#   local control plane + NATS JetStream -> riposte-detector (eBPF) + riposte-responder ->
#   a Deployment whose pods run on a kwok node -> a shell started "inside" one of its pods ->
#   the alert, the pod.delete action, the pod gone and its replacement created.
# Ends by itself and cleans up (processes, cgroups, the cluster).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${RIPOSTE_BIN:-$repo/build/bin}
export RIPOSTE_LOCAL_DIR=${RIPOSTE_LOCAL_DIR:-/tmp/riposte-demo}
ns=shop
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || fail "run as root: the detector loads eBPF programs and the demo makes cgroups"
for b in riposte-detector riposte-responder riposte; do
  [[ -x $bin/$b ]] || fail "$bin/$b is missing: run 'make demo' (it builds first)"
done

pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait "${pids[@]}" 2>/dev/null
  "$repo/deploy/local/cluster.sh" down >/dev/null
}
trap cleanup EXIT

step "Starting the local control plane and NATS JetStream"
"$repo/deploy/local/cluster.sh" up
# shellcheck disable=SC1091
. "$RIPOSTE_LOCAL_DIR/env"
logs=$RIPOSTE_LOCAL_DIR/logs

step "Starting riposte-detector (eBPF) and riposte-responder"
"$bin/riposte-detector" --rules "$repo/detector/default_rules/riposte_rules.yaml" \
  --nats "$RIPOSTE_NATS_URL" --node-name "$RIPOSTE_NODE_NAME" --kubeconfig "$KUBECONFIG" \
  --ops-addr 127.0.0.1:0 --output-file "$logs/alerts.jsonl" >"$logs/detector.log" 2>&1 &
pids+=($!)
# --allow-unauthenticated-bus: the local cluster's NATS has no authentication yet.
"$bin/riposte-responder" --nats "$RIPOSTE_NATS_URL" --playbooks "$repo/playbooks" \
  --kubeconfig "$KUBECONFIG" --ops-addr 127.0.0.1:0 --allow-unauthenticated-bus >"$logs/responder.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  grep -q "detector running" "$logs/detector.log" && grep -q "responder running" "$logs/responder.log" && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { tail -n 20 "$logs"/detector.log "$logs"/responder.log; fail "a daemon exited"; }; done
  sleep 0.1
done
grep "running" "$logs/detector.log" "$logs/responder.log" | sed 's/^/  /'

step "Creating namespace $ns and Deployment web (2 replicas, pods run on kwok node $RIPOSTE_NODE_NAME)"
kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" create deployment web --image=nginx:1.27 --replicas=2 >/dev/null
kubectl -n "$ns" rollout status deployment/web --timeout=90s
kubectl -n "$ns" get pods -o wide

victim=$(kubectl -n "$ns" get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
uid=$(kubectl -n "$ns" get pod "$victim" -o jsonpath='{.metadata.uid}')
cid=$(printf '%s' "$uid/web" | sha256sum | cut -c1-64)

step "An attacker opens a shell with a terminal inside pod $victim"
echo "  container cgroup: kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid//-/_}.slice/cri-containerd-${cid:0:12}….scope"
echo "  own mount/pid/uts namespaces, root filesystem: busybox-static"
t0=$(date +%s%N)
"$repo/deploy/local/pod-shell.sh" --tty --pod-uid "$uid" --container-id "$cid" -- \
  /bin/sh -c 'echo "  (inside) $(id -un)@$(hostname) pid $$: cat /etc/passwd | head -1"; head -1 /etc/passwd | sed "s/^/  (inside) /"'

step "The alert (Falco JSON, from NATS JetStream stream RIPOSTE_ALERTS)"
for _ in $(seq 100); do [[ -s $logs/alerts.jsonl ]] && break; sleep 0.1; done
[[ -s $logs/alerts.jsonl ]] || { tail -n 30 "$logs/detector.log"; fail "no alert"; }
head -n 1 "$logs/alerts.jsonl" | { command -v jq >/dev/null && jq . || cat; }

step "The response (riposte-responder: playbook -> pod.delete)"
for _ in $(seq 100); do grep -q '"action":"pod.delete"\|action=pod.delete' "$logs/responder.log" && break; sleep 0.1; done
grep -E 'pod.delete|playbook' "$logs/responder.log" | sed 's/^/  /' | head -n 5

step "Pod $victim is gone; the ReplicaSet created a replacement"
for _ in $(seq 150); do
  kubectl -n "$ns" get pod "$victim" >/dev/null 2>&1 || break
  sleep 0.2
done
t1=$(date +%s%N)
if kubectl -n "$ns" get pod "$victim" >/dev/null 2>&1; then fail "pod $victim still exists"; fi
echo "  $victim deleted $(( (t1 - t0) / 1000000 )) ms after the shell started (including the shell's own run time)"
kubectl -n "$ns" rollout status deployment/web --timeout=60s >/dev/null
kubectl -n "$ns" get pods -o wide
step "Done; cleaning up"
