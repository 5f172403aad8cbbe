#!/usr/bin/env bash
# Builds the rules engine's libFuzzer targets (and riposte-audit's EventList parser's) with clang (libFuzzer, AddressSanitizer with
# leak detection, UndefinedBehaviorSanitizer; any report aborts) in their own build directory,
# then runs each for a bounded time from the seed corpus in tests/fuzz/corpus/<target>/ (plus
# ../shared/falco-rules for the loader, when present). A crash, a leak, a sanitizer report, an
# input slower than the per-input timeout, or a build failure fails the run; the input that
# did it is kept in <build>/artifacts/.
#
#   tests/fuzz/run.sh [SOURCE_DIR] [BUILD_DIR]      (defaults: the repository, <repo>/build/fuzz)
#   RIPOSTE_FUZZ_SECONDS=30  time per target      RIPOSTE_FUZZ_JOBS=2  build parallelism
#   RIPOSTE_FUZZ_CXX=clang++ compiler
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${1:-$here/../..}" && pwd)
out=${2:-$src/build/fuzz}
seconds=${RIPOSTE_FUZZ_SECONDS:-30}
jobs=${RIPOSTE_FUZZ_JOBS:-2}

log() { printf '[fuzz] %s\n' "$*"; }

cxx=${RIPOSTE_FUZZ_CXX:-}
if [[ -z $cxx ]]; then
  for c in clang++ clang++-14; do
    if command -v "$c" >/dev/null; then cxx=$(command -v "$c"); break; fi
  done
fi
[[ -n $cxx ]] || { log "error: clang++ not found (deploy/local/install.sh installs clang)"; exit 1; }
# libFuzzer's runtime comes with compiler-rt (Debian: libclang-rt-14-dev).
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
    "$cxx" -x c++ -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
  log "error: $cxx cannot link -fsanitize=fuzzer,address,undefined (install libclang-rt-14-dev)"
  exit 1
fi

log "building the fuzz targets with $cxx in $out"
mkdir -p "$out"
cmake -S "$here/targets" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$cxx" -DRIPOSTE_SOURCE_DIR="$src" >"$out/configure.log" 2>&1 ||
  { cat "$out/configure.log"; exit 1; }
cmake --build "$out" -j "$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
falco=$src/../shared/falco-rules
if [[ -f $falco/k8s_audit_rules.yaml ]]; then export RIPOSTE_K8S_AUDIT_RULES=$falco/k8s_audit_rules.yaml; fi
rm -rf "$out/artifacts"  # only what this run finds
mkdir -p "$out/artifacts"
status=0
for target in condition rules_loader audit_event_list; do
  work=$out/corpus/$target        # grows across runs (libFuzzer adds what it finds)
  mkdir -p "$work"
  dirs=("$work" "$here/corpus/$target")
  if [[ $target == rules_loader && -d $falco ]]; then dirs+=("$falco"); fi
  max_len=4096
  if [[ $target == rules_loader ]]; then max_len=8192; fi
  if [[ $target == audit_event_list ]]; then max_len=16384; fi
  log "$target: ${seconds}s from ${dirs[*]}"
  if ! "$out/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$max_len" -dict="$here/rules.dict" -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/$target-" "${dirs[@]}" >"$out/$target.log" 2>&1; then
    status=1
    log "$target: FAILED (log: $out/$target.log; input in $out/artifacts/)"
    tail -n 60 "$out/$target.log"
  else
    log "$target: ok ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$out/$target.log" | grep -Eo '[0-9]+$' || echo '?') runs)"
  fi
done
exit $status
