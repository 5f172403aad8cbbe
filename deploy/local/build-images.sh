#!/usr/bin/env bash
# Builds the container images the real node runs, from Debian packages, because no registry
# can be reached here: one OCI image layout holding every image of the table below, written as
# an archive that `ctr images import` reads. Cached outside the work tree, keyed by the recipe
# number, so only the first run pays (debootstrap + apt-get: a few minutes).
#
#   build-images.sh          build what is missing; print the archive's path last
#   build-images.sh --path   print the archive's path (built or not)
#
# Layers: every Debian image shares one base layer (debootstrap --variant=minbase bookworm);
# an image's own layer is the overlayfs upper directory of the apt-get install that made it,
# its whiteouts converted to OCI's .wh. files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
cache=${RIPOSTE_CACHE:-$HOME/.cache/riposte}
# Bump when the table or the way images are built changes: the archive is rebuilt.
recipe=1
out=$cache/images-$recipe
archive=$out/images.oci.tar
mirror=${RIPOSTE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The images: name | reference (what pods say in `image:`) | Debian packages of its own layer |
# command (JSON array). One row each; cluster.sh checks these references after the import.
images=(
  "pause|registry.k8s.io/pause:3.10||[\"/pause\"]"
  "debian|docker.io/library/debian:bookworm||[\"bash\"]"
  "nginx|docker.io/library/nginx:1.22|nginx|[\"nginx\",\"-g\",\"daemon off;\"]"
  "httpd|docker.io/library/httpd:2.4|apache2|[\"httpd-foreground\"]"
)

log() { printf '[build-images] %s\n' "$*" >&2; }
die() { printf '[build-images] error: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-} == --path ]]; then echo "$archive"; exit 0; fi
if [[ ${1:-} == --references ]]; then
  for row in "${images[@]}"; do IFS='|' read -r _ ref _ _ <<<"$row"; echo "$ref"; done
  exit 0
fi
if [[ -s $archive ]]; then log "cached: $archive"; echo "$archive"; exit 0; fi
((EUID == 0)) || die "must run as root (debootstrap, chroot, overlay mounts)"
for b in debootstrap gcc jq tar sha256sum mount; do
  command -v "$b" >/dev/null || die "$b not found: run deploy/local/install.sh"
done

work=$(mktemp -d "$cache/images-build.XXXXXX")
mounts=()
cleanup() {
  local m
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"

# blob FILE: moves FILE into the layout under its digest; prints "sha256:<hex> <size>".
blob() {
  local hex size
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$layout/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}

# layer DIR: a tar of DIR's contents as a layer blob (uncompressed: its digest is its diff id).
layer() {
  tar --numeric-owner --xattrs --sort=name -C "$1" -cf "$work/layer.tar" .
  blob "$work/layer.tar"
}

# An overlayfs upper directory marks a deleted lower file with a 0:0 character device and a
# replaced directory with the trusted.overlay.opaque xattr; OCI layers say both with files.
convert_whiteouts() {
  local upper=$1 f
  while IFS= read -r -d '' f; do
    if [[ $(stat -c '%t:%T' "$f") == 0:0 ]]; then
      rm -f "$f"
      : >"$(dirname "$f")/.wh.$(basename "$f")"
    fi
  done < <(find "$upper" -type c -print0)
  while IFS= read -r -d '' f; do
    if [[ $(getfattr --only-values -n trusted.overlay.opaque "$f" 2>/dev/null) == y ]]; then
      setfattr -x trusted.overlay.opaque "$f"
      : >"$f/.wh..wh..opq"
    fi
  done < <(find "$upper" -type d -print0)
}

manifests=()
# add_image REF CMD LAYER...: config + manifest blobs for an image made of the given layers
# ("sha256:<hex> <size>" each); its index entry goes into manifests.
add_image() {
  local ref=$1 cmd=$2 diff_ids="[]" layers="[]" l d s cfg man
  shift 2
  for l in "$@"; do
    read -r d s <<<"$l"
    diff_ids=$(jq -c --arg d "$d" '. + [$d]' <<<"$diff_ids")
    layers=$(jq -c --arg d "$d" --argjson s "$s" \
      '. + [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $d, size: $s}]' <<<"$layers")
  done
  jq -n --argjson cmd "$cmd" --argjson diff "$diff_ids" '{
      architecture: "amd64", os: "linux",
      config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
               Cmd: $cmd, WorkingDir: "/"},
      rootfs: {type: "layers", diff_ids: $diff},
      history: [{created_by: "riposte deploy/local/build-images.sh"}]}' >"$work/config.json"
  read -r d s <<<"$(blob "$work/config.json")"
  jq -n --arg d "$d" --argjson s "$s" --argjson layers "$layers" '{
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $d, size: $s},
      layers: $layers}' >"$work/manifest.json"
  read -r d s <<<"$(blob "$work/manifest.json")"
  manifests+=("$(jq -cn --arg d "$d" --argjson s "$s" --arg ref "$ref" '{
      mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
      platform: {architecture: "amd64", os: "linux"},
      annotations: {"io.containerd.image.name": $ref, "org.opencontainers.image.ref.name": ($ref | split(":") | last)}}')")
  log "image $ref: $# layer(s)"
}

