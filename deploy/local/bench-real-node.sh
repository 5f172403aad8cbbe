#!/usr/bin/env bash
# The reflex arc on the real node, timed: a shell exec'd in a real container
# (`kubectl exec -it`), then (a) its alert stored in the JetStream stream (the detector writes
# its --output-file line after the stream's ack), (b) the pod DELETE answered by the API server
# (the responder's "playbook ran" log line), (c) the shell's process dead on the host. All from
# the execve's own kernel timestamp (the alert's time). p50/p99 over RUNS runs (default 100).
#
#   deploy/local/cluster.sh up      # as root: with the real node
#   deploy/local/bench-real-node.sh [RUNS]
#
# Also reports the real node's resource cost: RSS of kubelet and containerd (and its shims).
set -euo pipefail
runs=${1:-100}
analyze() {
# Per run: exec time (the alert's evt time), alert stored, DELETE answered, shell dead (us).
  declare -A exec_us bus_us delete_us
  while read -r stamp line; do
    pod=$(jq -r '.output_fields["k8s.pod.name"] // empty' <<<"$line")
    [[ -n $pod && -z ${exec_us[$pod]:-} ]] || continue
    t=$(jq -r .time <<<"$line")
    exec_us[$pod]=$(($(date -d "$t" +%s%N) / 1000))
    bus_us[$pod]=$stamp
  done <"$work/alerts.stamped"
  while IFS= read -r line; do
    [[ $line == *'"playbook ran"'* ]] || continue
    pod=$(jq -r '.steps[0].targets[0] // "" | split("/") | last // empty' <<<"$line" 2>/dev/null || true)
    ts=$(jq -r .ts <<<"$line")
    [[ -n $pod && -z ${delete_us[$pod]:-} ]] && delete_us[$pod]=$(($(date -d "$ts" +%s%N) / 1000))
  done <"$work/responder.log"
  : >"$work/a" && : >"$work/b" && : >"$work/c"
  while read -r pod dead; do
    e=${exec_us[$pod]:-}
    [[ -n $e ]] || { echo "no alert for $pod" >&2; continue; }
    echo $((bus_us[$pod] - e)) >>"$work/a"
    [[ -n ${delete_us[$pod]:-} ]] && echo $((delete_us[$pod] - e)) >>"$work/b"
    echo $((dead - e)) >>"$work/c"
  done <"$work/runs"
  pct() { sort -n "$1" | awk -v p="$2" '{v[NR] = $1} END {i = int((NR * p + 99) / 100); if (i < 1) i = 1; printf "%.1f", v[i] / 1000}'; }
  report() { printf '%-44s n=%-4s p50 %8s ms   p99 %8s ms\n' "$1" "$(wc -l <"$2")" "$(pct "$2" 50)" "$(pct "$2" 99)"; }
  echo "exec of a shell in a real container on the real node ->"
  report "(a) alert stored in the JetStream stream" "$work/a"
  report "(b) pod DELETE answered by the API server" "$work/b"
  report "(c) the shell's process dead" "$work/c"
}
if [[ $runs == --analyze ]]; then # the figures again from a run's raw data
  work=$2
  analyze
  exit 0
fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${RIPOSTE_BIN:-$repo/build/bin}
# shellcheck source=/dev/null
. "$("$repo/deploy/local/cluster.sh" env)"
[[ -n ${RIPOSTE_REAL_NODE_NAME:-} ]] || { echo "the cluster has no real node (cluster.sh up as root)" >&2; exit 1; }
work=$(mktemp -d /tmp/riposte-bench-real-node.XXXXXX)
ns=bench-real-node-$$
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait "${pids[@]}" 2>/dev/null
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1
}
trap cleanup EXIT

mkdir -p "$work/playbooks"
cp "$repo/playbooks/kill-shell-in-container.yaml" "$work/playbooks/"
"$bin/riposte-detector" --rules "$repo/detector/default_rules/riposte_rules.yaml" --nats "$RIPOSTE_NATS_URL" \
  --nats-ca "$RIPOSTE_NATS_CA" --nats-user riposte-detector --nats-password-file "$RIPOSTE_NATS_DETECTOR_PASSWORD_FILE" \
  --node-name "$RIPOSTE_REAL_NODE_NAME" --kubeconfig "$KUBECONFIG" --ops-addr 127.0.0.1:0 \
  --output-file "$work/alerts.jsonl" >"$work/detector.log" 2>&1 &
pids+=($!)
"$bin/riposte-responder" --nats "$RIPOSTE_NATS_URL" --nats-ca "$RIPOSTE_NATS_CA" \
  --nats-user riposte-responder --nats-password-file "$RIPOSTE_NATS_RESPONDER_PASSWORD_FILE" \
  --playbooks "$work/playbooks" --kubeconfig "$KUBECONFIG" --ops-addr 127.0.0.1:0 --log-json \
  >"$work/responder.log" 2>&1 &
pids+=($!)
until grep -q "detector running" "$work/detector.log" && grep -q "responder running" "$work/responder.log"; do sleep 0.1; done
: >>"$work/alerts.jsonl"
# Each alert line stamped when it appears (bash's own clock read, no fork per line).
tail -n0 -F "$work/alerts.jsonl" 2>/dev/null | while IFS= read -r line; do
  printf '%s %s\n' "${EPOCHREALTIME/./}" "$line"
done >"$work/alerts.stamped" &
pids+=($!)

kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" apply -f "$repo/deploy/local/workloads/nginx.yaml" >/dev/null
kubectl -n "$ns" rollout status deployment/web --timeout=120s >/dev/null

ready_pod() { # a Running, Ready pod that is not being deleted
  kubectl -n "$ns" get pods -l app=web -o json | jq -r '.items[] | select(.metadata.deletionTimestamp == null)
    | select(any(.status.conditions[]?; .type == "Ready" and .status == "True")) | .metadata.name' | head -n1
}

: >"$work/runs"
for ((i = 1; i <= runs; i++)); do
  pod=
  until [[ -n $pod ]]; do pod=$(ready_pod); [[ -n $pod ]] || sleep 0.1; done
  cid=$(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.status.containerStatuses[0].containerID}')
  cid=${cid#containerd://}
  exec 7< <(sleep 300)
  holder=$!
  script -qfec "kubectl -n $ns exec -it $pod -- sh" /dev/null <&7 >/dev/null 2>&1 &
  attacker=$!
  exec 7<&-
  shell=
  until [[ -n $shell ]]; do
    for p in $(grep -l "$cid" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
      [[ $(cat "/proc/$p/comm" 2>/dev/null) == sh ]] && shell=$p
    done
    kill -0 "$attacker" 2>/dev/null || break
  done
  if [[ -z $shell ]]; then
    echo "run $i: the shell ended before it was seen (pod $pod)" >&2
  else
    # Dead: gone from /proc, or a zombie waiting for its reaper.
    while [[ -e /proc/$shell && $(awk '{print $3}' "/proc/$shell/stat" 2>/dev/null) != Z ]]; do sleep 0.001; done
    echo "$pod ${EPOCHREALTIME/./}" >>"$work/runs"
  fi
  kill "$holder" 2>/dev/null || true
  wait "$attacker" 2>/dev/null || true
  ((i % 10 == 0)) && echo "[bench-real-node] $i/$runs runs"
done

analyze
rss() { ps -o rss= -C "$1" 2>/dev/null | awk '{s += $1} END {printf "%.0f", s / 1024}'; }
echo "real node RSS: kubelet $(rss kubelet) MB, containerd $(rss containerd) MB, shims $(rss containerd-shim-runc-v2) MB"
echo "raw data: $work"
