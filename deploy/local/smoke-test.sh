#!/usr/bin/env bash
# Proves a cluster started by cluster.sh is real: node Ready, a Deployment's pods Running on
# the kwok node, a deleted pod replaced by its ReplicaSet, TokenRequest works, RBAC denies an
# unprivileged ServiceAccount, NATS has JetStream. Leaves the cluster as it found it (its
# objects live in a namespace it deletes). Usage: RIPOSTE_LOCAL_DIR=... smoke-test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env_file=$("$here/cluster.sh" env)
# shellcheck source=/dev/null
. "$env_file"

ns=riposte-smoke-$$
passed=0
failed=0
ok() {
  printf '[smoke] ok: %s\n' "$*"
  passed=$((passed + 1))
}
bad() {
  printf '[smoke] FAIL: %s\n' "$*" >&2
  failed=$((failed + 1))
}
k() { "$RIPOSTE_KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }
cleanup() { k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

# until_true SECONDS CMD...: polls CMD every 0.25 s.
until_true() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.25
  done
}

node_ready() {
  [[ $(k get node "$RIPOSTE_NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
running_on_node() { # prints the names of Running web pods on our node
  k -n "$ns" get pods -l app=web --field-selector "status.phase=Running,spec.nodeName=$RIPOSTE_NODE_NAME" \
    -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}'
}
two_running() {
  local names
  names=$(running_on_node)
  [[ -n $names && $(wc -l <<<"$names") == 2 ]]
}
replaced() { two_running && [[ $'\n'$(running_on_node)$'\n' != *$'\n'"$1"$'\n'* ]]; }

if node_ready; then ok "node $RIPOSTE_NODE_NAME Ready"; else bad "node $RIPOSTE_NODE_NAME not Ready"; fi

k create namespace "$ns" >/dev/null
t0=$SECONDS
k -n "$ns" create deployment web --image=nginx --replicas=2 >/dev/null
if until_true 30 two_running; then
  ok "2 pods Running on $RIPOSTE_NODE_NAME after $((SECONDS - t0))s"
  victim=$(running_on_node)
  victim=${victim%%$'\n'*} # not `| head -n1`: with pipefail, kubectl's SIGPIPE would abort
  k -n "$ns" delete pod "$victim" --wait=false >/dev/null
  if until_true 30 replaced "$victim"; then ok "deleted pod $victim replaced by the ReplicaSet"; else bad "pod $victim not replaced"; fi
else
  bad "Deployment pods not Running within 30s"
  k -n "$ns" get pods -o wide >&2 || true
fi

k -n "$ns" create serviceaccount x >/dev/null
if token=$(k -n "$ns" create token x) && [[ -n $token ]]; then
  ok "TokenRequest issued a ServiceAccount token"
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$RIPOSTE_KUBE_CA" \
    -H "Authorization: Bearer $token" "$RIPOSTE_KUBE_SERVER/api/v1/namespaces/$ns/pods")
  if [[ $code == 403 ]]; then ok "RBAC: the token authenticates but listing pods is forbidden (403)"; else bad "RBAC: expected 403 with the token, got $code"; fi
else
  bad "kubectl create token failed"
fi

if [[ $(curl -sf "$RIPOSTE_NATS_MONITOR/jsz") == *'"store_dir"'* ]]; then ok "NATS JetStream enabled ($RIPOSTE_NATS_URL)"; else bad "NATS /jsz does not show JetStream"; fi

echo "smoke: $passed passed, $failed failed"
((failed == 0))