# chroot_run ROOT CMD...: CMD inside ROOT with /proc and /dev, no service started by a
# package's maintainer scripts (policy-rc.d), the host's resolver for the mirror.
chroot_run() {
  local root=$1
  shift
  mount -t proc proc "$root/proc" && mounts+=("$root/proc")
  mount --rbind /dev "$root/dev" && mounts+=("$root/dev")
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  DEBIAN_FRONTEND=noninteractive chroot "$root" "$@" </dev/null
  rm -f "$root/usr/sbin/policy-rc.d"
  umount -l "$root/dev" "$root/proc"
  mounts=("${mounts[@]:0:${#mounts[@]}-2}")
}

# The files a Debian package leaves that an image should not carry.
slim() {
  local root=$1
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
    "$root"/var/log/apt "$root"/var/log/dpkg.log "$root"/tmp/* "$root"/etc/resolv.conf
}

t0=$SECONDS
# pause: one static binary.
mkdir -p "$work/pause"
gcc -static -O2 -o "$work/pause/pause" "$here/images/pause.c"
pause_layer=$(layer "$work/pause")

log "debootstrap --variant=minbase bookworm from $mirror (first time: a few minutes)"
base=$work/base
debootstrap --variant=minbase bookworm "$base" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
chroot_run "$base" apt-get update -q >/dev/null
slim "$base"
base_layer=$(layer "$base")
log "base layer ready ($((SECONDS - t0))s)"

for row in "${images[@]}"; do
  IFS='|' read -r name ref packages cmd <<<"$row"
  case $name in
    pause) add_image "$ref" "$cmd" "$pause_layer" ;;
    debian) add_image "$ref" "$cmd" "$base_layer" ;;
    *)
      upper=$work/$name-upper overlay_work=$work/$name-work merged=$work/$name-root
      mkdir -p "$upper" "$overlay_work" "$merged"
      mount -t overlay overlay -o "lowerdir=$base,upperdir=$upper,workdir=$overlay_work" "$merged"
      mounts+=("$merged")
      log "image $ref: apt-get install $packages"
      chroot_run "$merged" sh -c "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $packages >/dev/null"
      "$here/images/finish-$name.sh" "$merged"
      slim "$merged"
      umount "$merged"
      mounts=("${mounts[@]:0:${#mounts[@]}-1}")
      convert_whiteouts "$upper"
      add_image "$ref" "$cmd" "$base_layer" "$(layer "$upper")"
      ;;
  esac
done

jq -n --argjson m "$(printf '%s\n' "${manifests[@]}" | jq -s .)" '{schemaVersion: 2, manifests: $m}' >"$layout/index.json"
mkdir -p "$out"
tar -C "$layout" -cf "$out/images.oci.tar.tmp" .
mv "$out/images.oci.tar.tmp" "$archive"
log "built $archive ($(du -h "$archive" | cut -f1), $((SECONDS - t0))s)"
echo "$archive"
