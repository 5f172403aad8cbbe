#!/usr/bin/env bash
# Idempotent installer for everything riposte builds, tests and demos with, run by `make test`
# and `make demo` on a fresh machine: Debian packages (only the missing ones), then the
# upstream control-plane binaries (build-control-plane.sh, cached per version).
# Safe without a terminal: no prompts, no stdin.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DEBIAN_FRONTEND=noninteractive

packages=(
  # toolchain and build
  build-essential cmake ninja-build pkg-config clang llvm ccache
  # eBPF
  libbpf-dev bpftool libelf-dev zlib1g-dev
  # libraries
  libnats-dev libyaml-cpp-dev nlohmann-json3-dev libcpp-httplib-dev libssl-dev
  # tests and benchmarks
  libgmock-dev libgtest-dev googletest libbenchmark-dev
  # tests/deploy/helm_nats_auth_test.sh reads the rendered chart's YAML
  python3 python3-yaml
  # rules engine: RE2 for the regex operator (as Falco); libFuzzer + sanitizer runtimes for
  # clang 14 (tests/fuzz/run.sh)
  libre2-dev libclang-rt-14-dev
  # riposte-audit's allocator (audit/CMakeLists.txt)
  libjemalloc-dev
  # local cluster (deploy/local/cluster.sh) and the tools its scripts call (nats-server is
  # built by build-control-plane.sh: Debian's 2.9.10 does not serialize clustered KV updates)
  etcd-server busybox-static openssl curl iproute2 util-linux procps jq
  # libfaketime: tests/e2e/cooldown_clock_e2e_test runs a responder replica with a skewed clock
  faketime
  # /usr/bin/time: build-control-plane.sh logs each binary's build time and peak memory
  time
  # the real node (real-node.sh): container runtime, CNI plugins, and what build-images.sh
  # makes the images with (debootstrap, overlay whiteouts via xattrs); wrk loads nginx in the
  # detector-overhead benchmark
  containerd runc containernetworking-plugins debootstrap attr wrk
  # tests/deploy/grafana_dashboard_test: a real Prometheus scrapes the daemons and evaluates
  # every query of deploy/grafana/riposte.json. The test runs its own on a free port; on a
  # machine with systemd, Debian also starts the packaged service (:9090), which it does not use
  prometheus
  # tests/ui/ui_browser_test.py drives the web UI in headless Chromium through Selenium
  chromium chromium-driver python3-selenium
)

log() { printf '[install] %s\n' "$*"; }
die() {
  printf '[install] error: %s\n' "$*" >&2
  exit 1
}

# Root runs apt directly; anyone else needs a passwordless sudo (no stdin to ask on).
as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo -n "$@"
  else
    die "not root and no sudo: cannot run $*"
  fi
}

is_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

install_packages() {
  local p missing=()
  for p in "${packages[@]}"; do is_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then
    log "all ${#packages[@]} Debian packages present"
    return
  fi
  log "missing Debian packages: ${missing[*]}"
  # One update, only when something is missing: the package lists of a fresh machine may be
  # empty or stale, and a machine with everything installed should not touch the network.
  log "apt-get update"
  # Not fatal: one unreachable extra repository in sources.list makes apt-get update fail
  # although Debian's own lists, all that is needed here, were refreshed.
  as_root apt-get update -q </dev/null || log "apt-get update reported errors (see above); installing anyway"
  log "apt-get install ${missing[*]}"
  as_root apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" </dev/null
  for p in "${missing[@]}"; do is_installed "$p" || die "package $p did not install"; done
  log "installed ${#missing[@]} package(s)"
}

# kubectl: Debian bookworm's only package (kubernetes-client) is 1.20, far outside the +/-1
# minor skew a 1.3x apiserver supports, so it is never installed from there; when kubectl is
# missing or too old, build-control-plane.sh builds one matching the apiserver and
# cluster.sh's env file puts it first on PATH.
report_kubectl() {
  if command -v kubectl >/dev/null; then
    log "kubectl on PATH: $(command -v kubectl) ($(kubectl version --client 2>/dev/null | head -n1))"
  else
    log "kubectl not on PATH: build-control-plane.sh will build it"
  fi
}

check_go() {
  command -v go >/dev/null || die "go is not installed: it is needed to build the control-plane binaries (Debian's golang-go 1.19 is too old; the machine image provides a current Go)"
  log "go: $(go version)"
}

install_packages
report_kubectl
check_go
log "building control-plane binaries (cached after the first run)"
t0=$SECONDS
"$here/build-control-plane.sh" </dev/null
log "done ($((SECONDS - t0))s for control-plane binaries)"
if ((EUID == 0)); then
  log "building the real node's container images (cached after the first run)"
  t0=$SECONDS
  "$here/build-images.sh" </dev/null >/dev/null
  log "done ($((SECONDS - t0))s for images)"
else
  log "not root: skipping the real node's container images (cluster.sh runs without the real node)"
fi
