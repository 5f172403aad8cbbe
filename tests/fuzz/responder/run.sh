#!/usr/bin/env bash
# Builds the responder's libFuzzer targets (alert parser, playbook loader) with clang in their
# own build directory and runs each for a bounded time from the seeds in corpus/<target>/ (the
# shipped playbooks are seeds too). A crash, leak, sanitizer report, slow input or build
# failure fails the run; the input that did it is kept in <build>/artifacts/.
#
#   tests/fuzz/responder/run.sh [SOURCE_DIR] [BUILD_DIR]  (defaults: the repository, <repo>/build/fuzz-responder)
#   RIPOSTE_FUZZ_SECONDS=30 time per target   RIPOSTE_FUZZ_JOBS=2 build parallelism
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${1:-$here/../../..}" && pwd)
out=${2:-$src/build/fuzz-responder}
seconds=${RIPOSTE_FUZZ_SECONDS:-30}
jobs=${RIPOSTE_FUZZ_JOBS:-2}
log() { printf '[fuzz-responder] %s\n' "$*"; }

cxx=${RIPOSTE_FUZZ_CXX:-$(command -v clang++ || command -v clang++-14 || true)}
[[ -n $cxx ]] || { log "error: clang++ not found (deploy/local/install.sh installs clang)"; exit 1; }

log "building with $cxx in $out"
mkdir -p "$out/artifacts"
cmake -S "$here" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$cxx" -DRIPOSTE_SOURCE_DIR="$src" >"$out/configure.log" 2>&1 ||
  { cat "$out/configure.log"; exit 1; }
cmake --build "$out" -j "$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in alert_parser playbook_loader; do
  work=$out/corpus/$target
  mkdir -p "$work"
  dirs=("$work" "$here/corpus/$target")
  [[ $target == playbook_loader ]] && dirs+=("$src/playbooks")
  log "$target: ${seconds}s"
  if ! "$out/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" \
      "${dirs[@]}" >"$out/$target.log" 2>&1; then
    status=1
    log "$target: FAILED (log: $out/$target.log; input in $out/artifacts/)"
    tail -n 60 "$out/$target.log"
  else
    log "$target: ok"
  fi
done
exit $status
