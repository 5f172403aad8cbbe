#!/usr/bin/env bash
# Playbook and ClusterPlaybook CRDs against the real API server: generated files current,
# valid objects accepted, invalid ones rejected by the API server with a useful message.
set -euo pipefail
src=${RIPOSTE_SOURCE_DIR:?}
# shellcheck source=/dev/null
. "${RIPOSTE_LOCAL_DIR:?}/env"
kubectl=${RIPOSTE_KUBECTL:-kubectl}
ns=crd-test-$$
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [[ -n ${2:-} ]] && echo "$2" | tail -n 15 | sed 's/^/     /'; return 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; $kubectl delete namespace $ns --wait=false >/dev/null 2>&1 || true; $kubectl delete clusterplaybook crd-test-cluster >/dev/null 2>&1 || true' EXIT

"$src/crds/render.sh" "$tmp"
for f in playbooks clusterplaybooks; do
  if out=$(diff -u "$src/crds/$f.riposte.dev.yaml" "$tmp/$f.riposte.dev.yaml"); then ok "$f CRD is current (crds/render.sh)"
  else bad "$f CRD is stale: run crds/render.sh" "$out"; fi
done
$kubectl apply -f "$src/crds/playbooks.riposte.dev.yaml" -f "$src/crds/clusterplaybooks.riposte.dev.yaml" >/dev/null
$kubectl wait --for=condition=Established crd/playbooks.riposte.dev crd/clusterplaybooks.riposte.dev --timeout=60s >/dev/null
$kubectl create namespace $ns >/dev/null

accept() {  # accept NAME YAML
  if out=$(printf '%s\n' "$2" | $kubectl apply -f - 2>&1); then ok "accepted: $1"; else bad "accepted: $1" "$out"; fi
}
reject() {  # reject NAME EXPECTED-SUBSTRING YAML
  if out=$(printf '%s\n' "$3" | $kubectl apply -f - 2>&1); then bad "rejected: $1 (it was accepted)"
  elif grep -qF -- "$2" <<<"$out"; then ok "rejected: $1 -> $2"
  else bad "rejected: $1 without the expected message '$2'" "$out"; fi
}
pb() {  # pb KIND NAME SPEC-YAML (indented by 2)
  printf 'apiVersion: riposte.dev/v1alpha1\nkind: %s\nmetadata:\n  name: %s\n' "$1" "$2"
  [[ $1 == Playbook ]] && printf '  namespace: %s\n' "$ns"
  printf 'spec:\n%s\n' "$3"
}

accept "namespaced playbook" "$(pb Playbook kill-shell '  match: {rules: ["Terminal shell in container"], priority: ">=Notice"}
  steps: [{action: pod.delete, params: {grace_period_seconds: 0}}]')"
every_key='  description: isolate and notify
  dry_run: true
  stop: true
  cooldown: {period: 5m, key: "{{ output_fields['"'"'k8s.ns.name'"'"'] }}"}
  match:
    rules: ["Linux Kernel Module Injection Detected", "K8s *"]
    priority: warning
    tags: [[container, mitre_execution], [host]]
    output_fields: {k8s.ns.name: {in: [shop, web]}}
    source: syscall
    namespaces: ["team-*"]
  steps:
    - name: isolate
      action: network.isolate
      timeout: 10s
    - action: node.cordon
      continue_on_error: true
      when: {priority: ">=Critical", steps: {isolate: [succeeded, dry-run]}}'
accept "cluster playbook with every key" "$(pb ClusterPlaybook crd-test-cluster "$every_key")"
# What the schema admits, riposte's own loader (which the responder runs on every object)
# accepts too: the CRD is the playbook schema, not a different dialect.
{ echo "name: every-key"; sed 's/^  //' <<<"$every_key"; } >"$tmp/every-key.yaml"
if out=$("${RIPOSTE_BINARY_DIR:?}/bin/riposte" playbook validate "$tmp/every-key.yaml" 2>&1); then
  ok "riposte's loader accepts the every-key spec"
else bad "riposte's loader refuses the every-key spec" "$out"; fi
accept "tags as one flat list" "$(pb Playbook flat-tags '  match: {rules: ["*"], tags: [container, shell]}
  steps: [{action: pod.delete}]')"
reject "no steps" "spec.steps: Required value" "$(pb Playbook no-steps '  match: {rules: ["*"]}')"
reject "empty rules" "should have at least 1 items" "$(pb Playbook empty-rules '  match: {rules: []}
  steps: [{action: pod.delete}]')"
reject "unknown action" 'Unsupported value: "pod.nuke"' "$(pb Playbook nuke '  match: {rules: ["*"]}
  steps: [{action: pod.nuke}]')"
reject "bad priority" "must be a Falco priority" "$(pb Playbook loud '  match: {rules: ["*"], priority: ">=Loud"}
  steps: [{action: pod.delete}]')"
reject "bad timeout" "spec.steps[0].timeout" "$(pb Playbook slow '  match: {rules: ["*"]}
  steps: [{action: pod.delete, timeout: forever}]')"
reject "unknown field" 'unknown field "spec.steps[0].actoin"' "$(pb Playbook typo '  match: {rules: ["*"]}
  steps: [{action: pod.delete, actoin: x}]')"

# Printer columns and short names.
if out=$($kubectl get pb -n $ns 2>&1) && grep -q "ACCEPTED" <<<"$out" && grep -q kill-shell <<<"$out"; then ok "kubectl get pb shows the Accepted column"
else bad "kubectl get pb" "$out"; fi
if out=$($kubectl get cpb 2>&1) && grep -q crd-test-cluster <<<"$out"; then ok "kubectl get cpb"; else bad "kubectl get cpb" "$out"; fi
# The status subresource: a plain update cannot set status, /status can.
$kubectl -n $ns patch pb kill-shell --subresource=status --type=merge \
  -p '{"status":{"observedGeneration":1,"conditions":[{"type":"Accepted","status":"True","reason":"Valid","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}' >/dev/null
if [[ $($kubectl -n $ns get pb kill-shell -o jsonpath='{.status.conditions[0].reason}') == Valid ]]; then ok "status subresource"
else bad "status subresource"; fi
echo "$passed passed, $failed failed"
((failed == 0))
