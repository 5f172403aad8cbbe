#!/usr/bin/env bash
# A real, local Kubernetes control plane plus NATS JetStream for riposte's tests and demos:
# etcd, kube-apiserver (TLS, RBAC), kube-controller-manager, kube-scheduler, kwok (one fake node
# whose pods become Running without a kubelet) and nats-server -js, all bound to 127.0.0.1;
# and, as root, a real node (kubelet + containerd + runc, real containers: real-node.sh).
#
#   cluster.sh up       start (or report the already running cluster), write $STATE/env
#   cluster.sh down     stop every process of this cluster, remove $STATE
#   cluster.sh status   show which components are alive
#   cluster.sh env      print the path of the env file (source it: . "$(cluster.sh env)")
#   cluster.sh restart-apiserver   stop kube-apiserver and start it again (same port, certs,
#                       etcd): for tests of clients that must survive an API server restart
#
# Everything lives in $RIPOSTE_LOCAL_DIR (default /tmp/riposte-local) and every port is picked
# free at `up`, so several clusters with different RIPOSTE_LOCAL_DIR run side by side.
#
# Knobs: RIPOSTE_UP_TIMEOUT (s per component, default 120), RIPOSTE_KUBE_PORT,
# RIPOSTE_NATS_PORT, RIPOSTE_NATS_MONITOR_PORT (fixed ports instead of free ones),
# RIPOSTE_CACHE (where build-control-plane.sh put the binaries), RIPOSTE_ETCD_IN_MEMORY=1 (etcd's
# data on /dev/shm, see etcd_data below), RIPOSTE_NODE_PODS (the kwok node's pod capacity),
# RIPOSTE_REAL_NODE (1: required, 0: off, unset: on when root and free; see real-node.sh).
set -euo pipefail
set +m # no job control: background children must stay in our process group (see start_daemon)

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

