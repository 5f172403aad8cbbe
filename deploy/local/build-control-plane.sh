#!/usr/bin/env bash
# Builds the upstream control-plane binaries (and the kubelet) riposte's local cluster needs from the Go module
# proxy, cached outside the work tree and keyed by version, so only the first run pays.
#
# k8s.io/kubernetes replaces every staging module with ./staging/src/..., which `go install
# pkg@version` refuses; a throwaway wrapper module requires it at the pinned version and maps
# each staging module onto its published k8s.io/X v0.Y.Z instead (list derived from that
# version's go.mod, so a bump of K8S_VERSION needs no edit here).
#
# kubectl is built too when the one on PATH is missing or outside the +/-1 minor skew the
# apiserver supports (Debian's kubernetes-client is 1.20, far too old); cluster.sh then puts
# this bin directory first on PATH in its env file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

# HOME can be missing in stripped-down environments (some CI runners, ctest ENVIRONMENT).
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
cache=${RIPOSTE_CACHE:-$HOME/.cache/riposte}
k8s_bin=$cache/kubernetes-$K8S_VERSION/bin
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Bump when the way the binaries are built changes: cached binaries of an older recipe are
# rebuilt. 2: version stamped via -ldflags -X.
recipe=2

log() { printf '[build-control-plane] %s\n' "$*"; }
die() { printf '[build-control-plane] error: %s\n' "$*" >&2; exit 1; }

