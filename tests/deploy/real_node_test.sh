#!/usr/bin/env bash
# The local cluster's real node (deploy/local/real-node.sh) as a user of it sees it: Ready,
# tainted so that only workloads meant for it land there; a bare pod runs from a locally built
# image and reads its Secret volume; `kubectl logs`, `kubectl exec` and `kubectl exec -it` (on
# a terminal) work; a pod naming an image that was not built fails with a reason naming it.
set -euo pipefail
src=${RIPOSTE_SOURCE_DIR:?}
. "$("$src/deploy/local/cluster.sh" env)"
[[ -n ${RIPOSTE_REAL_NODE_NAME:-} ]] || { echo "FAIL: the cluster has no real node (see cluster_up's output)" >&2; exit 1; }
node=$RIPOSTE_REAL_NODE_NAME
ns=real-node-test-$$
passed=0 failed=0
ok() { printf 'ok: %s\n' "$*"; passed=$((passed + 1)); }
bad() { printf 'FAIL: %s\n' "$*" >&2; failed=$((failed + 1)); }
k() { "$RIPOSTE_KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
cleanup() { k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

[[ $(k get node "$node" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]] &&
  ok "node $node Ready" || bad "node $node not Ready"
runtime=$(k get node "$node" -o 'jsonpath={.status.nodeInfo.containerRuntimeVersion}')
[[ $runtime == containerd://1.6* ]] && ok "runtime $runtime" || bad "runtime is '$runtime', not containerd 1.6"
[[ $(k get node "$node" -o 'jsonpath={.spec.taints[0].key}') == riposte.dev/real-node ]] &&
  ok "tainted riposte.dev/real-node" || bad "node not tainted"

k create namespace "$ns" >/dev/null
k -n "$ns" create secret generic creds --from-literal=password=s3cret >/dev/null
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: bare}
spec:
  tolerations: [{key: riposte.dev/real-node, operator: Exists, effect: NoSchedule}]
  nodeSelector: {riposte.dev/node: real}
  terminationGracePeriodSeconds: 1
  containers:
  - name: debian
    image: docker.io/library/debian:bookworm
    imagePullPolicy: Never
    command: [sh, -c, 'echo started-as-$(id -un); exec sleep infinity']
    volumeMounts: [{name: creds, mountPath: /etc/creds, readOnly: true}]
  volumes: [{name: creds, secret: {secretName: creds}}]
---
apiVersion: v1
kind: Pod
metadata: {name: missing-image}
spec:
  tolerations: [{key: riposte.dev/real-node, operator: Exists, effect: NoSchedule}]
  nodeSelector: {riposte.dev/node: real}
  containers:
  - {name: x, image: docker.io/library/not-built:1.0, imagePullPolicy: Never}
YAML
if k -n "$ns" wait --for=condition=Ready pod/bare --timeout=120s >/dev/null; then
  ok "bare pod Running on $(k -n "$ns" get pod bare -o 'jsonpath={.spec.nodeName}') with IP $(k -n "$ns" get pod bare -o 'jsonpath={.status.podIP}')"
else
  bad "bare pod not Ready"; k -n "$ns" describe pod bare >&2
fi
[[ $(k -n "$ns" exec bare -- cat /etc/creds/password) == s3cret ]] && ok "Secret volume read" || bad "Secret volume not readable"
[[ $(k -n "$ns" logs bare) == started-as-root ]] && ok "kubectl logs" || bad "kubectl logs: '$(k -n "$ns" logs bare)'"
# -it on a terminal (script gives kubectl one): the remote shell has its own tty.
tty_out=$(printf 'tty; exit\n' | script -qec "$RIPOSTE_KUBECTL --kubeconfig $KUBECONFIG -n $ns exec -it bare -- sh" /dev/null | tr -d '\r')
[[ $tty_out == */dev/pts/* ]] && ok "kubectl exec -it: the shell's terminal is $(grep -o '/dev/pts/[0-9]*' <<<"$tty_out" | head -n1)" ||
  bad "kubectl exec -it gave no terminal: $tty_out"
reason=
for _ in $(seq 120); do
  reason=$(k -n "$ns" get pod missing-image -o 'jsonpath={.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].state.waiting.message}')
  [[ $reason == ErrImageNeverPull* ]] && break
  sleep 0.5
done
[[ $reason == *ErrImageNeverPull*not-built:1.0* ]] && ok "missing image: $reason" || bad "missing image not reported by name: '$reason'"
echo "$passed passed, $failed failed"
((failed == 0))
