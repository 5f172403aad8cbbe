#!/usr/bin/env bash
# The exec hold's cost and speed (detector --enforce; detector/enforce/exec_hold.h), on real
# execs on this machine (root; no cluster needed):
#  - held and killed: N execs of a matching candidate, each stopped at exec and killed; the
#    detector's riposte_detector_exec_hold_seconds histogram gives hold -> kill (p50/p99 as
#    bucket bounds);
#  - exec -> killed, in-kernel decision next to hold-and-decide, in one detector run: N execs
#    of a candidate only the detector can decide (proc.args: held, then killed) and N of one
#    the kernel decides on its own (proc.name only: SIGKILLed at exec), alternated; the
#    detector's riposte_detector_exec_kill_seconds{path=hold|kernel} histogram gives exec ->
#    exit of each killed process (p50/p99 as bucket bounds);
#  - the cost to everything else: N fork+exec of /bin/true (not a candidate), and N of a
#    candidate the rule does not match (held, then resumed), timed with the detector
#    enforcing and with the same detector not enforcing, alternated ROUNDS times.
#   deploy/local/bench-exec-hold.sh [N] [ROUNDS]
set -euo pipefail
n=${1:-1000}
rounds=${2:-3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${RIPOSTE_BIN:-$repo/build/bin}
work=$(mktemp -d /tmp/riposte-bench-hold.XXXXXX)
detector=
cleanup() {
  [[ -n $detector ]] && kill "$detector" 2>/dev/null && wait "$detector" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cp /bin/true "$work/riposte-forbid"
cp /bin/true "$work/riposte-kforbid"
cat >"$work/rules.yaml" <<'RULES'
- rule: Forbidden tool with a bad argument
  desc: the benchmark's enforcing rule
  condition: evt.type = execve and evt.dir = < and proc.name = riposte-forbid and proc.args contains bad
  output: "forbidden %proc.cmdline"
  priority: CRITICAL
- rule: Forbidden tool
  desc: the benchmark's rule the kernel decides (proc.name only)
  condition: evt.type = execve and proc.name = riposte-kforbid
  output: "forbidden %proc.cmdline"
  priority: CRITICAL
RULES

start() {  # start [--enforce RULE]
  "$bin/riposte-detector" --rules "$work/rules.yaml" --no-kube --ops-addr 127.0.0.1:0 \
    --output-file /dev/null "$@" >"$work/detector.log" 2>&1 &
  detector=$!
  until grep -q "detector running" "$work/detector.log"; do sleep 0.05; done
  port=$(sed -n 's/.*ops_port=\([0-9]*\).*/\1/p' "$work/detector.log" | head -1)
}
stop() { kill "$detector"; wait "$detector" 2>/dev/null || true; detector=; }
loop_ms() {  # loop_ms COMMAND...: ms for n runs
  local t0 t1
  t0=$(date +%s%N)
  for ((i = 0; i < n; i++)); do "$@" || true; done
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
quantile() {  # quantile Q: the smallest bucket bound holding Q of the hold histogram
  curl -s "http://127.0.0.1:$port/metrics" | awk -v q="$1" '
    /^riposte_detector_exec_hold_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); b[++k] = le; c[k] = $NF }
    /^riposte_detector_exec_hold_seconds_count/ { total = $NF }
    END { for (i = 1; i <= k; i++) if (c[i] >= q * total) { printf "%s s (of %d)", b[i], total; exit } }'
}

killed() {  # killed [OUTCOME]: the held execs the detector killed (or another outcome)
  curl -s "http://127.0.0.1:$port/metrics" | awk -v o="${1:-killed}" '$1 == "riposte_detector_exec_holds_total{outcome=\"" o "\"}" { print $NF }'
}
exec_kill() {  # exec_kill PATH Q: the smallest bucket bound holding Q of exec -> exit, by path
  curl -s "http://127.0.0.1:$port/metrics" | awk -v q="$2" -v p="path=\"$1\"" '
    /^riposte_detector_exec_kill_seconds_bucket/ && index($0, p) { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); b[++k] = le; c[k] = $NF }
    /^riposte_detector_exec_kill_seconds_count/ && index($0, p) { total = $NF }
    END { for (i = 1; i <= k; i++) if (c[i] >= q * total) { printf "%s s (of %d)", b[i], total; exit } }'
}
# The benchmark runs on the host: kills there need --enforce-host (or the playbook's host).
mkdir -p "$work/playbooks"
cat >"$work/playbooks/forbid.yaml" <<'PLAYBOOK'
name: forbid
enforce: {mode: kill, host: true}
match: {rules: ["Forbidden tool with a bad argument"]}
steps: [{action: event.create, params: {reason: Forbidden, message: forbidden}}]
PLAYBOOK
for how in "--enforce" "--playbooks"; do
  if [[ $how == --enforce ]]; then
    start --enforce "Forbidden tool with a bad argument" --enforce-host
  else
    start --playbooks "$work/playbooks"  # the hold also builds the alert the playbook matches
  fi
  killed_ms=$(loop_ms "$work/riposte-forbid" bad)
  echo "held and killed ($how): $n execs in $killed_ms ms, $(killed) killed; hold -> kill p50 <= $(quantile 0.5), p99 <= $(quantile 0.99)"
  stop
done

# The two paths in one run, alternated exec by exec so both see the same load.
start --enforce "Forbidden tool with a bad argument" --enforce "Forbidden tool" --enforce-host
{ "$work/riposte-kforbid" || true; } 2>/dev/null  # the first exec here classifies the cgroup (hold path)
for ((i = 0; i < n; i++)); do
  "$work/riposte-forbid" bad || true
  "$work/riposte-kforbid" || true
done 2>/dev/null  # bash's "Killed" lines
sleep 1  # the exit records of the last kills (the counts below show what was seen)
echo "exec -> killed, $n each, alternated: hold-and-decide p50 <= $(exec_kill hold 0.5), p99 <= $(exec_kill hold 0.99); in-kernel decision p50 <= $(exec_kill kernel 0.5), p99 <= $(exec_kill kernel 0.99); killed_in_kernel $(killed killed_in_kernel), killed_in_kernel_unmatched $(killed killed_in_kernel_unmatched)"
stop

for ((r = 1; r <= rounds; r++)); do
  start
  plain_off=$(loop_ms /bin/true)
  cand_off=$(loop_ms "$work/riposte-forbid" good)
  stop
  start --enforce "Forbidden tool with a bad argument"
  plain_on=$(loop_ms /bin/true)
  cand_on=$(loop_ms "$work/riposte-forbid" good)
  stop
  awk -v r="$r" -v n="$n" -v a="$plain_off" -v b="$plain_on" -v c="$cand_off" -v d="$cand_on" 'BEGIN {
    printf "round %d: %d fork+exec of /bin/true: %d ms not enforcing, %d ms enforcing (%+.1f %%); of a resumed candidate: %d ms, %d ms (%+.1f %%)\n",
      r, n, a, b, (b - a) * 100 / a, c, d, (d - c) * 100 / c }'
done
