#!/usr/bin/env bash
# riposte-audit on the local control plane, timed (cluster up with RIPOSTE_AUDIT_WEBHOOK=1):
#  1. the API server's request latency with the audit webhook on versus off, in the same run:
#     ROUNDS rounds alternating on/off (kube-apiserver restarted with and without the webhook
#     flags, riposte-audit running throughout), N audited requests per round (a ConfigMap
#     create, which the policy records at RequestResponse), timed by curl; p50/p99 per state.
#  2. kubectl create of a privileged pod -> the playbook's deletion: RUNS pods, from the
#     moment the create is sent to the moment the pod's GET answers 404; p50/p99.
#
#   RIPOSTE_AUDIT_WEBHOOK=1 RIPOSTE_REAL_NODE=0 deploy/local/cluster.sh up
#   deploy/local/bench-audit.sh [RUNS=50] [ROUNDS=4] [N=200]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
runs=${1:-50} rounds=${2:-4} n=${3:-200}
state=${RIPOSTE_LOCAL_DIR:-/tmp/riposte-local}
# shellcheck source=/dev/null
. "$state/env"
[[ -n ${RIPOSTE_AUDIT_WEBHOOK_PORT:-} ]] || { echo "cluster was not brought up with RIPOSTE_AUDIT_WEBHOOK=1" >&2; exit 1; }
bin=${RIPOSTE_BIN:-$src/build/bin}
rules=${RIPOSTE_K8S_AUDIT_RULES:-$src/../shared/falco-rules/k8s_audit_rules.yaml}
work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  kubectl delete namespace audit-bench --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
nats=(--nats "$RIPOSTE_NATS_URL" --nats-ca "$RIPOSTE_NATS_CA")
"$bin/riposte-audit" --rules "$rules" --host 127.0.0.1 --port "$RIPOSTE_AUDIT_WEBHOOK_PORT" \
  --tls-cert "$RIPOSTE_AUDIT_TLS_CERT" --tls-key "$RIPOSTE_AUDIT_TLS_KEY" \
  --client-ca "$RIPOSTE_AUDIT_CLIENT_CA" --allowed-client kube-apiserver-audit --ops-addr "" \
  "${nats[@]}" --nats-user riposte-audit --nats-password-file "$RIPOSTE_NATS_AUDIT_PASSWORD_FILE" \
  >"$work/audit.log" 2>&1 &
pids+=($!)
"$bin/riposte-responder" --playbooks "$src/playbooks" --kubeconfig "$KUBECONFIG" --ops-addr "" \
  "${nats[@]}" --nats-user riposte-responder --nats-password-file "$RIPOSTE_NATS_RESPONDER_PASSWORD_FILE" \
  >"$work/responder.log" 2>&1 &
pids+=($!)
until grep -q "audit webhook running" "$work/audit.log"; do sleep 0.1; done
until grep -q "responder running" "$work/responder.log"; do sleep 0.1; done
kubectl create namespace audit-bench >/dev/null
api=$RIPOSTE_KUBE_SERVER/api/v1/namespaces/audit-bench
c=(curl -s --cacert "$RIPOSTE_KUBE_CA" --cert "$RIPOSTE_KUBE_CLIENT_CERT" --key "$RIPOSTE_KUBE_CLIENT_KEY")

pct() { sort -n "$1" | awk -v p="$2" '{v[NR] = $1} END {i = int((NR * p + 99) / 100); if (i < 1) i = 1; printf "%.1f", v[i]}'; }
report() { printf '%-46s n=%-5s p50 %8s ms   p99 %8s ms\n' "$1" "$(wc -l <"$2")" "$(pct "$2" 50)" "$(pct "$2" 99)"; }

webhook() {  # on|off: kube-apiserver restarted with or without the webhook flags
  local port=$RIPOSTE_AUDIT_WEBHOOK_PORT
  [[ $1 == on ]] || port=""
  sed -i "s/^audit_webhook_port=.*/audit_webhook_port=$port/" "$state/ports"
  "$here/cluster.sh" restart-apiserver >/dev/null
}
: >"$work/on" && : >"$work/off"
for ((r = 0; r < rounds; r++)); do
  for mode in on off; do
    webhook "$mode"
    for ((i = 0; i < n; i++)); do
      "${c[@]}" -o /dev/null -w '%{time_total}\n' -X POST -H 'Content-Type: application/json' \
        -d "{\"metadata\":{\"name\":\"cm-$mode-$r-$i\"},\"data\":{\"k\":\"v\"}}" "$api/configmaps" |
        awk '{printf "%.3f\n", $1 * 1000}' >>"$work/$mode"
    done
  done
done
webhook on
echo "API server latency, audited ConfigMap creates, $rounds rounds x $n alternating:"
report "webhook on (batch mode)" "$work/on"
report "webhook off" "$work/off"

: >"$work/delete"
for ((i = 0; i < runs; i++)); do
  body="{\"metadata\":{\"name\":\"priv-$i\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"securityContext\":{\"privileged\":true}}]}}"
  t0=$(date +%s%N)
  "${c[@]}" -o /dev/null -X POST -H 'Content-Type: application/json' -d "$body" "$api/pods"
  until [[ $("${c[@]}" -o /dev/null -w '%{http_code}' "$api/pods/priv-$i") == 404 ]]; do sleep 0.01; done
  echo $((($(date +%s%N) - t0) / 1000)) | awk '{printf "%.1f\n", $1 / 1000}' >>"$work/delete"
done
echo "privileged pod created -> deleted by the playbook ($runs pods):"
report "create sent -> GET 404" "$work/delete"