# True when a kubectl matching the server's minor (+/-1) must be built.
kubectl_needed() {
  [[ ${RIPOSTE_BUILD_KUBECTL:-0} == 1 ]] && return 0
  [[ -x $k8s_bin/kubectl ]] && return 0 # built before: keep it current with the cache
  command -v kubectl >/dev/null || return 0
  local have want
  have=$(kubectl version --client -o json 2>/dev/null | sed -n '/"minor"/{s/.*"minor": *"\([0-9]*\).*/\1/p;q;}') || have=
  want=${K8S_VERSION#v1.}
  want=${want%%.*}
  [[ -n $have ]] || return 0
  ((have < want - 1 || have > want + 1))
}

# -X flags upstream's hack/lib/version.sh passes: without them the binaries report
# v0.0.0-master+$Format:%H$, which kubectl cannot parse ("could not parse pre-release") and
# clients that gate on the server version misread. buildDate: the module's publication time
# (reproducible), from the proxy's .info file.
version_ldflags() {
  local info=$1 minor date pkg
  minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  date=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$info" 2>/dev/null)
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    printf -- '-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean -X %s.buildDate=%s ' \
      "$pkg" "$K8S_VERSION" "$pkg" "$pkg" "$minor" "$pkg" "$pkg" "${date:-1970-01-01T00:00:00Z}"
  done
}

# Runs `go build` for one binary, under /usr/bin/time when present so the log shows the
# build's peak memory (the 2-core/24 GiB machines make that the number to watch).
go_build() {
  local out=$1 pkg=$2 timing=$3 ldflags=$4
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -o "$timing" -f '%e s wall, peak RSS %M KB' \
      go build -trimpath -ldflags="-s -w $ldflags" -o "$out" "$pkg"
  else
    go build -trimpath -ldflags="-s -w $ldflags" -o "$out" "$pkg"
  fi
}

build_kubernetes() {
  # kubelet: the real node of cluster.sh (real-node.sh), built from the same wrapper module.
  local want=(kube-apiserver kube-controller-manager kube-scheduler kubelet) missing=()
  if kubectl_needed; then want+=(kubectl); fi
  if [[ -d $k8s_bin && $(cat "$k8s_bin/.recipe" 2>/dev/null) != "$recipe" ]]; then
    log "kubernetes $K8S_VERSION: binaries in $k8s_bin are from an older build recipe: rebuilding"
    rm -f "$k8s_bin"/kube-* "$k8s_bin/kubectl"
  fi
  for b in "${want[@]}"; do [[ -x $k8s_bin/$b ]] || missing+=("$b"); done
  if ((${#missing[@]} == 0)); then log "kubernetes $K8S_VERSION: cached in $k8s_bin"; return; fi
  command -v go >/dev/null || die "go is not installed (needed to build ${missing[*]})"
  local work=$cache/kubernetes-$K8S_VERSION/src
  mkdir -p "$work" "$k8s_bin"
  local staging_minor="v0.${K8S_VERSION#v1.}"
  log "kubernetes $K8S_VERSION: writing wrapper module (staging modules -> $staging_minor)"
  (
    cd "$work"
    go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
    local mod go_directive ldflags
    mod=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod
    ldflags=$(version_ldflags "${mod%.mod}.info")
    # Same go directive as upstream: the toolchain refuses a main module older than its
    # dependencies, and it selects the GODEBUG defaults upstream was tested with.
    go_directive=$(awk '$1 == "go" {print $2; exit}' "$mod")
    {
      echo "module riposte.local/controlplane"
      echo
      echo "go ${go_directive:-1.23}"
      echo
      echo "require k8s.io/kubernetes $K8S_VERSION"
      echo
      grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$mod" |
        awk -v v="$staging_minor" '{print "replace " $1 " => " $1 " " v}'
    } >go.mod
    {
      printf '//go:build tools\n\npackage tools\n\nimport (\n'
      for b in "${want[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done
      printf ')\n'
    } >tools.go
    log "kubernetes $K8S_VERSION: resolving modules (go mod tidy)"
    # -e: the sample-* and code-generator staging modules are not always published; nothing
    # built here imports them, so their absence must not stop the build.
    go mod tidy -e >/dev/null 2>&1 || true
    GOFLAGS="$GOFLAGS -mod=mod" go mod download
    for b in "${missing[@]}"; do
      log "kubernetes $K8S_VERSION: go build $b (cold: several minutes)"
      local t0=$SECONDS
      if ! GOFLAGS="$GOFLAGS -mod=mod" go_build "$k8s_bin/$b.tmp" "k8s.io/kubernetes/cmd/$b" "$work/$b.time" "$ldflags"; then
        rm -f "$k8s_bin/$b.tmp"
        die "go build $b failed; if it says 'module version is not available', the Go module proxy lacks a k8s.io staging module at $staging_minor: pick another K8S_VERSION in $here/versions.env"
      fi
      mv "$k8s_bin/$b.tmp" "$k8s_bin/$b"
      log "kubernetes $K8S_VERSION: $b built in $((SECONDS - t0))s ($(cat "$work/$b.time" 2>/dev/null || echo "no /usr/bin/time"))"
    done
    echo "$recipe" >"$k8s_bin/.recipe"
  )
}

# go_install_cached NAME VERSION PACKAGE [LDFLAGS]: `go install PACKAGE@VERSION` into
# $cache/NAME-VERSION/bin unless it is there already. For modules without replace directives.
go_install_cached() {
  local name=$1 version=$2 pkg=$3 ldflags=${4:-}
  local dir=$cache/$name-$version/bin
  if [[ -x $dir/$name ]]; then log "$name $version: cached in $dir"; return; fi
  command -v go >/dev/null || die "go is not installed (needed to build $name)"
  mkdir -p "$dir"
  log "$name $version: go install"
  local t0=$SECONDS
  GOBIN=$dir go install -trimpath -ldflags="-s -w $ldflags" "$pkg@$version"
  log "$name $version: built in $((SECONDS - t0))s"
}

build_kubernetes
go_install_cached nats-server "$NATS_SERVER_VERSION" github.com/nats-io/nats-server/v2
# The tests and benchmarks that start their own nats-servers look on PATH (/usr/local/bin before
# Debian's /usr/sbin/nats-server 2.9.10, whose clustered KV updates are not serialized).
if [[ -w /usr/local/bin ]]; then
  ln -sfn "$cache/nats-server-$NATS_SERVER_VERSION/bin/nats-server" /usr/local/bin/nats-server
  log "nats-server $NATS_SERVER_VERSION: /usr/local/bin/nats-server"
else
  log "nats-server $NATS_SERVER_VERSION: /usr/local/bin is not writable; put $cache/nats-server-$NATS_SERVER_VERSION/bin first on PATH"
fi
go_install_cached kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
# helm renders deploy/helm/riposte for the manifest tests (kubectl apply --dry-run=server).
go_install_cached helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
log "done"
