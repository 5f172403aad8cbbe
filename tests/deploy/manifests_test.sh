#!/usr/bin/env bash
# The install paths operators use, checked by the real API server (admission, schemas, RBAC
# validation) without creating anything: `kubectl apply --dry-run=server` of the Helm chart's
# output and of the kustomize base, which must also be in sync with the chart.
set -euo pipefail
src=${RIPOSTE_SOURCE_DIR:?}
# shellcheck source=/dev/null
. "${RIPOSTE_LOCAL_DIR:?}/env"
# shellcheck source=../../deploy/local/tools.sh
. "$src/deploy/local/tools.sh"
kubectl=${RIPOSTE_KUBECTL:-kubectl}
passed=0 failed=0
check() {  # check NAME CMD...: runs CMD, counts and reports the outcome
  local name=$1; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; echo "$out" | tail -n 20 | sed 's/^/     /'
  fi
}
tmp=$(mktemp -d)
created_ns=false
cleanup() {
  rm -rf "$tmp"
  # Other tests of the same cluster may own the namespace: remove it only if this test made it.
  if $created_ns; then $kubectl delete namespace riposte --wait=false >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

check "helm lint" "$RIPOSTE_HELM" lint "$src/deploy/helm/riposte"
"$RIPOSTE_HELM" template riposte "$src/deploy/helm/riposte" --namespace riposte --include-crds >"$tmp/helm.yaml"
# Namespaced objects need their namespace to exist for a server-side dry run.
if ! $kubectl get namespace riposte >/dev/null 2>&1; then
  $kubectl create namespace riposte >/dev/null
  created_ns=true
fi
check "helm template | kubectl apply --dry-run=server" \
  $kubectl apply --dry-run=server -f "$tmp/helm.yaml"
check "helm template with an existing NATS and auth" sh -c \
  "'$RIPOSTE_HELM' template riposte '$src/deploy/helm/riposte' --namespace riposte \
     --set nats.enabled=false --set nats.url=tls://nats.example:4222 \
     --set nats.auth.existingSecret=nats-pass --set nats.tls.existingSecret=nats-tls \
     --set responder.dryRun=true --set detector.extraRules.custom\\\\.yaml='- list: x' |
   $kubectl apply --dry-run=server -f -"
# The exec hold: the rule names reach the detector as --enforce flags, with CAP_KILL added.
"$RIPOSTE_HELM" template riposte "$src/deploy/helm/riposte" --namespace riposte \
  --set 'detector.enforce[0]=Terminal shell in container' 2>/dev/null >"$tmp/enforce.yaml"
check "helm template with detector.enforce: --enforce and CAP_KILL" sh -c \
  "grep -q -- '- \"--enforce=Terminal shell in container\"' '$tmp/enforce.yaml' &&
   grep -q 'DAC_READ_SEARCH, KILL\]' '$tmp/enforce.yaml' &&
   $kubectl apply --dry-run=server -f '$tmp/enforce.yaml'"
# Enforcing playbooks: the detector mounts the responder's playbooks, watches the Playbook
# objects (read-only RBAC on them) and holds CAP_KILL; off by default, none of it.
"$RIPOSTE_HELM" template riposte "$src/deploy/helm/riposte" --namespace riposte \
  --set detector.enforcePlaybooks=true \
  --set-string 'responder.playbooks.stop\.yaml=name: x' 2>/dev/null >"$tmp/enforce-pb.yaml"
check "helm template with detector.enforcePlaybooks: playbooks, objects, RBAC, CAP_KILL" sh -c \
  "grep -q -- '- --playbooks=/etc/riposte/playbooks' '$tmp/enforce-pb.yaml' &&
   grep -q -- '- --playbook-objects' '$tmp/enforce-pb.yaml' &&
   grep -q -- 'name: riposte-responder-playbooks' '$tmp/enforce-pb.yaml' &&
   grep -A3 -- 'say which rules stop processes at exec' '$tmp/enforce-pb.yaml' |
     grep -q -- 'verbs: \[get, list, watch\]' &&
   grep -q 'DAC_READ_SEARCH, KILL\]' '$tmp/enforce-pb.yaml' &&
   ! grep -q -- '--playbook-objects' '$tmp/helm.yaml' &&
   $kubectl apply --dry-run=server -f '$tmp/enforce-pb.yaml'"
# Falco's rules by default (detector.falcoRules): falcoctl installs them in an init container
# into the emptyDir the detector loads them from, Falco's first, before riposte's defaults;
# the follower (on by default) checks new versions against the detector's /versions on its
# ops port (8765, Falco's) and the detector reloads the files.
check "helm template: falcoctl installs Falco's rules, the detector loads them first" sh -c \
  "grep -q -- '- name: falcoctl-artifact-install' '$tmp/helm.yaml' &&
   grep -q -- 'args: \\[artifact, install, --log-format=json\\]' '$tmp/helm.yaml' &&
   grep -q -- '- falco-rules:5' '$tmp/helm.yaml' &&
   grep -A2 -- '^          args:' '$tmp/helm.yaml' | grep -A1 -- 'falco-rules/falco_rules.yaml' |
     grep -q -- 'rules/riposte_rules.yaml' &&
   grep -q -- '- name: falcoctl-artifact-follow' '$tmp/helm.yaml' &&
   grep -q -- 'args: \\[artifact, follow, --log-format=json\\]' '$tmp/helm.yaml' &&
   grep -q -- 'falcoversions: http://localhost:8765/versions' '$tmp/helm.yaml' &&
   grep -q -- '- --ops-addr=0.0.0.0:8765' '$tmp/helm.yaml'"
# The rules the chart loads, in its order, are ones riposte's engine takes whole (Falco's
# stable rules from ../shared/falco-rules, as falcoctl's falco-rules artifact ships them).
check "Falco's rules then riposte's load in riposte's engine" \
  "${RIPOSTE_BINARY_DIR:?}/bin/riposte" rules validate "$src/../shared/falco-rules/falco_rules.yaml" \
  "$src/detector/default_rules/riposte_rules.yaml"
check "helm template without the falcoctl follower: install only | kubectl apply --dry-run=server" sh -c \
  "'$RIPOSTE_HELM' template riposte '$src/deploy/helm/riposte' --namespace riposte \
     --set detector.falcoRules.follow.enabled=false >'$tmp/nofollow.yaml' &&
   grep -q -- '- name: falcoctl-artifact-install' '$tmp/nofollow.yaml' &&
   ! grep -q -- 'falcoctl-artifact-follow' '$tmp/nofollow.yaml' &&
   $kubectl apply --dry-run=server -f '$tmp/nofollow.yaml'"
check "helm template without Falco's rules: no falcoctl, riposte's rules only" sh -c \
  "'$RIPOSTE_HELM' template riposte '$src/deploy/helm/riposte' --namespace riposte \
     --set detector.falcoRules.enabled=false >'$tmp/nofalco.yaml' &&
   ! grep -q -- 'falcoctl\\|falco-rules' '$tmp/nofalco.yaml' &&
   $kubectl apply --dry-run=server -f '$tmp/nofalco.yaml'"
# The HTTP input (Falco, Falcosidekick's webhook and talon outputs): token always mounted.
check "helm template with responder.httpInput: token, TLS, Service | kubectl apply --dry-run=server" sh -c \
  "'$RIPOSTE_HELM' template riposte '$src/deploy/helm/riposte' --namespace riposte \
     --set responder.httpInput.enabled=true --set responder.httpInput.tlsSecret=riposte-http-tls \
     >'$tmp/http.yaml' &&
   grep -q -- '- --http-token-file=/etc/riposte/http-token/token' '$tmp/http.yaml' &&
   grep -q -- '- --http-tls-cert=/etc/riposte/http-tls/tls.crt' '$tmp/http.yaml' &&
   grep -q -- 'name: riposte-http-token' '$tmp/http.yaml' &&
   grep -q -- 'name: riposte-responder-http' '$tmp/http.yaml' &&
   $kubectl apply --dry-run=server -f '$tmp/http.yaml'"
# The web UI: its port, Service and password Secret mounted (no default password).
check "helm template with responder.ui: port, Service, password file | kubectl apply --dry-run=server" sh -c \
  "'$RIPOSTE_HELM' template riposte '$src/deploy/helm/riposte' --namespace riposte \
     --set responder.ui.enabled=true --set responder.ui.passwordSecret=riposte-ui-password \
     >'$tmp/ui.yaml' &&
   grep -q -- '- --ui-addr=0.0.0.0:8767' '$tmp/ui.yaml' &&
   grep -q -- '- --ui-password-file=/etc/riposte/ui-password/password' '$tmp/ui.yaml' &&
   grep -q -- 'name: riposte-responder-ui' '$tmp/ui.yaml' &&
   $kubectl apply --dry-run=server -f '$tmp/ui.yaml'"
# The Grafana dashboard for Grafana's sidecar: the ConfigMap holds deploy/grafana/riposte.json.
check "helm template with grafana.dashboard.enabled: the dashboard ConfigMap" sh -c \
  "'$RIPOSTE_HELM' template riposte '$src/deploy/helm/riposte' --namespace riposte \
     --set grafana.dashboard.enabled=true --show-only templates/grafana-dashboard.yaml \
     2>/dev/null >'$tmp/grafana.yaml' &&
   python3 -c 'import json, sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
assert cm[\"metadata\"][\"labels\"][\"grafana_dashboard\"] == \"1\"
assert json.loads(cm[\"data\"][\"riposte.json\"]) == json.load(open(sys.argv[2]))' \
     '$tmp/grafana.yaml' '$src/deploy/grafana/riposte.json' &&
   $kubectl apply --dry-run=server -f '$tmp/grafana.yaml'"
# riposte-audit (off by default): its Deployment, Service, generated mutual-TLS Secrets and
# rules ConfigMap, with the NATS user riposte-audit.
printf -- '- rule: r\n  desc: d\n  condition: ka.verb = get\n  output: o\n  priority: INFO\n  source: k8s_audit\n' >"$tmp/ka.yaml"
"$RIPOSTE_HELM" template riposte "$src/deploy/helm/riposte" --namespace riposte --set audit.enabled=true \
  --set-file 'audit.rules.k8s_audit_rules\.yaml='"$tmp/ka.yaml" 2>/dev/null >"$tmp/audit.yaml"
check "helm template with audit.enabled: riposte-audit as NATS user riposte-audit" sh -c \
  "grep -q -- '- --nats-user=riposte-audit' '$tmp/audit.yaml' &&
   grep -q 'name: riposte-audit-apiserver-client' '$tmp/audit.yaml' &&
   $kubectl apply --dry-run=server -f '$tmp/audit.yaml'"
"$src/deploy/kustomize/render.sh" "$tmp/rendered.yaml"
check "kustomize base in sync with the chart (deploy/kustomize/render.sh)" \
  diff -u "$src/deploy/kustomize/base/riposte.yaml" "$tmp/rendered.yaml"
check "kubectl apply -k deploy/kustomize/base --dry-run=server" \
  $kubectl apply -k "$src/deploy/kustomize/base" --dry-run=server
echo "$passed passed, $failed failed"
((failed == 0))
