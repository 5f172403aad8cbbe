# shellcheck shell=bash
# The real node of the local cluster: kubelet + containerd + runc + CNI bridge, running real
# containers from the images build-images.sh makes. Sourced by cluster.sh, whose globals
# (state, pki, logs, pids, k8s_bin, ...) and helpers (issue, start_daemon, wait_for, kube,
# log, die, fail, alive) it uses.
#
# Beside the kwok node, not instead of it: kwok carries the benchmarks' hundreds of pods,
# this node the containers whose processes, cgroups, ttys and overlay layers Falco's rules are
# written for. It is tainted (riposte.dev/real-node=true:NoSchedule) so that only pods which
# tolerate the taint land on it; deploy/local/workloads/ holds such manifests.
#
# It touches the machine outside $state, which is why there is one per machine
# (/run/riposte-real-node.lock names the cluster holding it) and why `down` sweeps it all:
# the /kubepods cgroups, the container processes, mounts, /run/netns/cni-*, the bridge and its
# veths, /run/containerd/s (shim sockets), /var/log/containers links, ip_forward.

real_node_name=riposte-real-node
real_node_lock=/run/riposte-real-node.lock
real_node_taint=riposte.dev/real-node
pod_cidr=10.244.0.0/24
cni_bridge=riposte-cni0
cni_net=riposte
rn=$state/real-node # containerd, kubelet and CNI state (paths must stay short for sockets)

# RIPOSTE_REAL_NODE: 1 = required, 0 = off, unset = on when this machine can run it (root,
# and no other cluster holds the real node: then the cluster comes up with kwok alone).
real_node_wanted() {
  case ${RIPOSTE_REAL_NODE:-auto} in
    0) return 1 ;;
    1) return 0 ;;
  esac
  if ((EUID != 0)); then
    log "real node: off (needs root)"
    return 1
  fi
  if real_node_held_elsewhere; then
    log "real node: off (held by the cluster in $(cat "$real_node_lock"); one per machine)"
    return 1
  fi
  return 0
}

real_node_held_elsewhere() {
  [[ -s $real_node_lock ]] || return 1
  local holder
  holder=$(cat "$real_node_lock")
  [[ $holder != "$state" && -f $holder/.riposte-local ]]
}

real_node_binaries() {
  kubelet_bin=$k8s_bin/kubelet
  containerd_bin=$(find_system_bin containerd)
  ctr_bin=$(find_system_bin ctr)
  local b
  [[ -x $kubelet_bin ]] || die "kubelet not found in $k8s_bin: run deploy/local/install.sh"
  for b in containerd ctr runc containerd-shim-runc-v2; do
    [[ -n $(find_system_bin "$b") ]] || die "$b not found (Debian packages containerd, runc): run deploy/local/install.sh"
  done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] ||
    die "CNI plugins not found in /usr/lib/cni (Debian package containernetworking-plugins): run deploy/local/install.sh"
  images_archive=$("$here/build-images.sh" --path)
  [[ -s $images_archive ]] || die "container images not built ($images_archive): run deploy/local/install.sh"
}

# The machine's own address: the kubelet refuses a loopback node IP, and the API server
# reaches the kubelet (exec, logs) at the node's InternalIP.
real_node_ip() {
  ip -4 -o addr show scope global 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}'
}

real_node_pki() {
  cat >>"$pki/openssl.cnf" <<EOF
[kubelet]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
subjectAltName = IP:$node_ip, DNS:$real_node_name
EOF
  issue kubelet-client "/O=system:nodes/CN=system:node:$real_node_name" client
  issue kubelet-serving "/CN=$real_node_name" kubelet
}

# Snapshot of machine-wide entries that exist before the node starts: `down` removes only
# entries that appeared after it (someone else's netns or shim socket are not ours).
real_node_snapshot() {
  ls -1 /run/netns 2>/dev/null | sed 's|^|/run/netns/|' >"$rn/before.netns" || true
  ls -1 /run/containerd/s 2>/dev/null | sed 's|^|/run/containerd/s/|' >"$rn/before.shims" || true
  cat /proc/sys/net/ipv4/ip_forward >"$rn/before.ip_forward"
}

