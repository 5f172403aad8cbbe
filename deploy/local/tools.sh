# Sourced by scripts that need the cached upstream tools (kube-*, kwok, helm): sets
# RIPOSTE_HELM and friends from versions.env without building anything.
_riposte_local=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$_riposte_local/versions.env"
_riposte_cache=${RIPOSTE_CACHE:-$HOME/.cache/riposte}
RIPOSTE_HELM=$_riposte_cache/helm-$HELM_VERSION/bin/helm
if [[ ! -x $RIPOSTE_HELM ]]; then
  echo "helm $HELM_VERSION is not built: run deploy/local/install.sh" >&2
  return 1 2>/dev/null || exit 1
fi
