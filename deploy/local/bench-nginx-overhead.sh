#!/usr/bin/env bash
# The detector's cost to a real workload: requests/s of nginx in a real container on the real
# node (wrk, 2 threads, 32 connections, 10 s, to the pod's IP), without and with
# riposte-detector running Falco's stable rules, alternated ROUNDS times (default 3) in the
# same run so that both see the same machine.
#   deploy/local/cluster.sh up; deploy/local/bench-nginx-overhead.sh [ROUNDS]
set -euo pipefail
rounds=${1:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${RIPOSTE_BIN:-$repo/build/bin}
falco=${RIPOSTE_FALCO_RULES_DIR:-$repo/../shared/falco-rules}
# shellcheck source=/dev/null
. "$("$repo/deploy/local/cluster.sh" env)"
[[ -n ${RIPOSTE_REAL_NODE_NAME:-} ]] || { echo "the cluster has no real node (cluster.sh up as root)" >&2; exit 1; }
ns=bench-nginx-$$
work=$(mktemp -d /tmp/riposte-bench-nginx.XXXXXX)
detector=
cleanup() {
  [[ -n $detector ]] && kill "$detector" 2>/dev/null && wait "$detector" 2>/dev/null
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT
kubectl create namespace "$ns" >/dev/null
sed 's/replicas: 2/replicas: 1/' "$repo/deploy/local/workloads/nginx.yaml" | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" rollout status deployment/web --timeout=120s >/dev/null
ip=$(kubectl -n "$ns" get pods -l app=web -o jsonpath='{.items[0].status.podIP}')
rps() { wrk -t2 -c32 -d10s "http://$ip/" | awk '/Requests\/sec/ {print $2}'; }
for ((r = 1; r <= rounds; r++)); do
  without=$(rps)
  "$bin/riposte-detector" --rules "$falco/falco_rules.yaml" --node-name "$RIPOSTE_REAL_NODE_NAME" \
    --kubeconfig "$KUBECONFIG" --ops-addr 127.0.0.1:0 --output-file "$work/alerts.jsonl" >"$work/detector.log" 2>&1 &
  detector=$!
  until grep -q "detector running" "$work/detector.log"; do sleep 0.1; done
  with=$(rps)
  kill "$detector"; wait "$detector" 2>/dev/null || true
  detector=
  awk -v r="$r" -v a="$without" -v b="$with" 'BEGIN {printf "round %d: without %.0f req/s, with the detector %.0f req/s (%+.1f %%)\n", r, a, b, (b - a) * 100 / a}'
done
