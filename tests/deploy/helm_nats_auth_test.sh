#!/usr/bin/env bash
# The NATS configuration the Helm chart renders (`helm template`: nats.conf, the shared
# permissions file, the generated password and TLS Secrets), run by a real nats-server; then
# the same suite as against the local cluster (tests/deploy/nats_auth_test.cpp): refused
# without credentials, the detector's rights, a forged alert does nothing. Only what cannot
# exist outside Kubernetes is changed: mount paths become files here, the server listens on
# free loopback ports, one replica (no routes).
#   helm_nats_auth_test.sh NATS_AUTH_TEST_BINARY
set -euo pipefail
test_bin=${1:?usage: $0 NATS_AUTH_TEST_BINARY}
src=${RIPOSTE_SOURCE_DIR:?}
cluster_env="${RIPOSTE_LOCAL_DIR:?}/env"
. "$src/deploy/local/tools.sh"
nats_bin=$(command -v nats-server || echo /usr/sbin/nats-server)
work=$(mktemp -d)
nats_pid=''
cleanup() {
  if [[ -n $nats_pid ]]; then kill "$nats_pid" 2>/dev/null || true; wait "$nats_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$RIPOSTE_HELM" template riposte "$src/deploy/helm/riposte" --namespace riposte \
  --set nats.replicas=1 --show-only templates/nats.yaml --show-only templates/nats-secrets.yaml \
  >"$work/nats.yaml" 2> >(grep -v 'found symbolic link in path' >&2)
port=$("$src/deploy/local/free-port.sh")
mon_port=$("$src/deploy/local/free-port.sh")
python3 - "$work" "$port" "$mon_port" <<'PY'
import base64, os, sys, yaml
work, port, mon = sys.argv[1:]
docs = [d for d in yaml.safe_load_all(open(f"{work}/nats.yaml")) if d]
conf = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
secrets = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "Secret"}
os.makedirs(f"{work}/tls"); os.makedirs(f"{work}/auth"); os.makedirs(f"{work}/data")
for key, b64 in secrets["riposte-nats-tls"].items():
    open(f"{work}/tls/{key}", "wb").write(base64.b64decode(b64))
env = open(f"{work}/server.env", "w")
for user, b64 in secrets["riposte-nats-auth"].items():
    open(f"{work}/auth/{user}", "wb").write(base64.b64decode(b64))
    env.write(f"export RIPOSTE_{user.upper()}_PASSWORD={base64.b64decode(b64).decode()}\n")
text = conf["nats.conf"]
for old, new in [("/etc/nats-tls/", f"{work}/tls/"), ("store_dir: /data", f'store_dir: "{work}/data"'),
                 ("port: 4222", f"host: 127.0.0.1\nport: {port}"), ("http_port: 8222", f"http: 127.0.0.1:{mon}")]:
    assert old in text, old
    text = text.replace(old, new)
open(f"{work}/nats.conf", "w").write(text)
open(f"{work}/nats-permissions.conf", "w").write(conf["nats-permissions.conf"])
PY

(
  . "$work/server.env"
  export POD_NAME=riposte-nats-0
  exec "$nats_bin" -c "$work/nats.conf"
) >"$work/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 200); do
  curl -sf "http://127.0.0.1:$mon_port/healthz?js-enabled-only=true" >/dev/null && break
  kill -0 "$nats_pid" 2>/dev/null || { cat "$work/nats.log"; echo "nats-server refused the chart's config" >&2; exit 1; }
  sleep 0.1
done

# The suite reads the cluster's env (kubeconfig for the forged-alert test); NATS is this one.
mkdir -p "$work/cluster"
{
  grep -v '^export RIPOSTE_NATS' "$cluster_env"
  echo "export RIPOSTE_NATS_URL=\"tls://127.0.0.1:$port\""
  echo "export RIPOSTE_NATS_CA=\"$work/tls/ca.crt\""
  # The name clients in the release check (its Service), here reached on loopback.
  echo "export RIPOSTE_NATS_TLS_HOSTNAME=riposte-nats.riposte.svc"
  echo "export RIPOSTE_NATS_DETECTOR_PASSWORD_FILE=\"$work/auth/detector\""
  echo "export RIPOSTE_NATS_RESPONDER_PASSWORD_FILE=\"$work/auth/responder\""
  echo "export RIPOSTE_NATS_AUDIT_PASSWORD_FILE=\"$work/auth/audit\""
  echo "export RIPOSTE_NATS_MONITOR=\"http://127.0.0.1:$mon_port\""
} >"$work/cluster/env"
RIPOSTE_LOCAL_DIR="$work/cluster" "$test_bin" --gtest_color=no
