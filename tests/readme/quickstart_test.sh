#!/usr/bin/env bash
# Runs every command of the README's quickstart (the ```sh blocks between <!-- quickstart -->
# and <!-- /quickstart -->), in order, in one shell, from the repository root, as a reader
# would paste them. Fails on the first command that fails.
set -euo pipefail
src=${RIPOSTE_SOURCE_DIR:?}
readme=$src/README.md
script=$(mktemp)
trap 'rm -f "$script" "${jobs_file:-}"' EXIT
awk '
  /<!-- quickstart -->/ { on = 1; next }
  /<!-- \/quickstart -->/ { on = 0 }
  on && /^```sh$/ { code = 1; next }
  on && /^```$/ { code = 0; next }
  on && code { print }
' "$readme" >"$script"
[[ -s $script ]] || { echo "no quickstart commands found in $readme" >&2; exit 1; }
# Whatever the quickstart left running when a command failed (the responder it started with
# `&`) is ended by its own shell, by pid: nothing else on the machine is touched.
# (jobs -p to a file: in a $(...) subshell the job table is empty.)
jobs_file=$(mktemp)
sed -i "1i trap 'jobs -p >$jobs_file; xargs -r kill <$jobs_file 2>/dev/null || true' EXIT" "$script"
echo "quickstart: $(grep -cv '^\s*$' "$script") lines from $readme"

# Its own cluster state, so a developer's cluster (default /tmp/riposte-local) or the ctest
# fixture's is never touched (the demo inside reuses it, and takes its cluster down).
export RIPOSTE_LOCAL_DIR=${RIPOSTE_QUICKSTART_DIR:-$src/build/quickstart-cluster}
cleanup() {
  local rc=$?
  if ((rc != 0)) && [[ -d $RIPOSTE_LOCAL_DIR/logs ]]; then
    for f in "$RIPOSTE_LOCAL_DIR"/logs/*.log; do echo "== $f"; tail -n 15 "$f"; done
  fi
  "$src/deploy/local/cluster.sh" down >/dev/null 2>&1 || true
  rm -f "$script" "$jobs_file"
  exit $rc
}
trap cleanup EXIT
cd "$src"
bash -euo pipefail -x "$script"
echo "quickstart: every command succeeded"