# HOME can be missing in stripped-down environments (some CI runners, ctest ENVIRONMENT).
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
cache=${RIPOSTE_CACHE:-$HOME/.cache/riposte}
k8s_bin=$cache/kubernetes-$K8S_VERSION/bin
kwok_bin=$cache/kwok-$KWOK_VERSION/bin
nats_bin=$cache/nats-server-$NATS_SERVER_VERSION/bin/nats-server
state=$(realpath -m "${RIPOSTE_LOCAL_DIR:-/tmp/riposte-local}")
pki=$state/pki
logs=$state/logs
pids=$state/pids
marker=$state/.riposte-local # only a directory holding this file is ever removed
node_name=riposte-node-0
# Room for the benchmarks' bare pods (bus/latency schedules 500 per run): with a kubelet's 110,
# the rest would stay Pending and the scheduler would retry them during the measurement.
node_pods=${RIPOSTE_NODE_PODS:-2000}
# etcd fsyncs its WAL on every write; on this VM's virtual disk a few fsyncs per minute take
# 10-60 ms and hold every write in flight, which is most of the latency benchmark's tail. On
# tmpfs fsync returns at once (what kind and test clusters often do; production etcd wants an
# SSD with fsync p99 < 10 ms). Derived from $state so `down` finds it without the variable.
etcd_shm=/dev/shm/riposte-etcd-$(printf %s "$state" | md5sum | cut -c1-12)
etcd_data=$state/etcd
if [[ ${RIPOSTE_ETCD_IN_MEMORY:-0} == 1 ]]; then etcd_data=$etcd_shm; fi
service_cidr=10.96.0.0/16
service_ip=10.96.0.1
up_timeout=${RIPOSTE_UP_TIMEOUT:-120}
# Start order; `down` and the health report walk it too.
components=(nats-server etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# The real node's daemons join the list when it runs ($rn exists).
real_node_components=(containerd kubelet)
# Ports, set by pick_ports at `up` (and saved to $state/ports).
etcd_port='' etcd_peer_port='' kube_port='' kcm_port='' sched_port='' kwok_port=''
nats_port='' nats_mon_port=''
# shellcheck source=real-node.sh
. "$here/real-node.sh"
[[ -d $rn ]] && components+=("${real_node_components[@]}")

log() { printf '[cluster] %s\n' "$*"; }
die() {
  printf '[cluster] error: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
# processes

pid_of() { [[ -s $pids/$1 ]] && cat "$pids/$1"; }

# True when the process is alive *and* still ours: its command line names our state dir (or,
# for etcd with RIPOSTE_ETCD_IN_MEMORY=1, the /dev/shm data dir derived from it), so a
# recycled pid of some unrelated process is never reported alive nor signalled.
is_ours() {
  local args=()
  mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || return 1
  [[ " ${args[*]} " == *"$state/"* || " ${args[*]} " == *" $etcd_shm "* ]]
}

alive() {
  local pid
  pid=$(pid_of "$1") || return 1
  is_ours "$pid"
}

# Closes every inherited descriptor above stderr: a daemon holding the pipe of whoever ran
# `up` (ctest, make, a CI runner) would keep that caller waiting for EOF forever.
close_inherited_fds() {
  local fd
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    ((fd > 2)) || continue
    eval "exec $fd>&-" 2>/dev/null || true
  done
}

# start_daemon NAME CMD...: runs CMD in its own session (so `down` can signal the whole process
# group, children included), output appended to $logs/NAME.log, pid in $pids/NAME. Without job
# control the subshell is not a group leader, so setsid(1) calls setsid() and execs in place:
# $! is the daemon's own pid, not a wrapper's.
start_daemon() {
  local name=$1
  shift
  (
    close_inherited_fds
    exec setsid "$@" </dev/null >>"$logs/$name.log" 2>&1
  ) &
  local pid=$! stat rest tries=0
  echo "$pid" >"$pids/$name"
  # Until the subshell has exec'd, its command line is this script's, not one naming $state,
  # and alive() would call a daemon that is merely slow to start dead (seen in CI under load:
  # "kube-apiserver exited" with an empty log). Wait for the exec, or for an early death.
  until is_ours "$pid"; do
    read -r stat 2>/dev/null <"/proc/$pid/stat" || break
    rest=${stat##*) }
    [[ ${rest%% *} == Z ]] && break
    ((++tries < 1000)) || break
    sleep 0.01
  done
}

# Pids of every process that belongs to this cluster: the recorded daemons, anything in their
# sessions (children), and any of our binaries whose command line names the state dir (a
# daemon whose pid file was lost).
cluster_pids() {
  local sids=() p name pid stat rest sid argv=()
  for name in "${components[@]}"; do
    pid=$(pid_of "$name") || continue
    is_ours "$pid" && sids+=("$pid")
  done
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    # builtins only (read, mapfile): this loop visits every process, forks would add up
    read -r stat 2>/dev/null <"$p/stat" || continue
    rest=${stat##*) } # fields after "(comm) ": state ppid pgrp session ...
    read -r _ _ _ sid _ <<<"$rest"
    if [[ " ${sids[*]} " == *" $sid "* ]]; then
      echo "$pid"
      continue
    fi
    mapfile -d '' -n 1 argv 2>/dev/null <"$p/cmdline" || continue
    ((${#argv[@]})) || continue # kernel thread or zombie
    case ${argv[0]##*/} in
      etcd | kube-apiserver | kube-controller-manager | kube-scheduler | kwok | nats-server | \
        containerd | containerd-shim-runc-v2 | kubelet)
        is_ours "$pid" && echo "$pid"
        ;;
    esac
  done
}

# Waits (briefly) until the given pids are gone from /proc, zombies included: a dead daemon
# stays a <defunct> entry until its new parent (init) reaps it, and `pgrep` right after
# `down` should not see it.
wait_reaped() {
  local pid _ pending
  for _ in $(seq 30); do
    pending=0
    for pid in "$@"; do
      if [[ -e /proc/$pid ]]; then
        pending=1
        break
      fi
    done
    ((pending)) || return 0
    sleep 0.1
  done
}

# SIGTERM to every process of the cluster, SIGKILL to what is left after a grace period.
stop_processes() {
  local grace=${1:-5} victims left deadline
  mapfile -t victims < <(cluster_pids)
  ((${#victims[@]})) || return 0
  kill -TERM "${victims[@]}" 2>/dev/null || true
  deadline=$((SECONDS + grace))
  while ((SECONDS < deadline)); do
    mapfile -t left < <(cluster_pids)
    if ((${#left[@]} == 0)); then
      wait_reaped "${victims[@]}"
      return 0
    fi
    sleep 0.2
  done
  log "still running after ${grace}s, sending SIGKILL: ${left[*]}"
  kill -KILL "${left[@]}" 2>/dev/null || true
  for _ in $(seq 50); do
    mapfile -t left < <(cluster_pids)
    if ((${#left[@]} == 0)); then
      wait_reaped "${victims[@]}"
      return 0
    fi
    sleep 0.1
  done
  die "could not stop: ${left[*]}"
}

# ---------------------------------------------------------------------------------------------
# ports

port_in_use() {
  local port=$1
  if command -v ss >/dev/null; then
    [[ -n $(ss -Htan "( sport = :$port )" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

picked_ports=()

# pick_port VAR WHAT [FIXED]: a free loopback port into VAR, or FIXED when given (and free).
# Random picks from 20000-31999 stay below the kernel's ephemeral range (32768+), where
# outgoing connections would otherwise grab them between our check and the daemon's bind.
pick_port() {
  local var=$1 what=$2 fixed=${3:-} port tries=0
  if [[ -n $fixed ]]; then
    port_in_use "$fixed" && die "port $fixed for $what is already in use (choose another or unset the override)"
    picked_ports+=("$fixed")
    printf -v "$var" '%s' "$fixed"
    return
  fi
  while :; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    if [[ " ${picked_ports[*]} " != *" $port "* ]] && ! port_in_use "$port"; then break; fi
    ((++tries < 200)) || die "no free loopback port found for $what"
  done
  picked_ports+=("$port")
  printf -v "$var" '%s' "$port"
}

# ---------------------------------------------------------------------------------------------
# PKI (openssl only; P-256 keys keep generation well under a second)

openssl_cnf() {
  cat >"$pki/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
subjectAltName = @sans
[sans]
IP.1 = 127.0.0.1
IP.2 = SERVICE_IP
DNS.1 = localhost
DNS.2 = kubernetes
DNS.3 = kubernetes.default
DNS.4 = kubernetes.default.svc
DNS.5 = kubernetes.default.svc.cluster.local
EOF
  sed -i "s/SERVICE_IP/$service_ip/" "$pki/openssl.cnf"
}

# issue NAME SUBJECT PROFILE [CA]: NAME.key + NAME.crt signed by CA (default: the cluster CA).
issue() {
  local name=$1 subject=$2 profile=$3 ca=${4:-ca}
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -config "$pki/openssl.cnf" -subj "$subject" \
    -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 \
    -extfile "$pki/openssl.cnf" -extensions "$profile" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr"
}

make_pki() {
  mkdir -p "$pki"
  chmod 700 "$pki"
  openssl_cnf
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -config "$pki/openssl.cnf" -extensions ca -subj "/CN=riposte-local-ca" -days 3650 \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  issue kube-apiserver "/CN=kube-apiserver" server
  issue admin "/O=system:masters/CN=riposte-admin" client
  issue kube-controller-manager "/CN=system:kube-controller-manager" client
  issue kube-scheduler "/CN=system:kube-scheduler" client
  issue kwok "/O=system:masters/CN=riposte-kwok" client
  # The API server's identity towards kubelets (exec, attach, logs); bound to
  # system:kubelet-api-admin when the real node comes up.
  issue kube-apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" client
  if [[ -n ${audit_webhook_port:-} ]]; then
    issue riposte-audit "/CN=riposte-audit" server
    issue kube-apiserver-audit "/CN=kube-apiserver-audit" client
  fi
  # Front-proxy (request-header) CA and client: the controller-manager and scheduler read its
  # CA from the extension-apiserver-authentication ConfigMap and log an error every few
  # seconds when it is absent; aggregated API servers need it too.
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -config "$pki/openssl.cnf" -extensions ca -subj "/CN=riposte-local-front-proxy-ca" -days 3650 \
    -keyout "$pki/front-proxy-ca.key" -out "$pki/front-proxy-ca.crt" 2>/dev/null
  issue front-proxy-client "/CN=front-proxy-client" client front-proxy-ca
  # ServiceAccount tokens: RSA, so they are RS256 like on any real cluster.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

# write_kubeconfig FILE CERT_NAME: credentials embedded, so the file still works when copied.
write_kubeconfig() {
  local file=$1 who=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: riposte-local
  cluster:
    server: https://127.0.0.1:$kube_port
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: $who
  user:
    client-certificate-data: $(base64 -w0 <"$pki/$who.crt")
    client-key-data: $(base64 -w0 <"$pki/$who.key")
contexts:
- name: riposte-local
  context:
    cluster: riposte-local
    user: $who
current-context: riposte-local
EOF
  chmod 600 "$file"
}

# ---------------------------------------------------------------------------------------------
# binaries

kubectl_bin() {
  if [[ -x $k8s_bin/kubectl ]]; then
    echo "$k8s_bin/kubectl"
  else
    command -v kubectl || true
  fi
}

find_system_bin() { # etcd comes from Debian; /usr/sbin is not always on PATH
  command -v "$1" 2>/dev/null || { [[ -x /usr/sbin/$1 ]] && echo "/usr/sbin/$1"; } || true
}

ensure_binaries() {
  local b missing=0
  for b in "$k8s_bin"/{kube-apiserver,kube-controller-manager,kube-scheduler} "$kwok_bin/kwok" "$nats_bin"; do
    [[ -x $b ]] || missing=1
  done
  if ((missing)); then
    log "control-plane binaries missing in $cache: building them (first time: many minutes)"
    "$here/build-control-plane.sh"
  fi
  etcd_bin=$(find_system_bin etcd)
  kubectl=$(kubectl_bin)
  [[ -n $etcd_bin ]] || die "etcd not found (Debian package etcd-server): run deploy/local/install.sh"
  [[ -x $nats_bin ]] || die "nats-server $NATS_SERVER_VERSION not found at $nats_bin: run deploy/local/build-control-plane.sh"
  [[ -n $kubectl ]] || die "kubectl not found: run deploy/local/install.sh"
  for b in openssl curl setsid; do
    command -v "$b" >/dev/null || die "$b not found: run deploy/local/install.sh"
  done
}

# ---------------------------------------------------------------------------------------------
# readiness

kube() { "$kubectl" --kubeconfig "$state/kubeconfig" --request-timeout=5s "$@"; }

# Bodies are captured, not piped to `grep -q`: with pipefail, grep exiting first can fail the
# check through curl's SIGPIPE.
etcd_ready() { [[ $(curl -sf --max-time 2 "http://127.0.0.1:$etcd_port/health") == *'"health":"true"'* ]]; }
apiserver_ready() {
  [[ $(curl -sf --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$kube_port/readyz") == ok ]]
}
# /healthz is reachable anonymously on the components' secure ports (always-allow paths).
https_healthz() { [[ $(curl -skf --max-time 2 "https://127.0.0.1:$1/healthz") == ok ]]; }
controller_manager_ready() { https_healthz "$kcm_port"; }
scheduler_ready() { https_healthz "$sched_port"; }
kwok_ready() { [[ $(curl -sf --max-time 2 "http://127.0.0.1:$kwok_port/healthz") == ok ]]; }
nats_ready() {
  [[ $(curl -sf --max-time 2 "http://127.0.0.1:$nats_mon_port/healthz?js-enabled-only=true") == *'"ok"'* ]]
}
node_ready() {
  [[ $(kube get node "$node_name" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}
default_sa_ready() { kube -n default get serviceaccount default >/dev/null 2>&1; }

# A component failed: one line naming it, the tail of its log, everything stopped, exit 1.
fail() {
  local name=$1 why=$2
  printf '[cluster] error: %s %s (log: %s)\n' "$name" "$why" "$logs/$name.log" >&2
  if [[ -s $logs/$name.log ]]; then
    printf '[cluster] last 20 lines of %s:\n' "$logs/$name.log" >&2
    tail -n 20 "$logs/$name.log" | sed 's/^/    /' >&2
  fi
  teardown_failed_up
  exit 1
}

# wait_for NAME WHAT CHECK: polls CHECK until it passes; fails when the daemon NAME dies or
# the timeout passes.
wait_for() {
  local name=$1 what=$2 check=$3 deadline=$((SECONDS + up_timeout))
  until "$check"; do
    alive "$name" || fail "$name" "exited while waiting for $what"
    ((SECONDS < deadline)) || fail "$name" "not $what after ${up_timeout}s"
    sleep 0.25
  done
}

# ---------------------------------------------------------------------------------------------
# up

up_done=0
teardown_failed_up() {
  trap - EXIT INT TERM
  if compgen -G "$pids/*" >/dev/null; then
    real_node_stop >&2 || true
    stop_processes 3 >&2 || true
    real_node_down >&2 || true
    rm -f "$state/env"
    log "stopped what was started; logs kept in $logs ('cluster.sh down' removes them)" >&2
  else
    rm -rf "$state" # nothing was started: nothing to debug either
  fi
}
on_up_exit() { ((up_done)) || teardown_failed_up; }

# Refuses paths the env file could not quote plainly (it is read by shells and by the C++
# tests' simple KEY="value" parser).
check_state_path() {
  [[ $state != / && $state != "$HOME" ]] || die "refusing RIPOSTE_LOCAL_DIR=$state"
  case $state in *[\"\$\`\\[:space:]]*) die "RIPOSTE_LOCAL_DIR must not contain quotes, \$, backslashes or spaces: $state" ;; esac
}

# Leaves $state absent or empty-but-ours; a stale cluster (some daemon dead) is cleared.
prepare_state() {
  if [[ -e $state && ! -f $marker ]]; then
    if [[ -d $state && -z $(ls -A "$state") ]]; then return; fi
    die "$state exists and was not created by cluster.sh: set RIPOSTE_LOCAL_DIR to a new directory"
  fi
  if [[ -f $marker ]]; then
    local name dead=()
    for name in "${components[@]}"; do alive "$name" || dead+=("$name"); done
    if ((${#dead[@]} == 0)) && [[ -f $state/env ]]; then
      log "already up: $state/env"
      exit 0
    fi
    log "found a stale cluster in $state (not running: ${dead[*]}): replacing it"
    real_node_stop
    stop_processes 5
    real_node_down
    rm -rf "$state" "$etcd_shm"
  fi
}

pick_ports() {
  pick_port etcd_port "etcd client"
  pick_port etcd_peer_port "etcd peer"
  pick_port kube_port kube-apiserver "${RIPOSTE_KUBE_PORT:-}"
  pick_port kcm_port kube-controller-manager
  pick_port sched_port kube-scheduler
  pick_port kwok_port kwok
  pick_port nats_port nats-server "${RIPOSTE_NATS_PORT:-}"
  pick_port nats_mon_port "nats-server monitoring" "${RIPOSTE_NATS_MONITOR_PORT:-}"
  audit_webhook_port=""
  if [[ ${RIPOSTE_AUDIT_WEBHOOK:-0} == 1 ]]; then
    pick_port audit_webhook_port "riposte-audit webhook" "${RIPOSTE_AUDIT_WEBHOOK_PORT:-}"
  fi
  cat >"$state/ports" <<EOF
etcd_port=$etcd_port
etcd_peer_port=$etcd_peer_port
kube_port=$kube_port
kcm_port=$kcm_port
sched_port=$sched_port
kwok_port=$kwok_port
nats_port=$nats_port
nats_mon_port=$nats_mon_port
audit_webhook_port=$audit_webhook_port
EOF
}

# NATS as shipped (the Helm chart's configuration, locally): TLS with a certificate from the
# cluster CA, one user per component with the chart's subject permissions
# (deploy/helm/riposte/files/nats-permissions.conf), no anonymous access. Each component's
# password is a file under $nats_auth (mode 600), as a mounted Secret is in Kubernetes.
# Clients use tls://localhost:PORT: the certificate's name (localhost) is verified, not only
# its chain.
nats_auth=$state/nats-auth
nats_users=(riposte-detector riposte-responder riposte-audit)

make_nats_auth() {
  mkdir -p "$nats_auth"
  chmod 700 "$nats_auth"
  issue nats-server "/CN=riposte-nats" server
  cp "$here/../helm/riposte/files/nats-permissions.conf" "$state/nats-permissions.conf"
  local user
  for user in "${nats_users[@]}"; do
    [[ -f $nats_auth/$user.password ]] || (umask 077 && openssl rand -hex 24 >"$nats_auth/$user.password")
  done
  write_nats_users
}

# The server's passwords, from the password files (variables the users block refers to).
write_nats_users() {
  local user var
  (
    umask 077 # the file holds the passwords
    {
      echo "# Written by deploy/local/cluster.sh from $nats_auth/*.password; do not edit."
      for user in "${nats_users[@]}"; do
        var=${user#riposte-}
        echo "RIPOSTE_${var^^}_PASSWORD = \"$(cat "$nats_auth/$user.password")\""
      done
    } >"$state/nats-users.conf.tmp"
  )
  mv "$state/nats-users.conf.tmp" "$state/nats-users.conf"
}

start_nats() {
  mkdir -p "$state/nats"
  cat >"$state/nats.conf" <<EOF
listen: 127.0.0.1:$nats_port
http: 127.0.0.1:$nats_mon_port
server_name: riposte-local
jetstream {
  store_dir: "$state/nats"
  max_memory_store: 268435456
  max_file_store: 1073741824
}
tls {
  cert_file: "$pki/nats-server.crt"
  key_file: "$pki/nats-server.key"
  timeout: 2
}
include ./nats-permissions.conf
include ./nats-users.conf
authorization {
  users: [
    {user: riposte-detector, password: \$RIPOSTE_DETECTOR_PASSWORD, permissions: \$RIPOSTE_DETECTOR_PERMISSIONS}
    {user: riposte-responder, password: \$RIPOSTE_RESPONDER_PASSWORD, permissions: \$RIPOSTE_RESPONDER_PERMISSIONS}
    {user: riposte-audit, password: \$RIPOSTE_AUDIT_PASSWORD, permissions: \$RIPOSTE_AUDIT_PERMISSIONS}
  ]
}
EOF
  chmod 600 "$state/nats.conf"
  start_daemon nats-server "$nats_bin" -c "$state/nats.conf"
}

start_etcd() {
  start_daemon etcd "$etcd_bin" --name riposte --data-dir "$etcd_data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "riposte=http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster-state new --logger zap --log-outputs stderr
}

# The API server's audit log holds every mutation made by a ServiceAccount outside
# kube-system, request and response: what chaos tests count effects from (one eviction per
# alert, ...). Nothing else is logged, so it stays small. RIPOSTE_APISERVER_AUDIT=0: no log.
#
# RIPOSTE_AUDIT_WEBHOOK=1 (at up): the API server also posts audit events to riposte-audit's
# webhook on 127.0.0.1:$audit_webhook_port (batch mode: events are buffered and sent in the
# background, so a slow or absent receiver never holds a request; a full buffer drops events
# and the API server counts them). The policy then also records what Falco's k8s_audit rules
# read (one policy serves both backends; the log's readers filter by user). Whoever runs
# riposte-audit uses the certificates and port the env file names (RIPOSTE_AUDIT_*).
audit_flags() {
  local webhook=${audit_webhook_port:-}
  [[ ${RIPOSTE_APISERVER_AUDIT:-1} == 1 || -n $webhook ]] || return 0
  {
    cat <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    userGroups: ["system:serviceaccounts:kube-system"]
  - level: RequestResponse
    userGroups: ["system:serviceaccounts"]
    verbs: [create, update, patch, delete, deletecollection]
EOF
    if [[ -n $webhook ]]; then
      cat <<'EOF'
  # riposte-audit (k8s_audit rules): not the control plane's own traffic.
  - level: None
    users: [riposte-kwok, "system:kube-scheduler", "system:kube-controller-manager", "system:apiserver"]
  - level: None
    resources: [{group: "", resources: [events, pods/status, nodes/status]}, {group: coordination.k8s.io, resources: [leases]}]
  - level: RequestResponse
    resources:
      - {group: "", resources: [pods, pods/exec, pods/attach, pods/portforward, pods/ephemeralcontainers, secrets, configmaps, services, serviceaccounts, namespaces]}
      - {group: rbac.authorization.k8s.io, resources: [roles, clusterroles, rolebindings, clusterrolebindings]}
      - {group: apps, resources: [deployments, daemonsets, statefulsets]}
EOF
    fi
    echo "  - level: None"
  } >"$state/audit-policy.yaml"
  echo --audit-policy-file "$state/audit-policy.yaml"
  if [[ ${RIPOSTE_APISERVER_AUDIT:-1} == 1 ]]; then
    echo --audit-log-path "$state/apiserver-audit.log" --audit-log-maxsize 200 --audit-log-maxbackup 1
  fi
  if [[ -n $webhook ]]; then
    write_audit_webhook_kubeconfig
    # Batches sent after 200 ms at the latest (the default 30 s would delay every audit alert
    # by that); a failed send is retried from 1 s on, then dropped.
    echo --audit-webhook-config-file "$state/audit-webhook.kubeconfig" --audit-webhook-mode batch \
      --audit-webhook-batch-max-wait 200ms --audit-webhook-initial-backoff 1s
  fi
}

# How the API server reaches riposte-audit: HTTPS verified against the cluster CA (the
# receiver's certificate is the cluster's), and its own client certificate
# (CN kube-apiserver-audit) that riposte-audit verifies against the same CA.
write_audit_webhook_kubeconfig() {
  cat >"$state/audit-webhook.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: riposte-audit
    cluster:
      server: https://127.0.0.1:$audit_webhook_port/k8s-audit
      certificate-authority: $pki/ca.crt
users:
  - name: kube-apiserver
    user:
      client-certificate: $pki/kube-apiserver-audit.crt
      client-key: $pki/kube-apiserver-audit.key
contexts:
  - name: webhook
    context: {cluster: riposte-audit, user: kube-apiserver}
current-context: webhook
EOF
}

start_apiserver() {
  # --endpoint-reconciler-type=none: the `kubernetes` Service would get 127.0.0.1 as endpoint,
  # which Endpoints validation rejects (loopback) on every reconcile; nothing here needs it.
  start_daemon kube-apiserver "$k8s_bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$kube_port" \
    --tls-cert-file "$pki/kube-apiserver.crt" --tls-private-key-file "$pki/kube-apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$pki/front-proxy-client.crt" \
    --proxy-client-key-file "$pki/front-proxy-client.key" \
    --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range "$service_cidr" \
    --endpoint-reconciler-type none \
    --kubelet-client-certificate "$pki/kube-apiserver-kubelet-client.crt" \
    --kubelet-client-key "$pki/kube-apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/ca.crt" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --allow-privileged=true \
    --cert-dir "$state/kube-apiserver" \
    --profiling=false \
    $(audit_flags) # separate words on purpose (the state path has no spaces: check_state_path)
}

start_controller_manager() {
  local kc=$state/kube-controller-manager.kubeconfig
  start_daemon kube-controller-manager "$k8s_bin/kube-controller-manager" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" \
    --cert-dir "$state/kube-controller-manager" \
    --leader-elect=false \
    --controllers '*' \
    --use-service-account-credentials=true \
    --service-account-private-key-file "$pki/sa.key" \
    --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --cluster-name "riposte-local" \
    --service-cluster-ip-range "$service_cidr" \
    --profiling=false
}

start_scheduler() {
  local kc=$state/kube-scheduler.kubeconfig
  start_daemon kube-scheduler "$k8s_bin/kube-scheduler" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$sched_port" \
    --cert-dir "$state/kube-scheduler" \
    --leader-elect=false \
    --profiling=false
}

start_kwok() {
  # HOME inside the state dir: kwok always loads ~/.kwok/kwok.yaml when it exists, and a
  # developer's own kwok config must not change how this cluster behaves.
  mkdir -p "$state/kwok-home"
  start_daemon kwok env HOME="$state/kwok-home" "$kwok_bin/kwok" \
    --kubeconfig "$state/kwok.kubeconfig" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --server-address "127.0.0.1:$kwok_port" \
    --node-lease-duration-seconds 40
}

create_node() {
  kube apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $node_name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $node_name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
spec: {}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "$node_pods"}
  capacity: {cpu: "64", memory: 256Gi, pods: "$node_pods"}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: $K8S_VERSION
EOF
}

write_env() {
  local path_line=""
  # Only when build-control-plane.sh had to build kubectl (none, or a too old one, on PATH).
  [[ $kubectl == "$k8s_bin/kubectl" ]] && path_line="export PATH=\"$k8s_bin:\$PATH\""
  cat >"$state/env.tmp" <<EOF
# Written by deploy/local/cluster.sh up. Source it: . $state/env
export RIPOSTE_LOCAL_DIR="$state"
export KUBECONFIG="$state/kubeconfig"
export RIPOSTE_KUBE_SERVER="https://127.0.0.1:$kube_port"
export RIPOSTE_KUBE_CA="$pki/ca.crt"
export RIPOSTE_KUBE_CLIENT_CERT="$pki/admin.crt"
export RIPOSTE_KUBE_CLIENT_KEY="$pki/admin.key"
export RIPOSTE_KUBECTL="$kubectl"
export RIPOSTE_NATS_URL="tls://localhost:$nats_port"
export RIPOSTE_NATS_CA="$pki/ca.crt"
export RIPOSTE_NATS_DETECTOR_PASSWORD_FILE="$nats_auth/riposte-detector.password"
export RIPOSTE_NATS_RESPONDER_PASSWORD_FILE="$nats_auth/riposte-responder.password"
export RIPOSTE_NATS_AUDIT_PASSWORD_FILE="$nats_auth/riposte-audit.password"
export RIPOSTE_NATS_MONITOR="http://127.0.0.1:$nats_mon_port"
export RIPOSTE_NODE_NAME="$node_name"
export RIPOSTE_REAL_NODE_NAME="$real_node_env"
export RIPOSTE_APISERVER_AUDIT_LOG="$([[ ${RIPOSTE_APISERVER_AUDIT:-1} == 1 ]] && echo "$state/apiserver-audit.log")"
export RIPOSTE_AUDIT_WEBHOOK_PORT="$audit_webhook_port"
export RIPOSTE_AUDIT_TLS_CERT="$([[ -n $audit_webhook_port ]] && echo "$pki/riposte-audit.crt")"
export RIPOSTE_AUDIT_TLS_KEY="$([[ -n $audit_webhook_port ]] && echo "$pki/riposte-audit.key")"
export RIPOSTE_AUDIT_CLIENT_CA="$([[ -n $audit_webhook_port ]] && echo "$pki/ca.crt")"
$path_line
EOF
  mv "$state/env.tmp" "$state/env" # atomically: tests take the file's presence as "up"
}

cmd_up() {
  local t0=$SECONDS
  check_state_path
  prepare_state
  ensure_binaries
  want_real_node=0
  if real_node_wanted; then
    real_node_held_elsewhere && die "the real node is held by the cluster in $(cat "$real_node_lock") (one per machine): take it down, or RIPOSTE_REAL_NODE=0"
    want_real_node=1
    real_node_binaries
    [[ " ${components[*]} " == *" kubelet "* ]] || components+=("${real_node_components[@]}")
  fi
  mkdir -p "$state" "$logs" "$pids"
  : >"$marker"
  trap on_up_exit EXIT
  trap 'exit 130' INT TERM

  pick_ports
  log "state $state; ports: apiserver $kube_port, etcd $etcd_port, nats $nats_port (monitor $nats_mon_port)"
  log "generating PKI (CA, apiserver serving cert, client certs, service-account key)"
  make_pki
  make_nats_auth
  write_kubeconfig "$state/kubeconfig" admin
  write_kubeconfig "$state/kube-controller-manager.kubeconfig" kube-controller-manager
  write_kubeconfig "$state/kube-scheduler.kubeconfig" kube-scheduler
  write_kubeconfig "$state/kwok.kubeconfig" kwok

  log "starting nats-server (JetStream) and etcd"
  start_nats
  start_etcd
  wait_for etcd healthy etcd_ready
  log "etcd ready ($((SECONDS - t0))s); starting kube-apiserver $K8S_VERSION"
  start_apiserver
  wait_for kube-apiserver ready apiserver_ready
  log "kube-apiserver ready ($((SECONDS - t0))s); starting controller-manager, scheduler, kwok $KWOK_VERSION"
  start_controller_manager
  start_scheduler
  start_kwok
  wait_for nats-server "healthy with JetStream" nats_ready
  wait_for kube-controller-manager healthy controller_manager_ready
  wait_for kube-scheduler healthy scheduler_ready
  wait_for kwok healthy kwok_ready
  log "creating fake node $node_name"
  create_node || fail kube-apiserver "refused to create node $node_name"
  wait_for kwok "reporting node $node_name Ready" node_ready
  wait_for kube-controller-manager "creating ServiceAccount default/default" default_sa_ready
  real_node_env=
  if ((want_real_node)); then
    real_node_up
    real_node_env=$real_node_name
  fi

  write_env
  up_done=1
  trap - EXIT INT TERM
  log "up in $((SECONDS - t0))s: . $state/env"
}

# ---------------------------------------------------------------------------------------------
# down, status, env

cmd_down() {
  local t0=$SECONDS
  # Even without a state dir, sweep for daemons naming it (a dir removed by hand).
  real_node_stop
  stop_processes 5
  real_node_down
  if [[ -e $state ]]; then
    if [[ -f $marker ]]; then
      rm -rf "$state" "$etcd_shm"
    elif [[ -d $state && -z $(ls -A "$state") ]]; then
      rmdir "$state"
    else
      die "$state was not created by cluster.sh: not removing it"
    fi
    log "down in $((SECONDS - t0))s ($state removed)"
  else
    log "nothing running in $state"
  fi
}

cmd_status() {
  if [[ ! -f $marker ]]; then
    log "not up ($state)"
    return 1
  fi
  local name pid rc=0 how
  # shellcheck source=/dev/null
  [[ -f $state/ports ]] && . "$state/ports"
  local -A where=(
    [nats-server]="tls://localhost:$nats_port (monitor http://127.0.0.1:$nats_mon_port)"
    [etcd]="http://127.0.0.1:$etcd_port"
    [kube-apiserver]="https://127.0.0.1:$kube_port"
    [kube-controller-manager]="https://127.0.0.1:$kcm_port/healthz"
    [kube-scheduler]="https://127.0.0.1:$sched_port/healthz"
    [kwok]="http://127.0.0.1:$kwok_port/healthz"
    [containerd]="unix://$rn/containerd.sock"
    [kubelet]="node $real_node_name"
  )
  for name in "${components[@]}"; do
    pid=$(pid_of "$name" || echo -)
    how=running
    alive "$name" || { how="NOT running" && rc=1; }
    printf '%-24s %-8s %-12s %s\n' "$name" "$pid" "$how" "${where[$name]}"
  done
  if [[ -f $state/env ]]; then echo "env: $state/env"; else echo "env: (not written: up did not finish)"; fi
  return "$rc"
}

cmd_restart_apiserver() {
  [[ -f $state/env && -f $state/ports ]] || die "not up: no $state/env (run: deploy/local/cluster.sh up)"
  # shellcheck source=/dev/null
  . "$state/ports"
  ensure_binaries
  local pid t0=$SECONDS deadline
  if pid=$(pid_of kube-apiserver) && is_ours "$pid"; then
    kill -TERM "$pid"
    # Its graceful shutdown waits for open watches; a restart test wants them cut anyway.
    deadline=$((SECONDS + 5))
    while alive kube-apiserver && ((SECONDS < deadline)); do sleep 0.1; done
    alive kube-apiserver && kill -KILL "$pid"
    wait_reaped "$pid"
  fi
  log "kube-apiserver stopped ($((SECONDS - t0))s); starting it again on port $kube_port"
  start_apiserver
  # Not wait_for: its failure path tears the whole cluster down.
  deadline=$((SECONDS + up_timeout))
  until apiserver_ready; do
    alive kube-apiserver || die "kube-apiserver exited on restart (log: $logs/kube-apiserver.log)"
    ((SECONDS < deadline)) || die "kube-apiserver not ready ${up_timeout}s after restart"
    sleep 0.25
  done
  log "kube-apiserver restarted in $((SECONDS - t0))s"
}

cmd_env() {
  [[ -f $state/env ]] || die "not up: no $state/env (run: deploy/local/cluster.sh up)"
  echo "$state/env"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  restart-apiserver) cmd_restart_apiserver ;;
  *)
    echo "usage: $0 up|down|status|env|restart-apiserver   (state dir: \$RIPOSTE_LOCAL_DIR, default /tmp/riposte-local)" >&2
    exit 2
    ;;
esac