write_containerd_config() {
  mkdir -p "$rn/containerd" "$rn/cni/net.d" "$rn/cni/ipam"
  cat >"$rn/containerd/config.toml" <<EOF
version = 2
root = "$rn/containerd/root"
state = "$rn/containerd/state"
# Snapshotters and services the node does not use: each would log errors at start.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$rn/containerd.sock"
[ttrpc]
  address = "$rn/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$rn/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails ("nsexec: failed to
  # update /proc/self/oom_score_adj: Permission denied").
  restrict_oom_score_adj = true
  # Pod network namespaces below our state dir instead of /run/netns, where down would
  # have to tell ours from anyone else's.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$rn/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$rn/cni/net.d"
EOF
  cat >"$rn/cni/net.d/10-riposte.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$cni_net",
  "plugins": [
    {"type": "bridge", "bridge": "$cni_bridge", "isGateway": true, "ipMasq": false,
     "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$rn/cni/ipam",
              "ranges": [[{"subnet": "$pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "loopback"}
  ]
}
EOF
}

write_kubelet_config() {
  mkdir -p "$rn/kubelet" "$rn/pod-logs"
  cat >"$rn/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$rn/containerd.sock
failSwapOn: false
podCIDR: $pod_cidr
podLogsDir: $rn/pod-logs
maxPods: 110
# No KUBE-FIREWALL chains: nothing here needs them, and `down` would have to find them again.
makeIPTablesUtilChains: false
serializeImagePulls: false
# The images cannot be pulled again: never collect them, and do not evict pods because this
# VM's disk is fuller than a production node's thresholds.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
registerWithTaints:
- {key: $real_node_taint, value: "true", effect: NoSchedule}
EOF
  cat >"$rn/kubelet.labels" <<EOF
riposte.dev/node=real
EOF
}

containerd_ready() { "$ctr_bin" --address "$rn/containerd.sock" version >/dev/null 2>&1; }
kubelet_node_ready() {
  [[ $(kube get node "$real_node_name" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

# The images every test workload names; a missing one is a clear error naming it.
import_images() {
  local t0=$SECONDS ref missing=() refs=0
  "$ctr_bin" --address "$rn/containerd.sock" -n k8s.io images import --no-unpack "$images_archive" \
    >>"$logs/containerd.log" 2>&1 || fail containerd "could not import $images_archive"
  local have
  have=$("$ctr_bin" --address "$rn/containerd.sock" -n k8s.io images ls -q)
  while read -r ref; do
    refs=$((refs + 1))
    grep -qxF "$ref" <<<"$have" || missing+=("$ref")
  done < <("$here/build-images.sh" --references)
  ((${#missing[@]} == 0)) || fail containerd "image(s) missing after the import of $images_archive: ${missing[*]}"
  log "real node: $refs images imported ($((SECONDS - t0))s)"
}

# Called by cluster.sh up after the control plane is ready.
real_node_up() {
  local t0=$SECONDS
  node_ip=$(real_node_ip)
  [[ -n $node_ip ]] || die "real node: this machine has no global IPv4 address for the kubelet (set RIPOSTE_REAL_NODE=0)"
  mkdir -p "$rn"
  echo "$state" >"$real_node_lock"
  real_node_snapshot
  real_node_pki
  write_kubeconfig "$rn/kubelet.kubeconfig" kubelet-client
  # The API server calls the kubelet (exec, attach, logs) as this user.
  kube create clusterrolebinding riposte-apiserver-kubelet --clusterrole system:kubelet-api-admin \
    --user kube-apiserver-kubelet-client >/dev/null || fail kube-apiserver "refused the kubelet-api binding"
  write_containerd_config
  write_kubelet_config
  log "real node: starting containerd ($($containerd_bin --version | awk '{print $3}')) and kubelet $K8S_VERSION at $node_ip"
  start_daemon containerd "$containerd_bin" --config "$rn/containerd/config.toml"
  wait_for containerd "serving its socket" containerd_ready
  import_images
  start_daemon kubelet "$kubelet_bin" --config "$rn/kubelet.yaml" --kubeconfig "$rn/kubelet.kubeconfig" \
    --root-dir "$rn/kubelet" --hostname-override "$real_node_name" --node-ip "$node_ip" \
    --node-labels "$(paste -sd, "$rn/kubelet.labels")"
  wait_for kubelet "reporting node $real_node_name Ready" kubelet_node_ready
  log "real node: $real_node_name Ready ($((SECONDS - t0))s)"
}

# Every process in the node's pod cgroups: the containers, which neither kubelet nor
# containerd own as children once their shims are gone.
pod_cgroup_pids() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/unified/kubepods; do
    [[ -d $d ]] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

kill_pod_processes() {
  local left _
  for _ in $(seq 50); do
    mapfile -t left < <(pod_cgroup_pids)
    ((${#left[@]} == 0)) && return 0
    kill -KILL "${left[@]}" 2>/dev/null || true
    sleep 0.1
  done
  log "real node: processes left in /kubepods: ${left[*]}"
}

# Unmounts everything below the given directories, deepest first.
unmount_below() {
  local dir m
  for dir in "$@"; do
    while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
      awk -v d="$dir" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
  done
}

remove_new_entries() { # remove_new_entries SNAPSHOT GLOB...: entries not in SNAPSHOT
  local snap=$1 e
  shift
  for e in "$@"; do
    [[ -e $e ]] || continue
    grep -qxF "$e" "$snap" 2>/dev/null && continue
    umount -l "$e" 2>/dev/null || true
    rm -rf "$e"
  done
}

# Called by cluster.sh down after the daemons (kubelet, containerd, shims) are stopped.
real_node_down() {
  [[ -d $rn ]] || return 0
  kill_pod_processes
  unmount_below "$rn/" "/run/containerd/io.containerd."
  remove_new_entries "$rn/before.netns" /run/netns/cni-*
  remove_new_entries "$rn/before.shims" /run/containerd/s/*
  local d link
  for d in $(find /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/unified/kubepods -depth -type d 2>/dev/null); do
    rmdir "$d" 2>/dev/null || true
  done
  ip link show "$cni_bridge" >/dev/null 2>&1 && ip link del "$cni_bridge"
  for link in /var/log/containers/*.log; do
    [[ -L $link && $(readlink "$link") == "$rn/"* ]] && rm -f "$link"
  done
  rm -f /var/lib/cni/results/"$cni_net"-* 2>/dev/null || true
  [[ -s $rn/before.ip_forward ]] && cat "$rn/before.ip_forward" >/proc/sys/net/ipv4/ip_forward
  [[ $(cat "$real_node_lock" 2>/dev/null) == "$state" ]] && rm -f "$real_node_lock"
  return 0
}

# Called by cluster.sh before it stops the daemons: the kubelet first (it would restart what
# is killed next), then every container process, so that the shims exit on their own.
real_node_stop() {
  [[ -d $rn ]] || return 0
  local pid
  if pid=$(pid_of kubelet) && is_ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do is_ours "$pid" || break; sleep 0.1; done
    is_ours "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  kill_pod_processes
}
