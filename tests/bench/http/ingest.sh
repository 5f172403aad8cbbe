#!/usr/bin/env bash
# The responder's HTTP input under load, end to end: a 3-node nats-server cluster (JetStream,
# streams R3), the real riposte-responder binary with --http-addr, and wrk posting distinct
# Falco alerts from 1 kept-open connection and from 64. Every 200 must be in RIPOSTE_ALERTS:
# the stream's message count is checked against the 200s at the end of each binary's run.
#
#   tests/bench/http/ingest.sh [RESPONDER_BINARY ...]    (default: build/bin/riposte-responder)
#   RIPOSTE_BENCH_SECONDS=10  length of each wrk run
#   RIPOSTE_BENCH_CONNECTIONS="1 64"
#
# Give two binaries (e.g. main's and this branch's) to compare them in the same run. Prints one
# line per (binary, connections): alerts/s stored, latency p50/p99, and the stream check.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
seconds=${RIPOSTE_BENCH_SECONDS:-10}
connections=${RIPOSTE_BENCH_CONNECTIONS:-"1 64"}
binaries=("$@")
[[ ${#binaries[@]} -gt 0 ]] || binaries=("$root/build/bin/riposte-responder")
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
work=$(mktemp -d /tmp/riposte-http-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n ${RIPOSTE_BENCH_KEEP:-} ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
port() { "$root/deploy/local/free-port.sh"; }
# CPU clock ticks (user + system) used so far by the given processes.
cpu_ticks() {
  local p t=0
  for p in "$@"; do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
hz=$(getconf CLK_TCK)

start_cluster() {
  local dir=$1 routes="" i
  client_ports=() monitor_ports=() route_ports=()
  for i in 1 2 3; do client_ports+=("$(port)"); monitor_ports+=("$(port)"); route_ports+=("$(port)"); done
  for i in 0 1 2; do routes+="${routes:+, }nats-route://127.0.0.1:${route_ports[$i]}"; done
  for i in 0 1 2; do
    mkdir -p "$dir/n$i"
    cat >"$dir/n$i/nats.conf" <<CONF
server_name: bench-n$((i + 1))
listen: 127.0.0.1:${client_ports[$i]}
http: 127.0.0.1:${monitor_ports[$i]}
jetstream { store_dir: "$dir/n$i/store" }
cluster { name: bench, listen: 127.0.0.1:${route_ports[$i]}, routes: [$routes] }
CONF
    "$nats_server" -c "$dir/n$i/nats.conf" -l "$dir/n$i/log" &
    pids+=($!)
  done
  nats_urls=""
  for i in 0 1 2; do nats_urls+="${nats_urls:+,}nats://127.0.0.1:${client_ports[$i]}"; done
  # Every node healthy: JetStream's meta leader elected, so an R3 stream can be created.
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:${monitor_ports[0]}/healthz" >/dev/null &&
      curl -sf "http://127.0.0.1:${monitor_ports[1]}/healthz" >/dev/null &&
      curl -sf "http://127.0.0.1:${monitor_ports[2]}/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "nats cluster did not come up" >&2
  return 1
}

stream_messages() {
  local i n
  for i in 0 1 2; do
    n=$(curl -sf "http://127.0.0.1:${monitor_ports[$i]}/jsz?streams=true" |
      jq '[.account_details[]?.stream_detail[]? | select(.name == "RIPOSTE_ALERTS" and .cluster.leader == .cluster.name // false) | .state.messages] | first // empty' 2>/dev/null || true)
    [[ -n $n ]] && { echo "$n"; return; }
  done
  # Fallback: the largest count any node reports (the leader's is never below a follower's).
  for i in 0 1 2; do
    curl -sf "http://127.0.0.1:${monitor_ports[$i]}/jsz?streams=true" |
      jq '[.account_details[]?.stream_detail[]? | select(.name == "RIPOSTE_ALERTS") | .state.messages] | max // 0'
  done | sort -n | tail -1
}

token=bench-token-$RANDOM$RANDOM
echo -n "$token" >"$work/token"
# Dry-run playbooks never call the API server; the responder still wants a kubeconfig.
cat >"$work/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1", certificate-authority: /etc/ssl/certs/ca-certificates.crt}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
KC
mkdir -p "$work/playbooks"
cp "$root/playbooks/"*.yaml "$work/playbooks/" 2>/dev/null || true
run=0
for bin in "${binaries[@]}"; do
  run=$((run + 1))
  dir="$work/run$run"
  mkdir -p "$dir"
  start_cluster "$dir"
  http_port=$(port) ops_port=$(port)
  "$bin" --nats "$nats_urls" --stream-replicas 3 --playbooks "$work/playbooks" --dry-run --kubeconfig "$work/kubeconfig" \
    --allow-unauthenticated-bus --ops-addr "127.0.0.1:$ops_port" \
    --http-addr "127.0.0.1:$http_port" --http-token-file "$work/token" \
    >"$dir/responder.log" 2>&1 &
  responder=$!
  pids+=("$responder")
  nats_pids=("${pids[@]:0:3}")
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$ops_port/readyz" >/dev/null && break
    sleep 0.1
  done
  total_ok=0
  for c in $connections; do
    threads=$((c < 2 ? 1 : 2))
    cpu_r0=$(cpu_ticks "$responder") cpu_n0=$(cpu_ticks "${nats_pids[@]}")
    out=$(RIPOSTE_BENCH_TOKEN=$token RIPOSTE_BENCH_RUN="$run-$c" \
      wrk -t"$threads" -c"$c" -d"${seconds}s" --timeout 30s -s "$root/tests/bench/http/post_alert.lua" \
      "http://127.0.0.1:$http_port/falco" | grep '^RESULT' || true)
    ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$out")
    cpu_r=$(($(cpu_ticks "$responder") - cpu_r0))
    cpu_n=$(($(cpu_ticks "${nats_pids[@]}") - cpu_n0))
    # CPU per stored alert: what bounds alerts/s once the machine is otherwise idle.
    per_alert=""
    if ((${ok:-0} > 0)); then
      per_alert="responder_cpu_us_per_alert=$((cpu_r * 1000000 / hz / ok)) nats_cpu_us_per_alert=$((cpu_n * 1000000 / hz / ok))"
    fi
    total_ok=$((total_ok + ${ok:-0}))
    rss=$(awk '/VmHWM/ {print $2 " kB"}' "/proc/$responder/status")
    echo "$bin connections=$c ${out#RESULT } $per_alert responder_peak_rss=$rss load=$(cut -d' ' -f1 /proc/loadavg)"
  done
  stored=$(stream_messages)
  echo "  stream RIPOSTE_ALERTS holds $stored messages; 200s answered: $total_ok $([[ $stored -ge $total_ok ]] && echo '(every 200 stored)' || echo '(LOST: fewer stored than answered 200)')"
  kill "$responder"; wait "$responder" || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
done
