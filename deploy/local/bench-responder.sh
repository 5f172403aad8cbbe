#!/usr/bin/env bash
# Latency of the responder's actions against a real API server: brings up a private local
# control plane (cluster.sh, in its own state dir so it never touches a developer's cluster),
# runs riposte-bench's responder/ benchmarks (pod_delete, workload_scale: 500 runs each, p50_ms
# and p99_ms counters) and tears the cluster down, also on failure or Ctrl-C.
#
#   deploy/local/bench-responder.sh [riposte-bench flags, e.g. --benchmark_format=json]
#
# Knobs: RIPOSTE_BUILD_DIR (default <repo>/build; riposte-bench is built there if missing),
# RIPOSTE_BENCH_CLUSTER_DIR (the cluster's state dir, default /tmp/riposte-bench-cluster).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${RIPOSTE_BUILD_DIR:-$repo/build}
bench=$build/bin/riposte-bench
export RIPOSTE_LOCAL_DIR=${RIPOSTE_BENCH_CLUSTER_DIR:-/tmp/riposte-bench-cluster}

if [[ ! -x $bench ]]; then
  echo "[bench] building riposte-bench in $build"
  [[ -f $build/build.ninja || -f $build/Makefile ]] || cmake -S "$repo" -B "$build" -G Ninja
  cmake --build "$build" -j2 --target riposte-bench
fi

trap '"$here/cluster.sh" down' EXIT
"$here/cluster.sh" up
"$bench" --benchmark_filter='^responder/' "$@"
